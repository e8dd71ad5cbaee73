"""The case catalogue of the golden files: what is tested, as data (points, flags, per-dtype
parameters) and the functions that turn it into cases (`build`). Every case goes through
`cases.Catalogue.add`, which evaluates it with bce_reference and adds PyTorch's arithmetic.
"""

from fractions import Fraction

import numpy as np

import bce_reference as ref

from . import acceptance
from .cases import Catalogue
from .tensors import DTYPE_NAMES, consts as dtype_consts, next_toward, round_to, scalar as f

LARGE_N = 100_000

DEFAULT_TOLERANCE = {  # docs/CONTRACTS.md sections 0 and 3 (assert_close's, float64 tightened in version 2)
    "float16": {"rtol": 1e-3, "atol": 1e-5},
    "bfloat16": {"rtol": 1.6e-2, "atol": 1e-5},
    "float32": {"rtol": 1.3e-6, "atol": 1e-5},
    "float64": {"rtol": 1e-10, "atol": 1e-12},
}
# Sums and means over 100,000 elements, by (dtype, reduction), with why. float16: a port summing
# pairwise in float16 has a relative error up to about (log2(n) + block) * eps (~26 eps, ~1e-2),
# beyond the 1e-3 default; naive left-to-right summation in float16 stays far outside (80% and
# more). float32 mean: about 1, where the default atol 1e-5 (83 ULP) would admit naive float32
# summation (4.7e-6 off on bce), so atol is 0 there (tighter than the default). Elsewhere the
# default decides. PyTorch accumulates float16/bfloat16 in float32 and sums float32 by a cascade,
# within these (its alternative is recorded); pairwise summation in the dtype passes them and naive
# summation fails them (scripts/tests/test_generate_golden.py, LargeReductions). Suite 1.0.0 had
# float32 rtol 4e-6 atol 1e-5: naive float32 summation passed its mean cases.
LARGE_TOLERANCE = {
    ("float16", "sum"): ({"rtol": 1e-2, "atol": 1e-5}, "rtol 1e-2 allows pairwise summation in float16"),
    ("float16", "mean"): ({"rtol": 1e-2, "atol": 1e-5}, "rtol 1e-2 allows pairwise summation in float16"),
    ("float32", "mean"): ({"rtol": 1.3e-6, "atol": 0.0}, "atol 0: at a mean of about 1 the default atol 1e-5 would admit naive float32 summation"),
}

# Per-dtype parameters of the catalogue.
EXP_OVERFLOW = {"float16": 11.09, "bfloat16": 88.72, "float32": 88.72, "float64": 709.78}  # exp(x) overflows above
LOGIT_SPAN = {"float16": 12.0, "bfloat16": 30.0, "float32": 30.0, "float64": 40.0}  # random logits in [-span, span)
# float16: the sum of 12 losses must stay below 65504
LARGE_POS_WEIGHT = {"float16": 100.0, "bfloat16": 1e6, "float32": 1e6, "float64": 1e6}
# where PyTorch's literal formula cancels softplus(x) to 0 with a negative pos_weight (float16: -10,
# whose softplus is still a float16 value)
NEGATIVE_POS_WEIGHT_LOGIT = {"float16": -10.0, "bfloat16": -40.0, "float32": -40.0, "float64": -40.0}
# float16 large reductions carry weight 0.0625 so that summing in float16 cannot overflow
LARGE_REDUCTION_WEIGHT = {"float16": 0.0625}
# Sums that overflow the dtype although every element is finite: (elements, loss per element,
# weight (1,) or None). float16: 1000 losses of 100; bfloat16 (float32's range): 4 losses of 100
# weighted by 2e36.
REDUCTION_OVERFLOW = {"float16": (1000, None), "bfloat16": (4, 2e36)}
BCE_TARGETS = [0.0, 1.0, 0.5, 0.3]
LOGIT_TARGETS = [0.0, 1.0, 0.25, -0.5, 1.5]
LOGIT_POINTS = [0.0, "min_sub", 1.0, 10.0, 20.0, 30.0, 50.0, 88.7, 89.0, 100.0, 700.0, 710.0, 1e4, 1e30, "max", np.inf]

