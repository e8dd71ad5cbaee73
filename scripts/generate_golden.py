"""Writes the golden files (format version 2, docs/CONTRACTS.md sections 0 and 2, golden/FORMAT.md).

    /usr/bin/python3 -I scripts/generate_golden.py            # regenerate golden/
    /usr/bin/python3 -I scripts/generate_golden.py --check    # exit 1 (naming cases and fields) if
                                                               # regeneration would change golden/
Options: --out DIR (alias --golden; default: the repo's golden/), --seed N (default 20261129).

The parts live in scripts/golden_gen/: catalogue.py (what is tested: points, flags, per-dtype
parameters, as data), cases.py (one case: exact values from bce_reference.evaluate, PyTorch's own
arithmetic from pytorch_cpu.pytorch_cpu via acceptance.py), tensors.py (the four dtypes and the
TENSOR encoding), writer.py (canonical JSON and manifest), check.py (the --check diff, in memory)
and swap.py (the atomic replacement of golden/). Output is deterministic: the same bytes under
NumPy 1.24 and 2.x (random inputs are drawn as raw PCG64 uint64 words and mapped to floats here;
expected values use libm's longdouble functions and exact rounding, none of NumPy's SIMD paths).
"""

import argparse
import os
import shlex
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from golden_gen import catalogue, check as checking, writer  # noqa: E402
from golden_gen.swap import MANIFEST, write_set  # noqa: E402,F401
from golden_gen.tensors import decode_tensor, encode_tensor  # noqa: E402,F401
from golden_gen.writer import dump_json  # noqa: E402,F401

DEFAULT_SEED = 20261129
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO_ROOT, "golden")


def render(seed, progress=None):
    """All generated files as {relative path: bytes}, the manifest last, plus category counts."""
    cat = catalogue.build(seed, progress=progress)
    files = writer.render(cat, seed, catalogue.DEFAULT_TOLERANCE, catalogue.FLAGS, catalogue.ERROR_KINDS)
    return files, cat.categories


def main(argv=None):
    ap = argparse.ArgumentParser(description="Write (or --check) the golden files of swift-bce.")
    ap.add_argument("--out", "--golden", dest="out", default=DEFAULT_OUT,
                    help="golden folder (default: the repo's golden/)")
    ap.add_argument("--check", action="store_true",
                    help="regenerate in memory; exit 1 naming the cases and fields that differ from --out")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    args = ap.parse_args(argv)

    t0 = time.monotonic()

    def progress(loss, dtype):
        print(f"generate_golden: {loss}/{dtype} ({time.monotonic() - t0:.0f} s)", file=sys.stderr, flush=True)

    files, categories = render(args.seed, progress)
    total = sum(len(d) for d in files.values())
    if args.check:
        problems = checking.check(args.out, files)
        if problems:
            print(f"golden check FAILED: regenerating {args.out} changes {len(problems)} item(s):", file=sys.stderr)
            for p in problems:
                print("  " + p, file=sys.stderr)
            # The hint repeats the options that chose what was checked, so it regenerates that set.
            hint = ["/usr/bin/python3", "-I", "scripts/generate_golden.py"]
            if os.path.abspath(args.out) != os.path.abspath(DEFAULT_OUT):
                hint += ["--out", args.out]
            if args.seed != DEFAULT_SEED:
                hint += ["--seed", str(args.seed)]
            print("regenerate with: " + shlex.join(hint), file=sys.stderr)
            return 1
        print(f"golden check OK: {args.out} matches the generator ({sum(categories.values())} cases,"
              f" {time.monotonic() - t0:.1f} s)")
        return 0
    write_set(args.out, files)
    print(f"wrote {len(files)} files, {total} bytes, to {args.out} in {time.monotonic() - t0:.1f} s")
    for name, n in sorted(categories.items()):
        print(f"  {name:20s} {n:5d}")
    print(f"  {'total':20s} {sum(categories.values()):5d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
