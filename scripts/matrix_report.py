#!/usr/bin/env python3
"""docs/MATRIX.md from the JSON reports of `bce-conformance run --format json` (scripts/matrix.sh).

    /usr/bin/python3 -I scripts/matrix_report.py --out docs/MATRIX.md REPORT.json...

For each report (one implementation): passed / failed / not covered (with the reasons) and the
version it announced; then every failed case explained by the first entry of DEVIATIONS whose
signature it matches (the implementation's name and a pattern of the case: loss, flags, id, the
message, the output and values of its first failing element), with a count and an example case
(its id and, for a value, "expected E, got A"). Failed cases that match no signature are listed
as such, by flag, so a new deviation is visible instead of being folded into a known one.
Standard library only. Exit 1 when an implementation named in --expect-clean has failures
(PyTorch, the specification, must have none), 2 on unreadable input.
"""

import argparse
import fnmatch
import json
import math
import os
import re
import struct
import sys
from collections import Counter, OrderedDict

# -----------------------------------------------------------------------------------------------
# The explanations: one sentence per deviation, keyed by a signature (first match wins). Fields:
#   impl      regex on the implementation's name (the "started" message's name)
#   loss, dtype, reduction   exact values (optional); dtypes: a list of dtypes (optional)
#   flags_any / flags_all    flags of the case (optional)
#   id        glob on the case id (optional)
#   message   regex on the case's messages, joined (optional)
#   output    the output of the first failing element (optional)
#   actual    "zero", "finite", "nonfinite", "nan": the first failing element's value (optional)
#   input_rank  the number of dimensions of the case's input (from the golden file; optional)
#   input_outside (low, high): some element of the case's input (read from the golden file) is
#             <= low or >= high (optional)
# Sentences say what the implementation does differently from PyTorch, never how to fix it.