FLAGS = {
    "boundary": "probability exactly 0 or 1: log(0) = -inf must be clamped, and the gradients are infinite or huge there",
    "log-clamp": "log(x) or log1p(-x) at or near PyTorch's -100 clamp: a missing or misplaced clamp changes the loss",
    "subnormal": "subnormal input: flush-to-zero or a log/exp that mishandles subnormals gives a different value",
    "nearest-neighbour": "the representable neighbour of 0, 1 or another edge: catches formulas that round 1 - x to 0 or x to 1",
    "epsilon": "the BCE gradient's denominator max((1 - x) * x, EPSILON) is at EPSILON (PyTorch's float 1e-12 in the dtype: 9.99999996e-13 in float32 and float64, 1.0019e-12 in bfloat16, 0 in float16)",
    "gradient-nonfinite": "a gradient is +-inf or NaN by PyTorch's formula (division by EPSILON = 0 in float16, log(0) in d/dtarget, 0 * inf)",
    "soft-target": "target strictly between 0 and 1: both terms of the loss contribute",
    "target-outside-unit-interval": "bce_with_logits target outside [0, 1]: allowed (no range check); formulas that assume y in [0, 1] break; with pos_weight >= 0 the loss's two terms (1 - y) softplus(x) and p y softplus(-x) have opposite signs, so strict ULP mode skips those loss elements (docs/RUNNER.md)",
    "large-logit": "|logit| large: exp(|x|) overflows or 1 + exp(-|x|) rounds to 1; a naive log(sigmoid(x)) gives -inf or NaN",
    "exp-overflow": "exp(|x|) overflows the dtype (|x| > 11.09 in float16, 88.72 in bfloat16 and float32, 709.78 in float64)",
    "dtype-overflow": "the value the case names is not representable in the dtype and became +-inf (e.g. 1e30 or 1e4 in float16)",
    "infinity": "input +-inf: the golden value is PyTorch's formula in IEEE arithmetic (inf, -inf or NaN), not the mathematical limit",
    "nan": "NaN input: must propagate (bce_with_logits) or be rejected (bce)",
    "weight": "elementwise rescaling weight, broadcast by trailing alignment to the input's shape",
    "negative-weight": "negative weights: the loss and gradients change sign; no abs() or clamping allowed",
    "zero-weight": "zero weights: 0 * inf is NaN, otherwise the element contributes 0 (but still counts in the mean's numel)",
    "pos-weight": "bce_with_logits pos_weight, broadcast by trailing alignment ((C,) on the last dim, (C, 1, 1) per channel)",
    "zero-pos-weight": "pos_weight 0: the positive term vanishes; log_weight = 1 - y",
    "large-pos-weight": "large pos_weight: the positive term dominates and may overflow",
    "negative-pos-weight": "negative pos_weight: allowed (no range check); log_weight = (p - 1) * y + 1 changes sign and PyTorch's literal formula cancels (y = 0, x = -40: 0 instead of softplus(-40) = 4.2e-18); for 0 < y < 1 the loss's two terms have opposite signs, so strict ULP mode skips those loss elements (docs/RUNNER.md)",
    "broadcast": "an argument smaller than the input is broadcast to it",
    "zero-dim": "0-d tensors (shape []): one element, no dimensions",
    "empty": "zero elements: none gives an empty tensor, sum gives 0, mean gives NaN (0 / 0)",
    "large-reduction": "sum or mean over 100,000 elements: naive left-to-right accumulation in the dtype drifts and fails; pairwise summation in the dtype passes (in float16 through the per-case rtol 1e-2; the float32 means have atol 0, since the default atol would admit naive summation at a mean of about 1)",
    "reduction-overflow": "the sum overflows the dtype to +inf although every element is finite (float16; bfloat16 with a large weight)",
    "random": "seeded random inputs (PCG64 raw words mapped to floats) across shapes, weights and targets",
    "grad-output": "an upstream gradient other than 1 (including 0 and negative values) scales the gradients",
    "shape": "a shape edge: 0-d, (1,), empty, 1-d, 2-d or 4-d (B, C, H, W)",
    acceptance.FLAG: "an acceptable alternative (PyTorch's own CPU arithmetic in the case dtype, see the case's \"acceptable\") has an element outside the default tolerance of the exact value: the verdict accepts either (docs/ACCEPTANCE.md)",
    "float64-precision": "inputs or results that float32 cannot represent (1 - 1e-10, 1 + 1e-9, a softplus term below float32's resolution): a port computing float64 in float32 fails here",
    "invalid": "invalid arguments: the port must report the error kind named in expected_error (one cause per case)",
}

ERROR_KINDS = {
    "shape_mismatch": "target's shape differs from input's (PyTorch requires equal shapes; no broadcasting)",
    "input_out_of_range": "bce only: an input element is outside [0, 1] or NaN",
    "target_out_of_range": "bce only: a target element is outside [0, 1] or NaN",
    "not_broadcastable": "weight or pos_weight does not broadcast to the input's shape, or would enlarge it; or grad_output does not fit the reduction",
}



def clamp_neighbours(dtype):
    """The dtype values just below and at-or-above exp(-100) (log(x) crosses PyTorch's -100 clamp)."""
    c = np.exp(np.longdouble(-100))
    v = float(round_to(np.array(c), dtype)[()])
    if np.longdouble(v) >= c:
        hi, lo = v, next_toward(v, 0.0, dtype)
    else:
        lo, hi = v, next_toward(v, 1.0, dtype)
    if lo <= 0:
        return None
    return lo, hi


def epsilon_crossing(dtype):
    """The smallest dtype value x with (1 - x) * x > EPSILON, exactly."""
    eps = Fraction(ref.epsilon(dtype))
    x = f(dtype, float(eps + eps * eps))
    while (1 - Fraction(x)) * Fraction(x) > eps:
        x = next_toward(x, 0.0, dtype)
    while (1 - Fraction(x)) * Fraction(x) <= eps:
        x = next_toward(x, 1.0, dtype)
    return x


