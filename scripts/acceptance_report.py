"""Writes docs/ACCEPTANCE.md: where the golden files' `acceptable` alternatives widen the verdict, and by how much.

    /usr/bin/python3 -I scripts/acceptance_report.py            # (re)write docs/ACCEPTANCE.md from golden/
    /usr/bin/python3 -I scripts/acceptance_report.py --check    # exit 1 if docs/ACCEPTANCE.md is out of date

Reads the committed golden/ set only (no regeneration, a few seconds). For each dtype and loss: the
cases with an exact expected value, those with a `pytorch-cpu` alternative, those where some
alternative element lies outside the default tolerance of the exact value (flag
pytorch-arithmetic), and the largest such widening, as the alternative's distance from the exact
value in ULP of the dtype and relative to the exact value, each with an example.
"""

import argparse
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

from golden_gen import acceptance  # noqa: E402
from golden_gen.tensors import DTYPE_NAMES, decode_tensor  # noqa: E402

REPO = os.path.dirname(HERE)
DEFAULT_GOLDEN = os.path.join(REPO, "golden")
DEFAULT_OUT = os.path.join(REPO, "docs", "ACCEPTANCE.md")
SCRIPT = "scripts/acceptance_report.py"


def _fmt(v, digits=3):
    if v == np.inf:
        return "inf"
    return f"{v:.{digits}g}"


def measure(golden):
    """{(dtype, loss): stats} over the committed set."""
    with open(os.path.join(golden, "MANIFEST.json")) as fh:
        manifest = json.load(fh)
    rows = {}
    for entry in manifest["files"]:
        with open(os.path.join(golden, entry["path"])) as fh:
            doc = json.load(fh)
        dtype, loss = doc["dtype"], doc["loss"]
        tol = manifest["default_tolerance"][dtype]
        st = {"cases": 0, "with_alt": 0, "widened_cases": 0, "alt_elements": 0, "widened_elements": 0,
              "nonfinite": 0, "nonfinite_example": None, "ulp": 0.0, "ulp_example": None,
              "rel": 0.0, "rel_example": None, "flag_mismatch": []}
        for case in doc["cases"]:
            if "expected" not in case:
                continue
            st["cases"] += 1
            alts = case.get("acceptable", [])
            st["with_alt"] += bool(alts)
            widened = False
            for alt in alts:
                for field, t in sorted(alt["outputs"].items()):
                    e = decode_tensor(case["expected"][field])
                    a = decode_tensor(t)
                    outside = ~acceptance.matches(a, e, tol, "signed-zero" in case["flags"]).ravel()
                    st["alt_elements"] += a.size
                    st["widened_elements"] += int(np.count_nonzero(outside))
                    widened |= bool(outside.any())
                    u, rel = acceptance.widening(e, a, dtype)
                    for i in np.flatnonzero(outside):
                        where = f"`{case['id']}` {field}[{i}]"
                        if not np.isfinite(u[i]):
                            st["nonfinite"] += 1
                            st["nonfinite_example"] = st["nonfinite_example"] or (
                                f"{where}: exact {float(e.ravel()[i])!r}, PyTorch {float(a.ravel()[i])!r}")
                            continue
                        if u[i] > st["ulp"]:
                            st["ulp"], st["ulp_example"] = float(u[i]), (
                                f"{where}: exact {float(e.ravel()[i])!r}, PyTorch {float(a.ravel()[i])!r}")
                        if rel[i] > st["rel"]:
                            st["rel"], st["rel_example"] = float(rel[i]), (
                                f"{where}: exact {float(e.ravel()[i])!r}, PyTorch {float(a.ravel()[i])!r}")
            st["widened_cases"] += widened
            if widened != (acceptance.FLAG in case["flags"]):
                st["flag_mismatch"].append(case["id"])
        rows[(dtype, loss)] = st
    return manifest, rows