DEVIATIONS = [
    # --- Keras 3 ---------------------------------------------------------------------------------
    dict(key="keras-empty", impl=r"^Keras$", flags_any=["empty"],
         sentence="Keras returns an empty loss unreduced (reduce_values skips shape (0,)) and divides with "
                  "divide_no_nan, where PyTorch's empty mean is NaN and its empty sum is 0."),
    dict(key="keras-no-range-check", impl=r"^Keras$", message=r"expected error (input|target)_out_of_range, got a result",
         sentence="Keras checks no range: a probability or target outside [0, 1] gives a number where PyTorch raises."),
    dict(key="keras-weight-broadcast", impl=r"^Keras$", message=r"expected error not_broadcastable, got a result",
         sentence="Keras broadcasts a sample_weight that PyTorch refuses because it would enlarge the loss "
                  "(weight (3, 2) on input (2,) gives a (3, 2) loss)."),
    dict(key="keras-clip", impl=r"^Keras$", loss="bce", input_outside=(1e-7, 1 - 1e-7),
         sentence="Keras clips the probability to [1e-7, 1 - 1e-7] before the log (backend.epsilon()) where PyTorch "
                  "clamps each log at -100: at p = 0 the loss is -log(1e-7) = 16.118 instead of 100 and the "
                  "gradients of clipped elements are 0; in float16 and bfloat16 1 - 1e-7 rounds to 1, so p = 1 is "
                  "not clipped at all and the loss is inf."),
    dict(key="keras-float64-mean", impl=r"^Keras$", dtype="float64",
         sentence="Keras' ops.mean on the JAX backend computes in dtypes.result_type(dtype, \"float32\"), float32 "
                  "for float64, so the mean over the last axis inside binary_crossentropy rounds every float64 loss "
                  "and gradient to float32 precision."),
    dict(key="keras-half", impl=r"^Keras$", dtypes=["float16", "bfloat16"],
         sentence="Keras computes float16 and bfloat16 operation by operation in the dtype (jax.numpy), landing "
                  "outside the tolerance of both the exact value and PyTorch's arithmetic."),
    # --- tinygrad --------------------------------------------------------------------------------
    dict(key="tinygrad-no-checks", impl=r"^tinygrad$", message=r"expected error \w+, got (a result|error unrecognised_exception)",
         sentence="tinygrad checks no argument: a probability or target outside [0, 1] gives a number, and mismatched "
                  "shapes fail inside tinygrad (IndexError, RuntimeError, AssertionError) with none of PyTorch's errors."),
    dict(key="tinygrad-0d", impl=r"^tinygrad$", input_rank=0, message=r"grad_(input|target) is missing",
         sentence="tinygrad makes a 0-d tensor a constant (Ops.CONST), which backward() gives no .grad: a 0-d case "
                  "has no gradients."),
    dict(key="tinygrad-no-clamp", impl=r"^tinygrad$", loss="bce", input_outside=(math.exp(-100), 1.0),
         sentence="tinygrad's binary_crossentropy is -(y log p + (1 - y) log(1 - p)) without PyTorch's clamp of each "
                  "log at -100: at p = 0 or 1 the loss is inf, or NaN where 0 · log 0 appears, instead of 100 or 0."),
    dict(key="tinygrad-epsilon", impl=r"^tinygrad$", loss="bce", flags_any=["epsilon", "nearest-neighbour"], output="grad_input",
         sentence="tinygrad's grad_input is the derivative of its formula, -y/p + (1 - y)/(1 - p), without PyTorch's "
                  "denominator max((1 - p) p, EPSILON): next to 0 and 1 it is off by orders of magnitude."),
    dict(key="tinygrad-logaddexp-infinity", impl=r"^tinygrad$", loss="bce_with_logits", flags_any=["infinity"],
         sentence="tinygrad's logsigmoid goes through logaddexp, max + log(exp(a - max) + exp(b - max)), which at "
                  "x = ±inf is inf - inf = NaN where PyTorch gives an infinity or a finite gradient."),
    dict(key="tinygrad-half", impl=r"^tinygrad$", dtypes=["float16", "bfloat16"],
         sentence="tinygrad computes float16 and bfloat16 operation by operation in the dtype (logsigmoid through "
                  "logaddexp, log(1 - p) after rounding 1 - p), landing outside the tolerance of both the exact value "
                  "and PyTorch's arithmetic."),
    dict(key="tinygrad-logsigmoid-precision", impl=r"^tinygrad$", loss="bce_with_logits", flags_any=["large-pos-weight"],
         sentence="tinygrad's logsigmoid of a large logit is log(1 + exp(-x)) through logaddexp, not log1p: in float32 "
                  "logsigmoid(9.94) is off by 4.5e-4 of itself, an error the pos_weight multiplies until it dominates "
                  "the loss and the gradients."),
    # --- JAX / optax -----------------------------------------------------------------------------
    dict(key="jax-no-checks", impl=r"^JAX", message=r"expected error \w+, got (a result|error unrecognised_exception)",
         sentence="optax checks no argument: it broadcasts logits against labels of another shape (or jax.numpy "
                  "fails with its own TypeError / ValueError), where PyTorch raises."),
    dict(key="jax-half-rounding", impl=r"^JAX", dtypes=["float16", "bfloat16"],
         sentence="In float16 and bfloat16 optax's two log σ terms, and JAX's derivatives of them, are each rounded "
                  "in the dtype, so results (mostly grad_input) land a few ULP from both the exact value and "
                  "PyTorch's σ(x) - y, beyond the dtype's tolerance."),
    # --- JAX and Keras (the same log σ form) ----------------------------------------------------
    dict(key="log-sigmoid-infinity", impl=r"^(JAX|Keras$)", loss="bce_with_logits", flags_any=["infinity"],
         sentence="optax and Keras compute -y log σ(x) - (1 - y) log σ(-x), which at x = -inf and y = 1 is inf "
                  "(the limit) where PyTorch's (1 - y) x - log σ(x) is -inf + inf = NaN."),
]

NOT_COVERED = ("skipped", "not_covered")
GOLDEN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden")
_golden_cases = {}


def golden_tensor(case):
    """The golden case's input TENSOR (each golden file read once)."""
    path = os.path.join(GOLDEN, case["file"])
    if path not in _golden_cases:
        with open(path, encoding="utf-8") as f:
            _golden_cases[path] = {c["id"]: c for c in json.load(f)["cases"]}
    golden = _golden_cases[path].get(case["id"])
    if golden is None:
        raise KeyError(f"case {case['id']} is not in {path}: the report is of another suite than --golden")
    return golden["inputs"]["input"]


