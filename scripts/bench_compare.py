#!/usr/bin/env python3
"""Two `bce-conformance bench --json` files side by side, as a Markdown table.

    /usr/bin/python3 -I scripts/bench_compare.py BEFORE.json AFTER.json [--n 1000000] [--dtype float32,float64]
    /usr/bin/python3 -I scripts/bench_compare.py BEFORE.json AFTER.json --groups
    /usr/bin/python3 -I scripts/bench_compare.py B1.json,B2.json A1.json,A2.json --ratios swift --by reduction,n

--groups prints README's table instead: per loss, dtype and n, how many rows pass the NumPy and the
PyTorch bar in each run, of the rows of that group (verdicts from the JSON).

--ratios COLUMN (swift, numpy or torch) prints, per group of the --by keys (default loss,dtype,n),
the median, least and greatest of after over before of that column's M elements/s, row by row;
BEFORE and AFTER may each be several runs of one command (comma-separated), whose values a row
averages. A column a change does not touch (or rows it does not reach) is the run's noise.

One line per row present in both (same loss, dtype, weight, pos_weight, targets, reduction, pass,
api (ndarray in files from before the bench had --api), n): Swift before -> after, NumPy and PyTorch of the after run (M elements/s), and each run's
ratios and w-cost with its bar verdicts (from the JSON, not recomputed).
"""
import argparse
import json
import sys

KEY = ("loss", "dtype", "weight", "pos_weight", "targets", "reduction", "pass", "api", "n")
DEFAULTS = {"api": "ndarray"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--n", type=float, help="only rows of this size")
    parser.add_argument("--dtype", help="only these dtypes, comma-separated")
    parser.add_argument("--groups", action="store_true", help="rows passing each bar per loss, dtype and n")
    parser.add_argument("--ratios", choices=["swift", "numpy", "torch"], help="after/before of this column, by group")
    parser.add_argument("--by", default="loss,dtype,n", help="the --ratios groups' keys, comma-separated")
    args = parser.parse_args()
    if args.ratios:
        sides = [[load_rows(path) for path in paths.split(",")] for paths in (args.before, args.after)]
        for line in ratio_table(sides[0], sides[1], args.ratios, args.by.split(",")):
            print(line)
        return 0
    runs = [load_rows(args.before), load_rows(args.after)]
    dtypes = set(args.dtype.split(",")) if args.dtype else None
    if args.groups:
        for line in group_table(runs[0], runs[1]):
            print(line)
        return 0

    def m(value):
        return "–" if value is None else f"{value / 1e6:.0f}"

    def r(row, ratio, bar):
        value = row[ratio]
        return "–" if value is None else f"{value:.2f} {row['bars'][bar]}"

    print("| loss | dtype | weight | pos_weight | red. | pass | api | n | Swift before → after | NumPy | PyTorch "
          "| S/NP before → after | S/PT before → after | w-cost before → after |")
    print("|" + "---|" * 14)
    for key, after in runs[1].items():
        before = runs[0].get(key)
        if before is None or (args.n and after["n"] != int(args.n)) or (dtypes and after["dtype"] not in dtypes):
            continue
        print("| " + " | ".join([
            after["loss"], after["dtype"], after["weight"], after["pos_weight"], after["reduction"], after["pass"],
            after.get("api", "ndarray"), f"{after['n']:.0e}".replace("+0", ""), f"{m(before['swift'])} → {m(after['swift'])}",
            m(after["numpy"]), m(after["torch"]) if after["torch"] is not None else after["torch_note"],
            f"{r(before, 'ratio_numpy', 'numpy')} → {r(after, 'ratio_numpy', 'numpy')}",
            f"{r(before, 'ratio_torch', 'torch')} → {r(after, 'ratio_torch', 'torch')}",
            f"{r(before, 'weight_cost', 'weight')} → {r(after, 'weight_cost', 'weight')}",
        ]) + " |")
    return 0


def load_rows(path):
    """A bench JSON's rows by KEY."""
    with open(path, encoding="utf-8") as f:
        document = json.load(f)
    return {tuple(row.get(k, DEFAULTS.get(k)) for k in KEY): row for row in document["rows"]}


def ratio_table(before_runs, after_runs, column, by):
    """Per group of the `by` keys: after over before of `column` (each row's mean over its runs;
    rows missing from any run, or without a value, are left out), as median, least, greatest."""
    def mean(runs, key):
        values = [run[key][column] for run in runs if key in run and run[key][column] is not None]
        return sum(values) / len(values) if len(values) == len(runs) else None
    groups = {}
    for key, row in after_runs[0].items():
        b, a = mean(before_runs, key), mean(after_runs, key)
        if b and a:
            groups.setdefault(tuple(row[k] for k in by), []).append(a / b)
    lines = ["| " + " | ".join(by) + f" | rows | {column} after/before: median | least | greatest |",
             "|" + "---|" * (len(by) + 4)]
    for group in sorted(groups):
        ratios = sorted(groups[group])
        middle = len(ratios) // 2
        median = ratios[middle] if len(ratios) % 2 else (ratios[middle - 1] + ratios[middle]) / 2
        cells = [f"{v:.0e}".replace("+0", "") if k == "n" else str(v) for k, v in zip(by, group)]
        lines.append("| " + " | ".join(cells) + f" | {len(ratios)} | {median:.2f} | {ratios[0]:.2f} | {ratios[-1]:.2f} |")
    return lines


LOSS_NAMES = {"bce": "BCELoss", "bce_with_logits": "BCEWithLogitsLoss"}
DTYPE_ORDER = ["float16", "bfloat16", "float32", "float64"]


def group_table(before, after):
    """README's table: for each (loss, dtype, n) of the after run, '<before> → <after> of <rows>'
    rows passing the NumPy bar and the PyTorch bar (before counts the same group in the before run)."""
    groups = {}
    for run_index, run in enumerate((before, after)):
        for row in run.values():
            key = (row["loss"], row["dtype"], row["n"])
            counts = groups.setdefault(key, [[0, 0, 0], [0, 0, 0]])[run_index]
            counts[0] += 1
            counts[1] += row["bars"]["numpy"] == "PASS"
            counts[2] += row["bars"]["torch"] == "PASS"
    lines = ["| loss | dtype | n | Swift ≥ 2× NumPy: before → after | Swift ≥ 1× PyTorch: before → after |",
             "|---|---|---|---|---|"]
    order = lambda k: (list(LOSS_NAMES).index(k[0]), DTYPE_ORDER.index(k[1]), k[2])
    for key in sorted((k for k, v in groups.items() if v[1][0]), key=order):
        b, a = groups[key]
        size = f"{key[2]:.0e}".replace("+0", "")
        lines.append(f"| {LOSS_NAMES[key[0]]} | {key[1]} | {size} | {b[1]} → {a[1]} of {a[0]} | {b[2]} → {a[2]} of {a[0]} |")
    return lines


if __name__ == "__main__":
    sys.exit(main())