def render(golden):
    manifest, rows = measure(golden)
    bad = [cid for st in rows.values() for cid in st["flag_mismatch"]]
    if bad:
        raise SystemExit(f"acceptance_report: flag {acceptance.FLAG} disagrees with the data on {bad[:5]}")
    tol = manifest["default_tolerance"]
    out = [
        "# Where PyTorch's own arithmetic widens the verdict (suite %s)" % manifest["suite_version"],
        "",
        f"Written by `{SCRIPT}` from the committed golden/ files (do not edit; `--check` tells whether it",
        "is up to date). Each golden case holds the exact value as `expected` and, where PyTorch 2.x's",
        "own CPU arithmetic gives other bits, that result as an `acceptable` alternative (`pytorch-cpu`,",
        "from scripts/pytorch_cpu.py; docs/CONTRACTS.md section 0). The default mode accepts either.",
        "This page counts where that widens the verdict: alternative elements outside the default",
        "tolerance of the exact value (" + "; ".join(
            f"{d} rtol {tol[d]['rtol']:g} atol {tol[d]['atol']:g}" for d in DTYPE_NAMES) + ").",
        "",
        "Columns: *cases*: cases with an expected value; *with alternative*: of those, cases whose",
        "PyTorch results differ in some bit; *widened*: cases with an alternative element outside the",
        "default tolerance (flag `pytorch-arithmetic`); *elements*: widened elements / elements of the",
        "alternatives' fields; *non-finite*: widened elements where exactly one of exact and PyTorch is",
        "finite (or they disagree on NaN); *largest widening*: the largest distance of a finite widened",
        "element from the finite exact value, in ULP of the dtype at the exact value and relative to it.",
        "",
        "| dtype | loss | cases | with alternative | widened | elements | non-finite | largest widening (ULP) | largest widening (relative) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for dtype in DTYPE_NAMES:
        for loss in ("bce", "bce_with_logits"):
            st = rows.get((dtype, loss))
            if st is None:
                continue
            out.append(f"| {dtype} | {loss} | {st['cases']} | {st['with_alt']} | {st['widened_cases']} | "
                       f"{st['widened_elements']} / {st['alt_elements']} | {st['nonfinite']} | "
                       f"{_fmt(st['ulp']) if st['ulp_example'] else '-'} | {_fmt(st['rel']) if st['rel_example'] else '-'} |")
    out += ["", "Examples (the element of the largest widening per row):", ""]
    for dtype in DTYPE_NAMES:
        for loss in ("bce", "bce_with_logits"):
            st = rows.get((dtype, loss))
            if st is None or not (st["ulp_example"] or st["nonfinite_example"]):
                continue
            out.append(f"- {dtype} {loss}:")
            if st["ulp_example"]:
                out.append(f"  - largest in ULP ({_fmt(st['ulp'])}): {st['ulp_example']}")
            if st["rel_example"] and st["rel_example"] != st["ulp_example"]:
                out.append(f"  - largest relative ({_fmt(st['rel'])}): {st['rel_example']}")
            if st["nonfinite_example"]:
                out.append(f"  - non-finite ({st['nonfinite']}): {st['nonfinite_example']}")
    out += ["", "Strict mode (`--max-ulp N`) ignores the alternatives and measures against the exact value only.", ""]
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Write (or --check) docs/ACCEPTANCE.md from the golden files.")
    ap.add_argument("--golden", default=DEFAULT_GOLDEN, help="golden folder (default: the repo's golden/)")
    ap.add_argument("--out", default=DEFAULT_OUT, help="the page to write (default: docs/ACCEPTANCE.md)")
    ap.add_argument("--check", action="store_true", help="exit 1 if --out differs from what would be written")
    args = ap.parse_args(argv)
    text = render(args.golden)
    if args.check:
        try:
            with open(args.out) as fh:
                current = fh.read()
        except FileNotFoundError:
            current = None
        if current != text:
            print(f"acceptance_report: {args.out} is out of date; run /usr/bin/python3 -I {SCRIPT}", file=sys.stderr)
            return 1
        print(f"acceptance_report: {args.out} is up to date")
        return 0
    fd, tmp = tempfile.mkstemp(prefix=".ACCEPTANCE.", dir=os.path.dirname(os.path.abspath(args.out)))
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, args.out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    print(f"acceptance_report: wrote {args.out}")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