def bce_point_cases(cat, dtype, red):
    c = dtype_consts(dtype)
    loss = "bce"
    pts = [
        ("p0", 0.0, "input exactly 0: log(0) = -inf clamps at -100 (loss 100 * y); log1p(-0) = 0",
         ["boundary", "log-clamp", "gradient-nonfinite", "epsilon"]),
        ("p1", 1.0, "input exactly 1: log1p(-1) = -inf clamps at -100 (loss 100 * (1 - y)); the log1p(-x) clamp is reachable only at x = 1 in every dtype (1 - x >= eps/2 otherwise)",
         ["boundary", "log-clamp", "gradient-nonfinite", "epsilon"]),
        ("p-min-subnormal", c["min_sub"],
         "input is the smallest subnormal: log(x) = %.4f%s" % (np.log(c["min_sub"]),
                                                              " (beyond -100: clamped)" if np.log(c["min_sub"]) < -100 else
                                                              " (the -100 clamp is unreachable in %s except at x = 0)" % dtype),
         ["subnormal", "nearest-neighbour", "epsilon"] + (["log-clamp"] if np.log(c["min_sub"]) < -100 else [])),
        ("p-max-subnormal", c["max_sub"], "input is the largest subnormal: log(x) = %.4f" % np.log(c["max_sub"]),
         ["subnormal", "epsilon"] + (["log-clamp"] if np.log(c["max_sub"]) < -100 else [])),
        ("p-min-normal", c["min_normal"], "input is the smallest normal: log(x) = %.4f" % np.log(c["min_normal"]),
         ["epsilon"] + (["log-clamp"] if np.log(c["min_normal"]) < -100 else [])),
        ("p-below-1", c["below_one"], "input is the largest value below 1: 1 - x = eps/2, log1p(-x) = %.4f" % np.log(1 - c["below_one"]),
         ["nearest-neighbour"]),
        ("p-half", 0.5, "input 0.5: every loss term is log(2); d/dtarget is exactly 0", []),
        ("p-above-half", c["above_half"], "input just above 0.5: d/dtarget = -logit(x) is tiny and needs log(x) - log1p(-x) without cancellation", ["nearest-neighbour"]),
        ("p-1e-3", f(dtype, 1e-3), "input 1e-3 (as rounded to the dtype)", []),
        ("p-0-999", f(dtype, 0.999), "input 0.999 (as rounded to the dtype)", []),
    ]
    cn = clamp_neighbours(dtype)
    if cn is not None:
        lo, hi = cn
        pts.append(("clamp-below", lo, "largest input with log(x) < -100 (log(x) = %.6f): clamped to -100" % np.log(np.longdouble(lo)),
                    ["log-clamp", "subnormal" if lo < c["min_normal"] else "nearest-neighbour", "epsilon"]))
        pts.append(("clamp-above", hi, "smallest input with log(x) >= -100 (log(x) = %.6f): not clamped" % np.log(np.longdouble(hi)),
                    ["log-clamp", "subnormal" if hi < c["min_normal"] else "nearest-neighbour", "epsilon"]))
    eps = ref.epsilon(dtype)
    if eps != 0:  # float16's EPSILON is 0: 1e-12 is not representable
        pts.append(("epsilon-edge", eps,
                    "input EPSILON = %r (PyTorch's float 1e-12 in the dtype): (1 - x) * x is just below EPSILON, so the gradient divides by EPSILON" % eps,
                    ["epsilon"]))
        pts.append(("epsilon-edge-above", epsilon_crossing(dtype),
                    "smallest input with (1 - x) * x > EPSILON in exact arithmetic: the gradient divides by (1 - x) * x,"
                    " not by EPSILON (a port rounding (1 - x) * x in the dtype may be 1 ULP off here)",
                    ["epsilon", "nearest-neighbour"]))
    for name, x, comment, flags in pts:
        n = len(BCE_TARGETS)
        cat.add("probability-edges", loss, dtype, red, name, comment + "; targets 0, 1, 0.5, 0.3",
                flags + ["soft-target"], [x] * n, BCE_TARGETS)


def logit_point_cases(cat, dtype, red):
    c = dtype_consts(dtype)
    loss = "bce_with_logits"
    n = len(LOGIT_TARGETS)
    for v in LOGIT_POINTS + ["nan"]:
        if v == "nan":
            name, x, comment, flags = "logit-nan", np.nan, "input NaN: loss and gradients are NaN", ["nan"]
            xs = [np.nan] * (2 * n)
        else:
            raw = c[v] if isinstance(v, str) else v
            x = f(dtype, raw)
            label = {"min_sub": "min-subnormal", "max": "max"}.get(v, None) if isinstance(v, str) else None
            if label is None:
                label = "inf" if raw == np.inf else ("%g" % raw).replace("+", "")
            name = "logit-pm-" + label
            flags = []
            comment = "inputs +-%r" % raw if isinstance(v, float) else "inputs +-%s (%r)" % (label, x)
            if x != raw and np.isfinite(raw):
                comment += " (%r in the dtype)" % x
            if np.isinf(x) and np.isfinite(raw):
                flags.append("dtype-overflow")
                comment += ": overflows the dtype, so this is the +-inf case"
            if np.isinf(x):
                flags.append("infinity")
                comment += ("; PyTorch's formula in IEEE arithmetic: x = +inf gives +inf for y < 1, NaN for y = 1, -inf for y > 1;"
                            " x = -inf gives NaN (-inf + inf) unless y > 1 (+inf)")
            elif abs(x) > EXP_OVERFLOW[dtype]:
                flags.append("exp-overflow")
            if np.isfinite(x) and abs(x) >= 10:
                flags.append("large-logit")
            if v == "min_sub":
                flags.append("subnormal")
            xs = [x] * n + [-x] * n
        if v == "max":
            # Soft or out-of-range targets would make PyTorch's own (1 - y) * x or
            # logsigmoid(x) * log_weight overflow while the exact loss is finite, and two losses
            # near the maximum make the sum overflow while the exact mean is finite: values that are
            # implementation-defined (see _guard_implementation_defined) are left out.
            ys, ys_p = [0.0, 1.0, 1.0, 1.0, 1.0] + [0.0] * n, [0.0, 1.0, 1.0, 1.0, 1.0] + [1.0] * n
            comment += ("; targets 0 and 1 only, at most one loss near the maximum: with soft targets PyTorch's"
                        " intermediates overflow where the exact loss is finite")
        else:
            ys = ys_p = LOGIT_TARGETS * 2
            comment += "; targets 0, 1, 0.25, -0.5, 1.5 on each sign"
            flags = flags + ["soft-target", "target-outside-unit-interval"]
        cat.add("logit-edges", loss, dtype, red, name, comment, flags, xs, ys)
        if red != "none":
            continue  # the pos_weight variant elementwise only (keeps golden/ small)
        cat.add("logit-edges", loss, dtype, red, name + "-pos-weight",
                comment + "; pos_weight (5,) = [0, 1, 2.5, 0.5, 30] on the last dim", flags + ["pos-weight", "zero-pos-weight", "broadcast"],
                np.array(xs).reshape(2, n), np.array(ys_p).reshape(2, n), pos_weight=[0.0, 1.0, 2.5, 0.5, 30.0])


