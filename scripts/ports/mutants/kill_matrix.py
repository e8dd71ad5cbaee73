#!/usr/bin/env python3
"""The kill matrix: every mutant port (mutant_port.py) through the runner in the default mode.

    /usr/bin/python3 -I scripts/ports/mutants/kill_matrix.py --bin PATH/bce-conformance [--jobs N] [--output FILE]

Runs `bce-conformance run --port "... mutant_port.py --mutant NAME" --format json` for the base
and every mutant, counts the failing cases per dtype, and writes the matrix (docs/MUTANTS.md by
default; atomically, and byte-identical from run to run: no times in it). Exit status:
  0  the base passes, and every mutant fails at least one case in every dtype where its bug can
     show;
  1  otherwise (a surviving mutant, a failing base): named on stderr;
  2  usage, or the runner did not run (exit other than 0/1, e.g. 4: the port crashed).
The fraction of float64 value cases that float64-in-float32 fails is measured against issue 11's
bar (80%) and reported (MUTANTS.md, stderr), not an exit condition: what it can reach depends on
the catalogue (cases whose results are all zero, empty, or float32 numbers cannot show it).
Progress: one line per mutant as it finishes, with its time.
"""

import argparse
import concurrent.futures
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, HERE)

import mutant_port  # noqa: E402  (the mutants' names, dtypes and descriptions: one source)

DTYPES = mutant_port.DTYPES
F64_BAR = 0.80


def run_one(binary, golden, name):
    port = f"{shlex.quote(sys.executable)} -I {shlex.quote(os.path.join(HERE, 'mutant_port.py'))} --mutant {name}"
    start = time.monotonic()
    proc = subprocess.run([binary, "run", "--golden", golden, "--port", port, "--format", "json", "--timeout", "60"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seconds = time.monotonic() - start
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{name}: the runner exited {proc.returncode}\n{proc.stderr[-2000:]}\n{proc.stdout[-2000:]}")
    return name, json.loads(proc.stdout), seconds


def value_case_ids(golden):
    """Ids of the golden cases that have `expected` (values, not an expected error), by dtype."""
    with open(os.path.join(golden, "MANIFEST.json")) as fh:
        manifest = json.load(fh)
    ids = {d: set() for d in DTYPES}
    for f in manifest["files"]:
        with open(os.path.join(golden, f["path"])) as fh:
            for case in json.load(fh)["cases"]:
                if "expected" in case:
                    ids.setdefault(case["dtype"], set()).add(case["id"])
    return manifest.get("format_version"), manifest.get("suite_version"), ids


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="the bce-conformance executable")
    ap.add_argument("--golden", default=os.path.join(REPO, "golden"))
    ap.add_argument("--jobs", type=int, default=1, help="mutants run at the same time (default 1)")
    ap.add_argument("--output", default=os.path.join(REPO, "docs", "MUTANTS.md"))
    args = ap.parse_args()

    fmt, suite_version, value_ids = value_case_ids(args.golden)
    names = list(mutant_port.MUTANTS)
    reports, seconds = {}, {}
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_one, args.bin, args.golden, n) for n in names]
        for k, fut in enumerate(concurrent.futures.as_completed(futures), 1):
            try:
                name, report, secs = fut.result()
            except RuntimeError as e:
                print(f"kill-matrix: {e}", file=sys.stderr)
                return 2
            reports[name], seconds[name] = report, secs
            s = report["summary"]
            print(f"[{k}/{len(names)}] {name}: {s['failed']} of {s['total']} cases failed ({secs:.1f} s)", flush=True)
    total_seconds = time.monotonic() - t0

    cases_by_dtype = {d: 0 for d in DTYPES}
    for c in reports["base"]["cases"]:
        cases_by_dtype[c["dtype"]] = cases_by_dtype.get(c["dtype"], 0) + 1

    problems, rows = [], []
    for name in names:
        cls, applies, description, source = mutant_port.MUTANTS[name]
        failed = [c for c in reports[name]["cases"] if c["status"] == "failed"]
        by_dtype = {d: [c for c in failed if c["dtype"] == d] for d in DTYPES}
        cells = []
        for d in DTYPES:
            n = len(by_dtype[d])
            if name == "base":
                cells.append(str(n))
                if n:
                    problems.append(f"the base fails {n} {d} case(s), e.g. {by_dtype[d][0]['id']}")
            elif n == 0 and d not in applies:
                cells.append("-")
            elif n == 0 and cases_by_dtype.get(d, 0) == 0:
                cells.append("no cases")
            else:
                cells.append(f"**{n}**" if n == 0 else str(n))
                if n == 0:
                    problems.append(f"mutant {name} survives in {d} (its bug can show there)")
        example = failed[0]["id"] if failed and name != "base" else ""
        rows.append((name, cells, len(failed), example, description, source))

    f64 = [c for c in reports["float64-in-float32"]["cases"] if c["id"] in value_ids.get("float64", set())]
    f64_failed = sum(1 for c in f64 if c["status"] == "failed")
    f64_fraction = f64_failed / len(f64) if f64 else 0.0
    f64_note = "meets" if f64_fraction >= F64_BAR else "is under"

    lines = [
        "# Mutant ports: the kill matrix",
        "",
        "Written by `scripts/kill-matrix.sh` (scripts/ports/mutants/kill_matrix.py); do not edit by hand.",
        f"Golden suite {suite_version} (format version {fmt}); every port run by `bce-conformance run --port ... "
        "--format json` in the default mode (no `--max-ulp`).",
        "",
        "Each mutant is `scripts/ports/mutants/mutant_port.py --mutant NAME`: one clean base implementation",
        "(PyTorch's formulas in np.longdouble, rounded once to the case dtype) with one method replaced by a",
        "plausible bug. A cell is the number of failing cases in that dtype; `-` marks a dtype where the bug",
        "cannot show (and none failed); a bold **0** is a survivor. The base must fail nothing: then every",
        "kill is the bug's.",
        "",
        "Cases per dtype: " + ", ".join(f"{d} {cases_by_dtype.get(d, 0)}" for d in DTYPES) + ".",
        "",
        "| mutant | " + " | ".join(DTYPES) + " | failed | e.g. | the bug | seen in |",
        "|---|" + "---:|" * len(DTYPES) + "---:|---|---|---|",
    ]
    for name, cells, nfailed, example, description, source in rows:
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {nfailed} | {('`' + example + '`') if example else ''} "
                     f"| {description} | {source} |")
    lines += [
        "",
        f"float64-in-float32: {f64_failed} of {len(f64)} float64 value cases fail ({f64_fraction:.1%}, which "
        f"{f64_note} issue 11's bar of {F64_BAR:.0%}). The float64 value cases it passes:",
        "",
    ]
    passed = sorted(c["id"] for c in f64 if c["status"] != "failed")
    lines.append(", ".join(f"`{i}`" for i in passed) + "." if passed else "none.")
    lines += [
        "",
        "Verdict: " + ("every mutant killed in every dtype where its bug can show; the base passes."
                       if not problems else "NOT met: " + "; ".join(problems) + "."),
        "",
    ]
    text = "\n".join(lines)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(args.output)), prefix=".MUTANTS.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, args.output)

    print(f"kill-matrix: {len(names) - 1} mutants and the base in {total_seconds:.1f} s (--jobs {args.jobs}); "
          f"float64-in-float32 {f64_failed}/{len(f64)} float64 value cases ({f64_fraction:.1%}, {f64_note} the "
          f"{F64_BAR:.0%} bar); wrote {args.output}")
    for p in problems:
        print(f"kill-matrix: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
