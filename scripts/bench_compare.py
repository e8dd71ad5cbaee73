#!/usr/bin/env python3
"""Two `bce-conformance bench --json` files side by side, as a Markdown table.

    /usr/bin/python3 -I scripts/bench_compare.py BEFORE.json AFTER.json [--n 1000000] [--dtype float32,float64]
    /usr/bin/python3 -I scripts/bench_compare.py BEFORE.json AFTER.json --groups

--groups prints README's table instead: per loss, dtype and n, how many rows pass the NumPy and the
PyTorch bar in each run, of the rows of that group (verdicts from the JSON).

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
    args = parser.parse_args()
    runs = []
    for path in (args.before, args.after):
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
        runs.append({tuple(row.get(k, DEFAULTS.get(k)) for k in KEY): row for row in document["rows"]})
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