def random_probs(r, n, exact_ends=True):
    x = r.uniform(n)
    if exact_ends and n >= 4:
        pick = r.choice(n, 16)
        x = np.where(pick == 0, 0.0, np.where(pick == 1, 1.0, x))
    return x


def random_targets(r, n, loss):
    y = r.uniform(n)
    pick = r.choice(n, 4)
    y = np.where(pick == 0, 0.0, np.where(pick == 1, 1.0, y))
    if loss == "bce_with_logits":
        y = np.where(r.choice(n, 8) == 0, r.uniform(n, -1.0, 2.0), y)
    return y


def random_inputs(r, n, loss, dtype):
    if loss == "bce":
        return random_probs(r, n)
    span = LOGIT_SPAN[dtype]
    return r.uniform(n, -span, span)


def weight_cases(cat, loss, dtype, red):
    shape = (4, 3)
    base = f"{loss}/{dtype}/{red}/weights"
    r = cat.rng(base)
    x = random_inputs(r, 12, loss, dtype).reshape(shape)
    y = random_targets(r, 12, "bce").reshape(shape)
    variants = [
        ("weight-none", None, "no weight", []),
        ("weight-scalar-shape-1", [0.75], "weight of shape (1,) broadcast to every element", ["broadcast"]),
        ("weight-per-class", [0.5, 2.0, 1.25], "weight (C,) = (3,) lines up with the last dim", ["broadcast"]),
        ("weight-per-row", [[0.5], [1.0], [2.0], [3.0]], "weight (N, 1) = (4, 1) broadcast along the last dim", ["broadcast"]),
        ("weight-full", r.uniform(12, 0.0, 3.0).reshape(shape), "weight of the input's full shape", []),
        ("weight-zeros", [0.0, 0.0, 0.0], "all-zero weight (C,): loss and gradients 0; the mean still divides by numel", ["zero-weight", "broadcast"]),
        ("weight-negative", [-1.0, 0.5, -2.5], "negative weights (C,): signs flip", ["negative-weight", "broadcast"]),
    ]
    for name, w, comment, flags in variants:
        cat.add("weights", loss, dtype, red, name, comment + "; random (4, 3) inputs, targets 0, 1 or soft",
                flags + (["weight"] if w is not None else []) + ["random"], x, y, weight=w)
    # the weight-zero times infinity edge: bce float16 at x = 0 gives inf gradient * 0 = NaN
    if loss == "bce":
        cat.add("weights", loss, dtype, red, "weight-zero-at-boundary",
                "weight 0 on inputs exactly 0 and 1: the loss is 0 (clamped log), the gradient is 0 * (+-huge or +-inf) (NaN in float16)",
                ["zero-weight", "boundary", "weight", "gradient-nonfinite"], [0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0], weight=[0.0])
    else:
        cat.add("weights", loss, dtype, red, "weight-zero-at-infinity",
                "weight 0 on infinite logits: 0 * inf = NaN in the loss where the unweighted loss is infinite",
                ["zero-weight", "infinity", "weight"], [np.inf, -np.inf, np.inf, 3.0], [0.0, 1.0, 1.5, 0.5], weight=[0.0])