def golden_input(case):
    return decode(golden_tensor(case))


def decode(tensor):
    """A golden TENSOR's elements as floats (golden/FORMAT.md: big-endian IEEE bits in hex)."""
    raw = bytes.fromhex(tensor["hex"])
    if tensor["dtype"] == "bfloat16":  # the upper half of a float32
        raw = b"".join(raw[i:i + 2] + b"\0\0" for i in range(0, len(raw), 2))
    code = {"float16": "e", "bfloat16": "f", "float32": "f", "float64": "d"}[tensor["dtype"]]
    return list(struct.unpack(f">{len(raw) // struct.calcsize(code)}{code}", raw))


def matches(entry, impl, case):
    if "impl" in entry and not re.search(entry["impl"], impl):
        return False
    for field in ("loss", "dtype", "reduction"):
        if field in entry and case.get(field) != entry[field]:
            return False
    if "dtypes" in entry and case.get("dtype") not in entry["dtypes"]:
        return False
    flags = set(case.get("flags", []))
    if "flags_any" in entry and not flags & set(entry["flags_any"]):
        return False
    if "flags_all" in entry and not set(entry["flags_all"]) <= flags:
        return False
    if "id" in entry and not fnmatch.fnmatchcase(case["id"], entry["id"]):
        return False
    if "message" in entry and not re.search(entry["message"], " | ".join(case.get("messages", []))):
        return False
    if "input_rank" in entry and len(golden_tensor(case)["shape"]) != entry["input_rank"]:
        return False
    if "input_outside" in entry:
        low, high = entry["input_outside"]
        if not any(v <= low or v >= high for v in golden_input(case) if not math.isnan(v)):
            return False
    first = (case.get("mismatches") or [None])[0]
    if "output" in entry and (first is None or first.get("output") != entry["output"]):
        return False
    if "actual" in entry and (first is None or value_kind(first.get("actual")) != entry["actual"]):
        return False
    return True


def number(v):
    """A report value: a number, or "nan" / "inf" / "-inf" (JSONReport's non-finite strings)."""
    return float(v) if isinstance(v, (int, float, str)) else math.nan


def value_kind(v):
    x = number(v)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "nonfinite"
    return "zero" if x == 0 else "finite"


def fmt(v, digits=5):
    x = number(v)
    if math.isnan(x) or math.isinf(x):
        return str(x)
    return f"{x:.{digits}g}"


def digits_apart(a, b):
    """The fewest significant digits (at least 5) that print a and b differently, if any do."""
    for digits in range(5, 18):
        if fmt(a, digits) != fmt(b, digits):
            return digits
    return 17


def example_text(case):
    """`id` output[index]: expected E (pytorch-cpu: P), got A   (or the case's first message).

    P: an acceptable alternative's value for that element, shown when it is not E as printed."""
    first = (case.get("mismatches") or [None])[0]
    if first is not None:
        n = digits_apart(first["expected"], first["actual"])
        also = "".join(f" ({a['source']}: {fmt(a['value'], n)})" for a in first.get("acceptable") or []
                       if fmt(a["value"], n) != fmt(first["expected"], n))
        return (f"`{case['id']}` {first['output']}[{first['index']}]: expected {fmt(first['expected'], n)}{also}, "
                f"got {fmt(first['actual'], n)}")
    message = (case.get("messages") or ["(no message)"])[0]
    return f"`{case['id']}`: {message if len(message) <= 160 else message[:157] + '...'}"


def example_rank(case):
    """Prefer float32 / reduction none / short ids as examples: the plainest case of a deviation."""
    return (case.get("dtype") != "float32", case.get("reduction") != "none", len(case["id"]), case["id"])


def not_covered_reason(case):
    reason = case.get("reason") or (case.get("messages") or ["(no reason given)"])[0]
    return re.sub(r"\s+\(\w+_port\)$", "", reason)