def pos_weight_cases(cat, dtype, red):
    loss = "bce_with_logits"
    base = f"{loss}/{dtype}/{red}/pos-weights"
    r = cat.rng(base)
    x = random_inputs(r, 12, loss, dtype).reshape(4, 3)
    y = random_targets(r, 12, "bce").reshape(4, 3)
    large = LARGE_POS_WEIGHT[dtype]
    variants = [
        ("pos-weight-ones", [1.0, 1.0, 1.0], "pos_weight of ones (C,): equal to no pos_weight", []),
        ("pos-weight-per-class", [0.25, 1.0, 4.0], "pos_weight (C,) = (3,) on the last dim", []),
        ("pos-weight-zeros", [0.0, 0.0, 0.0], "pos_weight zeros: only the (1 - y) * softplus(x) term remains", ["zero-pos-weight"]),
        ("pos-weight-large", [large, large, large], "pos_weight %g: the positive term dominates" % large, ["large-pos-weight"]),
        ("pos-weight-shape-1", [3.0], "pos_weight (1,) broadcast to every element", []),
    ]
    for name, p, comment, flags in variants:
        if name == "pos-weight-large":
            # d/dx = (t + 1 - y) * sigmoid(x) - t with t = p * y ~ 1e6 cancels: PyTorch's own result is
            # off by ~eps * t absolutely, far beyond the default atol; its acceptable alternative
            # records it (suite 1.0.0 loosened atol to 8 ULP of the scale instead).
            comment += "; d/dx cancels between terms of size p * y in PyTorch's formula"
        cat.add("pos-weights", loss, dtype, red, name, comment + "; random (4, 3) logits, targets 0, 1 or soft",
                flags + ["pos-weight", "broadcast", "random"], x, y, pos_weight=p)
        if name not in ("pos-weight-per-class", "pos-weight-zeros"):
            continue
        cat.add("pos-weights", loss, dtype, red, name + "-weighted", comment + "; with weight (C,) = [2, 0.5, -1]",
                flags + ["pos-weight", "broadcast", "random", "weight", "negative-weight"], x, y, pos_weight=p, weight=[2.0, 0.5, -1.0])
    # Negative pos_weight: y = 0 is softplus(x) whatever p is, y = 1 is p * softplus(-x), y = 2 has
    # two negative terms; y = 0.25 has terms of opposite signs.
    xn = NEGATIVE_POS_WEIGHT_LOGIT[dtype]
    for name, ys, comment in (
            ("pos-weight-negative", [0.0, 1.0, 2.0, 0.25],
             "targets 0, 1, 2, 0.25; the 0.25 elements' two terms have opposite signs"),
            ("pos-weight-negative-one-sign", [0.0, 1.0, 2.0, 0.0],
             "targets 0, 1, 2: every element's terms have one sign, so strict ULP applies to the mean and sum too")):
        cat.add("pos-weights", loss, dtype, red, name,
                f"pos_weight (1,) = -2 on logits {xn:g} (row 0) and {-xn:g} (row 1); " + comment
                + "; y = 0 at x = %g is softplus(%g), which PyTorch's literal formula cancels to 0" % (xn, xn),
                ["pos-weight", "negative-pos-weight", "broadcast", "large-logit", "soft-target", "target-outside-unit-interval"]
                if name == "pos-weight-negative" else
                ["pos-weight", "negative-pos-weight", "broadcast", "large-logit", "target-outside-unit-interval"],
                np.array([[xn] * 4, [-xn] * 4]), np.array([ys, ys]), pos_weight=[-2.0])
    r4 = cat.rng(base + "/bchw")
    x4 = random_inputs(r4, 24, loss, dtype).reshape(2, 3, 2, 2)
    y4 = random_targets(r4, 24, "bce").reshape(2, 3, 2, 2)
    cat.add("pos-weights", loss, dtype, red, "pos-weight-per-channel-bchw",
            "pos_weight (C, 1, 1) = (3, 1, 1) per channel on a (B, C, H, W) = (2, 3, 2, 2) input",
            ["pos-weight", "broadcast", "random", "shape"], x4, y4, pos_weight=[[[0.5]], [[2.0]], [[8.0]]])
    cat.add("pos-weights", loss, dtype, red, "pos-weight-and-weight-per-channel-bchw",
            "pos_weight (3, 1, 1) and weight (3, 1, 1) per channel on (2, 3, 2, 2)",
            ["pos-weight", "broadcast", "random", "shape", "weight"], x4, y4,
            pos_weight=[[[0.5]], [[2.0]], [[8.0]]], weight=[[[1.5]], [[0.0]], [[0.25]]])


def shape_cases(cat, loss, dtype, red):
    base = f"{loss}/{dtype}/{red}/shapes"
    r = cat.rng(base)
    for name, shape, comment, flags in [
        ("shape-0d", (), "0-d input and target (shape [])", ["zero-dim"]),
        ("shape-empty", (0,), "empty input (0,): none gives (0,), sum 0, mean NaN", ["empty"]),
        ("shape-empty-2d", (2, 0), "empty input (2, 0)", ["empty"]),
        ("shape-1", (1,), "input of shape (1,)", []),
        ("shape-n", (7,), "1-d input (7,)", []),
        ("shape-nc", (5, 4), "2-d input (N, C) = (5, 4)", []),
        ("shape-bchw", (2, 3, 2, 3), "4-d input (B, C, H, W) = (2, 3, 2, 3)", []),
    ]:
        n = int(np.prod(shape))
        x = random_inputs(r, n, loss, dtype).reshape(shape)
        y = random_targets(r, n, loss).reshape(shape)
        cat.add("shapes", loss, dtype, red, name, comment + "; random inputs", flags + ["shape", "random"], x, y)
    x = random_inputs(r, 1, loss, dtype).reshape(())
    y = random_targets(r, 1, "bce").reshape(())
    cat.add("shapes", loss, dtype, red, "shape-0d-weight-0d", "0-d input with a 0-d weight", ["zero-dim", "shape", "weight"],
            x, y, weight=np.array(2.0))
    x = random_inputs(r, 0, loss, dtype).reshape(0, 3)
    cat.add("shapes", loss, dtype, red, "shape-empty-weighted", "empty (0, 3) input with weight (3,)",
            ["empty", "shape", "weight", "broadcast"], x, x.copy(), weight=[1.0, 2.0, 3.0])


def grad_output_cases(cat, loss, dtype, red):
    base = f"{loss}/{dtype}/{red}/grad-output"
    r = cat.rng(base)
    x = random_inputs(r, 6, loss, dtype).reshape(2, 3)
    y = random_targets(r, 6, loss).reshape(2, 3)
    if red == "none":
        gs = [("grad-output-mixed", np.array([[2.5, -1.0, 0.0], [0.5, -0.125, 3.0]]), "grad_output (2, 3) with 0 and negative entries")]
    else:
        gs = [("grad-output-2-5", np.array(2.5), "grad_output 2.5"),
              ("grad-output-negative", np.array(-0.75), "grad_output -0.75"),
              ("grad-output-zero", np.array(0.0), "grad_output 0: gradients are (signed) zeros")]
    for name, g, comment in gs:
        cat.add("grad-output", loss, dtype, red, name, comment + "; random (2, 3) inputs", ["grad-output", "random"], x, y, grad_output=g)


def random_cases(cat, loss, dtype, red, count=6):
    shapes = [(3,), (4, 5), (2, 3, 2, 2), (), (16,), (3, 1, 4)]
    for i in range(count):
        cid = f"random-{i:02d}"
        r = cat.rng(f"{loss}/{dtype}/{red}/{cid}")
        shape = shapes[i % len(shapes)]
        n = int(np.prod(shape))
        x = random_inputs(r, n, loss, dtype).reshape(shape)
        y = random_targets(r, n, loss).reshape(shape)
        w = p = None
        flags = ["random"]
        parts = [f"seeded random case, shape {list(shape)}"]
        if shape and r.choice(1, 2)[0] == 1:
            w = r.uniform(shape[-1], -1.0, 3.0)
            flags += ["weight", "broadcast", "negative-weight"]
            parts.append("weight (C,) in [-1, 3)")
        if loss == "bce_with_logits" and shape and r.choice(1, 2)[0] == 1:
            p = r.uniform(shape[-1], 0.0, 5.0)
            flags += ["pos-weight", "broadcast"]
            parts.append("pos_weight (C,) in [0, 5)")
        g = r.uniform(n, -2.0, 2.0).reshape(shape) if red == "none" else np.array(r.uniform(1, -2.0, 2.0)[0])
        flags.append("grad-output")
        cat.add("random", loss, dtype, red, cid, "; ".join(parts) + "; random grad_output in [-2, 2)", flags, x, y,
                weight=w, pos_weight=p, grad_output=g)


def large_cases(cat, loss, dtype, red):
    name = f"large-{red}-100k"
    r = cat.rng(f"{loss}/{dtype}/{red}/{name}")
    n = LARGE_N
    if loss == "bce":
        x = random_probs(r, n, exact_ends=False)
        x = np.clip(x, 1e-3, 1 - 1e-3)
    else:
        span = 8.0
        x = r.uniform(n, -span, span)
    y = random_targets(r, n, "bce")
    w = None
    comment = f"{n} seeded random elements, {red} reduction (summation accuracy); gradients left out"
    if dtype in LARGE_REDUCTION_WEIGHT:
        w = [LARGE_REDUCTION_WEIGHT[dtype]]
        comment += "; weight (1,) = %g keeps the %s sum below its maximum (so summing in the dtype cannot overflow)" % (w[0], dtype)
    tol, why = LARGE_TOLERANCE.get((dtype, red), (None, None))
    if tol is not None:
        comment += "; tolerance " + why
    cat.add("large-reductions", loss, dtype, red, name, comment,
            ["large-reduction", "random"] + (["weight", "broadcast"] if w else []), x, y, weight=w, tolerance=tol, gradients=False)


def overflow_cases(cat, loss, dtype, red):
    if red != "sum" or dtype not in REDUCTION_OVERFLOW:
        return
    n, w = REDUCTION_OVERFLOW[dtype]
    x = [0.0] * n if loss == "bce" else [-100.0] * n
    each = 100.0 * (w or 1.0)
    comment = f"{n} elements with loss {each:g} each" + (f" (100 times weight (1,) = {w:g})" if w else "")
    comment += f": the sum {n * each:g} exceeds {dtype}'s largest value {dtype_consts(dtype)['max']:.5g} and is +inf"
    cat.add("reduction-overflow", loss, dtype, red, f"sum-overflows-{dtype}", comment,
            ["reduction-overflow", "boundary" if loss == "bce" else "large-logit"] + (["weight", "broadcast"] if w else []),
            x, [1.0] * n, weight=None if w is None else [w], gradients=True)