def read_reports(paths):
    """The reports, those of one implementation (same name and version: --shard runs) merged into one."""
    merged = OrderedDict()
    for path in paths:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
        info = report.get("implementation") or {}
        key = (info.get("name", path), info.get("version"))
        if key in merged:
            first = merged[key]
            first["cases"] = (first.get("cases") or []) + (report.get("cases") or [])
            first["implementation_failure"] = first.get("implementation_failure") or report.get("implementation_failure")
            verdicts = {(first.get("summary") or {}).get("verdict"), (report.get("summary") or {}).get("verdict")}
            if "summary" in first and len(verdicts) > 1:
                first["summary"]["verdict"] = next(v for v in ("NOT CONFORMANT", "CONFORMANT", "NOTHING COMPARED")
                                                   if v in verdicts)
        else:
            merged[key] = report
    return [Implementation(report, key[0]) for key, report in merged.items()]


class Implementation:
    def __init__(self, report, path):
        info = report.get("implementation") or {}
        self.path = path
        self.name = info.get("name", os.path.basename(path))
        self.version = info.get("version", "unknown")
        self.suite = report.get("suite") or {}
        self.runner = report.get("runner") or {}
        self.failure = report.get("implementation_failure")
        self.coverage = report.get("coverage") or {}
        self.runner_verdict = (report.get("summary") or {}).get("verdict")
        self.capabilities = info.get("capabilities")  # protocol version 2 runners report them
        # the port's protocol version; the in-process library has none (its report still has capabilities)
        self.protocol = info.get("protocol_version") or ("in-process" if self.capabilities is not None else 1)
        cases = report.get("cases") or []
        self.total = len(cases)
        self.status = Counter(c["status"] for c in cases)
        self.passed = self.status["passed"] + self.status["expected_failure"]
        self.failed = [c for c in cases if c["status"] in ("failed", "unexpected_pass")]
        self.not_covered = Counter(not_covered_reason(c) for c in cases if c["status"] in NOT_COVERED)
        self.explained = OrderedDict()  # key -> (entry, [cases])
        self.unexplained = []
        for case in self.failed:
            entry = next((e for e in DEVIATIONS if matches(e, self.name, case)), None)
            if entry is None:
                self.unexplained.append(case)
            else:
                self.explained.setdefault(entry["key"], (entry, []))[1].append(case)

    def verdict(self):
        if self.failure:
            return "BROKE: " + self.failure.get("message", "")
        if self.runner_verdict:  # protocol version 2 runners say it themselves
            covered = " (for what it declares)" if self.runner_verdict == "CONFORMANT" and self.not_covered else ""
            return self.runner_verdict + covered
        compared = self.total - sum(self.not_covered.values())
        if compared == 0:
            return "NOTHING COMPARED"
        if self.failed:
            return "NOT CONFORMANT"
        return "CONFORMANT" + (" (for what it covers)" if self.not_covered else "")


def cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(impls):
    lines = []
    suites = {(i.suite.get("version"), i.suite.get("manifest_sha256")) for i in impls}
    lines.append("# Conformance matrix")
    lines.append("")
    lines.append("Generated by `scripts/matrix.sh` (tables by `scripts/matrix_report.py` from the JSON reports of "
                 "`bce-conformance run --format json`; do not edit by hand). Every golden case, default mode: an "
                 "element passes within tolerance of the exact value or of PyTorch's own CPU arithmetic "
                 "(docs/CONTRACTS.md section 0). Not covered: a case outside what the implementation declares "
                 "(docs/CONTRACTS.md section 5.1), never counted as passed.")
    lines.append("")
    for version, sha in sorted(suites, key=str):
        lines.append(f"Suite {version}, MANIFEST.json sha256 `{(sha or '?')[:16]}…`.")
    if len(suites) > 1:
        lines.append("")
        lines.append("**The reports come from different suites: regenerate them together.**")
    lines.append("")
    lines.append("| Implementation | Version | Cases | Passed | Failed | Not covered | Verdict | Protocol |")
    lines.append("|---|---|---:|---:|---:|---:|---|---:|")
    for i in impls:
        lines.append(f"| {cell(i.name)} | {cell(i.version)} | {i.total} | {i.passed} | {len(i.failed)} | "
                     f"{sum(i.not_covered.values())} | {cell(i.verdict())} | {i.protocol} |")
    lines.append("")
    if any(i.protocol == 1 for i in impls):
        lines.append("Protocol 1: a report from a runner or port without capabilities; there the cases a framework "
                     "does not implement are failures or the port's own skips, not \"not covered\".")
        lines.append("")

    declared = [i for i in impls if i.capabilities is not None]
    if declared:
        lines.append("## What each declares (protocol version 2 capabilities)")
        lines.append("")
        lines.append("| Implementation | Losses | Dtypes | Reductions | Outputs | Arguments | Errors it checks | Notes |")
        lines.append("|---|---|---|---|---|---|---|---|")
        for i in declared:
            caps = i.capabilities
            fields = [", ".join(caps.get(f) or []) or "none" for f in
                      ("losses", "dtypes", "reductions", "outputs", "arguments", "errors")]
            lines.append(f"| {cell(i.name)} | " + " | ".join(cell(f) for f in fields) + f" | {cell(caps.get('notes', ''))} |")
        lines.append("")

    if any(i.not_covered for i in impls):
        lines.append("## Not covered, by reason")
        lines.append("")
        lines.append("| Implementation | Reason | Cases |")
        lines.append("|---|---|---:|")
        for i in impls:
            for reason, n in sorted(i.not_covered.items(), key=lambda kv: (-kv[1], kv[0])):
                lines.append(f"| {cell(i.name)} | {cell(reason)} | {n} |")
        lines.append("")

    lines.append("Rerun: `scripts/matrix.sh` (all), or `scripts/matrix.sh NAME...` for some of swift numpy c torch jax "
                 "keras tinygrad; the JSON reports (and, with a runner that has `--html`, one page per implementation) "
                 "are in .build/matrix/.")
    lines.append("")
    lines.append("## Deviations from PyTorch")
    lines.append("")
    lines.append("Each failed case under the first explanation whose signature it matches (scripts/matrix_report.py "
                 "DEVIATIONS); the example is the plainest such case, with its first failing element.")
    lines.append("")
    for i in impls:
        lines.append(f"### {i.name}")
        lines.append("")
        if not i.failed:
            lines.append("No failed case." if not i.failure else "The run broke: " + cell(i.failure.get("message", "")))
            lines.append("")
            continue
        lines.append("| Deviation | Cases | Example |")
        lines.append("|---|---:|---|")
        for entry, cases in i.explained.values():
            example = min(cases, key=example_rank)
            lines.append(f"| {cell(entry['sentence'])} | {len(cases)} | {cell(example_text(example))} |")
        if i.unexplained:
            flags = Counter(f for c in i.unexplained for f in c.get("flags", []))
            top = ", ".join(f"{f} {n}" for f, n in flags.most_common(6)) or "no flags"
            example = min(i.unexplained, key=example_rank)
            lines.append(f"| Not explained yet (by flag: {cell(top)}) | {len(i.unexplained)} | "
                         f"{cell(example_text(example))} |")
        lines.append("")
    return "\n".join(lines)


def write_atomically(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None):
    global GOLDEN  # noqa: PLW0603 (read by golden_input)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", help="JSON reports of bce-conformance run --format json")
    parser.add_argument("--out", help="the Markdown file to write (default: stdout)")
    parser.add_argument("--golden", default=GOLDEN, help="the golden directory the reports were run on (default: %(default)s)")
    parser.add_argument("--expect-clean", action="append", default=[], metavar="NAME",
                        help="exit 1 if the implementation of this name has a failed case (repeatable)")
    args = parser.parse_args(argv)
    GOLDEN = args.golden
    try:
        impls = read_reports(args.reports)
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"matrix_report: cannot read the reports: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    text = render(impls) + "\n"
    if args.out:
        write_atomically(args.out, text)
        print(f"matrix_report: wrote {args.out} ({len(impls)} implementations)")
    else:
        sys.stdout.write(text)
    status = 0
    for name in args.expect_clean:
        found = [i for i in impls if i.name == name]
        if not found:
            print(f"matrix_report: no report of {name}", file=sys.stderr)
            status = 1
        for i in found:
            if i.failed or i.failure:
                print(f"matrix_report: {name} has {len(i.failed)} failed cases"
                      f"{' and broke' if i.failure else ''}", file=sys.stderr)
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