def error_cases(cat, loss, dtype, red):
    ok3 = [0.25, 0.5, 0.75]
    gsh = None if red == "none" else np.array(1.0)
    E = []
    E.append(("error-shape-mismatch-length", "shape_mismatch", "input (3,) and target (4,)", dict(input=ok3, target=ok3 + [0.5])))
    E.append(("error-shape-mismatch-transposed", "shape_mismatch", "input (2, 3) and target (3, 2): same count, different shape",
              dict(input=np.array(ok3 * 2).reshape(2, 3), target=np.array(ok3 * 2).reshape(3, 2))))
    E.append(("error-shape-mismatch-broadcastable", "shape_mismatch", "target (1, 3) would broadcast to input (3,), but PyTorch requires equal shapes",
              dict(input=ok3, target=np.array(ok3).reshape(1, 3))))
    # The target broadcasts INTO the input without enlarging it (the output keeps the input's
    # shape), so a port that broadcasts the target instead of checking shapes returns values here.
    E.append(("error-shape-mismatch-target-broadcasts-into-input", "shape_mismatch",
              "input (2, 3) and target (3,): the target would broadcast to the input's shape without enlarging it, but PyTorch requires equal shapes",
              dict(input=np.array(ok3 * 2).reshape(2, 3), target=ok3)))
    E.append(("error-weight-not-broadcastable", "not_broadcastable", "weight (3, 2) with input (2,)",
              dict(input=ok3[:2], target=ok3[:2], weight=np.ones((3, 2)))))
    E.append(("error-weight-wrong-length", "not_broadcastable", "weight (2,) with input (2, 3): the trailing dims 2 and 3 differ",
              dict(input=np.array(ok3 * 2).reshape(2, 3), target=np.array(ok3 * 2).reshape(2, 3), weight=[1.0, 2.0])))
    E.append(("error-weight-enlarges", "not_broadcastable", "weight (2, 3) with input (3,): broadcastable, but it would enlarge the output",
              dict(input=ok3, target=ok3, weight=np.ones((2, 3)))))
    E.append(("error-weight-on-0d", "not_broadcastable", "weight (1,) with a 0-d input would enlarge the output to (1,)",
              dict(input=np.array(0.5), target=np.array(0.5), weight=[1.0])))
    if loss == "bce_with_logits":
        E.append(("error-pos-weight-not-broadcastable", "not_broadcastable", "pos_weight (2,) with input (4, 3)",
                  dict(input=np.zeros((4, 3)), target=np.zeros((4, 3)), pos_weight=[1.0, 2.0])))
        E.append(("error-pos-weight-channel-on-last-dim", "not_broadcastable",
                  "pos_weight (3,) with input (2, 3, 4, 4): (C,) lines up with the last dim (W = 4), not with C; per channel needs (3, 1, 1)",
                  dict(input=np.zeros((2, 3, 4, 4)), target=np.zeros((2, 3, 4, 4)), pos_weight=[1.0, 2.0, 3.0])))
        E.append(("error-pos-weight-enlarges", "not_broadcastable", "pos_weight (2, 3) with input (3,) would enlarge the output",
                  dict(input=ok3, target=ok3, pos_weight=np.ones((2, 3)))))
    if red == "none":
        E.append(("error-grad-output-shape", "not_broadcastable", "grad_output (2,) with reduction none on input (3,): must be the input's shape",
                  dict(input=ok3, target=ok3, grad_output=np.ones(2))))
    else:
        E.append(("error-grad-output-shape", "not_broadcastable", f"grad_output (3,) with reduction {red}: must be 0-d (one element)",
                  dict(input=ok3, target=ok3, grad_output=np.ones(3))))
    if loss == "bce":
        E += [
            ("error-input-below-0", "input_out_of_range", "input[1] = -0.25 < 0", dict(input=[0.5, -0.25, 0.5], target=ok3)),
            ("error-input-above-1", "input_out_of_range", "input[2] = 1.5 > 1", dict(input=[0.5, 0.5, 1.5], target=ok3)),
            ("error-input-neg-zero-ok-then-nan", "input_out_of_range", "input[1] is NaN (NaN is never in [0, 1]); input[0] = -0.0 is valid",
             dict(input=[-0.0, np.nan, 0.5], target=ok3)),
            ("error-input-inf", "input_out_of_range", "input[0] = +inf", dict(input=[np.inf, 0.5, 0.5], target=ok3)),
            ("error-input-min-subnormal-below-0", "input_out_of_range", "input[0] = -(smallest subnormal) < 0",
             dict(input=[-dtype_consts(dtype)["min_sub"], 0.5, 0.5], target=ok3)),
            ("error-target-below-0", "target_out_of_range", "target[0] = -0.5 < 0", dict(input=ok3, target=[-0.5, 0.5, 0.5])),
            ("error-target-above-1", "target_out_of_range", "target[2] = 2 > 1", dict(input=ok3, target=[0.5, 0.5, 2.0])),
            ("error-target-nan", "target_out_of_range", "target[1] is NaN", dict(input=ok3, target=[0.5, np.nan, 0.5])),
            ("error-target-just-above-1", "target_out_of_range", "target[0] is the neighbour of 1 above it",
             dict(input=ok3, target=[next_toward(1.0, 2.0, dtype), 0.5, 0.5])),
        ]
    for name, kind, comment, kw in E:
        kw = dict(kw)
        if "grad_output" not in kw:
            kw["grad_output"] = gsh if red != "none" else None
        if kw["grad_output"] is None and red == "none":
            kw["grad_output"] = np.ones(np.asarray(kw["input"]).shape)
        cat.add("errors", loss, dtype, red, name, comment + f"; expected error {kind}", ["invalid"],
                kw["input"], kw["target"], weight=kw.get("weight"), pos_weight=kw.get("pos_weight"),
                grad_output=kw["grad_output"], error=kind)


def float64_precision_cases(cat, loss, dtype, red):
    """float64 only: points whose inputs or results float32 cannot represent. A port that computes
    float64 in float32 (JAX without x64, C with float temporaries) is otherwise caught only by
    relative errors near 1e-8; each point here is off by far more than float64's rtol 1e-10 then.
    Differences below that (weight 1 + 2^-40: 9e-13) or below atol 1e-12 (exp(-104)) cannot show,
    so they are not here."""
    if dtype != "float64":
        return
    pts = []  # (name, comment, input, target, weight, pos_weight)
    q = [0.25, 0.5, 0.75, 0.125]  # float32-exact inputs: only the named value is off in float32
    if loss == "bce":
        targets = BCE_TARGETS
        # 1 - 1e-10 is 1 in float32: log1p(-x) would clamp at -100 (loss 100 for y = 0, not 23.03)
        pts.append(("f64-p-1-minus-1e-10", "input 1 - 1e-10 (1 in float32, where log1p(-x) clamps at -100 instead of log(1e-10) = -23.03)",
                    [1 - 1e-10] * 4, targets, None, None))
        # 1e-12 in float32 is 9.99999996e-13 = EPSILON: (1 - x) * x drops below EPSILON there
        pts.append(("f64-p-1e-12", "input 1e-12: (1 - x) * x = 9.99999999999e-13 is above EPSILON in float64; in float32 x is 9.99999996e-13 and the gradient divides by EPSILON",
                    [1e-12] * 4, targets, None, None))
        # 1e-300 underflows to 0 in float32: d/dtarget = -logit(x) = 690.8 becomes +inf
        pts.append(("f64-p-1e-300", "input 1e-300 (0 in float32): log(x) = -690.8 clamps at -100 either way, but d/dtarget = log1p(-x) - log(x) = 690.8, not +inf",
                    [1e-300] * 4, targets, None, None))
        # a target within 1e-9 of 1 (1 in float32) moves the loss by 1e-9 * |logit(x)|
        pts.append(("f64-target-1-minus-1e-9", "target 1 - 1e-9 (1 in float32) on float32-exact inputs 0.25, 0.5, 0.75, 0.125: the (1 - y) term is 1e-9 * log1p(-x)",
                    q, [1 - 1e-9] * 4, None, None))
        # 0.1 + 1e-9: the target's last digits, lost in float32, move the loss by ~1e-9 relative
        pts.append(("f64-target-0-1-plus-1e-9", "target 0.1 + 1e-9 (0.1 in float32) on float32-exact inputs 0.25, 0.5, 0.75, 0.125",
                    q, [0.1 + 1e-9] * 4, None, None))
    else:
        targets = [0.0, 1.0, 0.5, 0.25]
        # sigmoid(+-1e-10) - 0.5 = +-2.5e-11 is 0 in float32: d/dx at y = 0.5 is x / 4, not 0
        pts.append(("f64-logit-pm-1e-10", "logits +-1e-10: sigmoid(x) - 0.5 = x / 4 (2.5e-11), which float32 rounds to 0; targets 0, 1, 0.5, 0.25 on each sign",
                    [1e-10] * 4 + [-1e-10] * 4, targets * 2, None, None))
        # logits 1e-9 apart (float32's resolution is 1.2e-7 at 1 and 1.9e-6 at 20): one value in float32
        pts.append(("f64-logit-neighbours-1e-9", "logits 1, 1 + 1e-9, 20, 20 + 1e-9, -20, -20 - 1e-9 (pairs equal in float32); targets 0, 0, 1, 1, 0, 0 (softplus(-20) = 2.06e-9 moves by 1e-9 relative)",
                    [1.0, 1 + 1e-9, 20.0, 20 + 1e-9, -20.0, -20 - 1e-9], [0.0, 0.0, 1.0, 1.0, 0.0, 0.0], None, None))
        # softplus(17) = 17 + 4.1e-8: the log1p(exp(-17)) term is below float32's ULP at 17 (1.9e-6)
        pts.append(("f64-logit-softplus-below-float32-ulp", "logits +-17, +-18 (float32-exact) with the target against the sign: softplus(|x|) = |x| + exp(-|x|), whose 4.1e-8 and 1.5e-8 float32 loses in the sum",
                    [17.0, -17.0, 18.0, -18.0], [0.0, 1.0, 0.0, 1.0], None, None))
        # a target within 1e-9 of 1 (1 in float32): the (1 - y) softplus(x) term is 1e-9 * softplus(x)
        pts.append(("f64-target-1-minus-1e-9", "target 1 - 1e-9 (1 in float32) on float32-exact logits 2, -2, 0.5, -0.5: (1 - y) softplus(x) is 1e-9 * softplus(x)",
                    [2.0, -2.0, 0.5, -0.5], [1 - 1e-9] * 4, None, None))
        # pos_weight 1 + 1e-9 is 1 in float32: the positive term moves by 1e-9 relative
        pts.append(("f64-pos-weight-1-plus-1e-9", "pos_weight (1,) = 1 + 1e-9 (1 in float32) on float32-exact logits -2, -0.5, 0.5, 2, targets 1, 1, 0.5, 1",
                    [-2.0, -0.5, 0.5, 2.0], [1.0, 1.0, 0.5, 1.0], None, [1 + 1e-9]))
    # weight 1 + 1e-9 is 1 in float32 (1 + 2^-40 would differ by 9e-13, under float64's rtol 1e-10)
    xs_w = q if loss == "bce" else [-2.0, -0.5, 0.5, 2.0]
    pts.append(("f64-weight-1-plus-1e-9", "weight (1,) = 1 + 1e-9 (1 in float32) on float32-exact inputs %s, targets 0, 1, 0.5, 0.25" % xs_w,
                xs_w, [0.0, 1.0, 0.5, 0.25], [1 + 1e-9], None))
    for name, comment, x, y, w, p in pts:
        flags = ["float64-precision", "soft-target"]
        if w is not None:
            flags += ["weight", "broadcast"]
        if p is not None:
            flags += ["pos-weight", "broadcast"]
        if name == "f64-p-1-minus-1e-10":
            flags.append("log-clamp")
        if name == "f64-p-1e-12":
            flags.append("epsilon")
        cat.add("float64-precision", loss, dtype, red, name, comment, flags, x, y, weight=w, pos_weight=p)


def build(seed, dtypes=DTYPE_NAMES, progress=None):
    """The whole catalogue; progress(loss, dtype) is called before each case file's cases."""
    cat = Catalogue(seed, FLAGS, DEFAULT_TOLERANCE)
    for loss in ref.LOSSES:
        for dtype in dtypes:
            if progress is not None:
                progress(loss, dtype)
            for red in ref.REDUCTIONS:
                if loss == "bce":
                    bce_point_cases(cat, dtype, red)
                else:
                    logit_point_cases(cat, dtype, red)
                    pos_weight_cases(cat, dtype, red)
                weight_cases(cat, loss, dtype, red)
                shape_cases(cat, loss, dtype, red)
                grad_output_cases(cat, loss, dtype, red)
                random_cases(cat, loss, dtype, red)
                overflow_cases(cat, loss, dtype, red)
                error_cases(cat, loss, dtype, red)
                float64_precision_cases(cat, loss, dtype, red)
                if red != "none":
                    large_cases(cat, loss, dtype, red)
    return cat
