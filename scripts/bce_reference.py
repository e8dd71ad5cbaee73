"""Reference implementation of PyTorch's BCELoss and BCEWithLogitsLoss (forward and backward).

The single Python source of truth for swift-bce: scripts/generate_golden.py uses it to write the
golden files, and the Swift runner's live fuzzing calls `evaluate` in an embedded interpreter.
Importing this module does no work beyond defining constants and functions.

What it computes (PyTorch 2.x CPU semantics; sources: aten/src/ATen/native/Loss.cpp,
aten/src/ATen/native/cpu/Activation.cpp, torch/csrc/autograd/FunctionsManual.cpp):

BCELoss        l = (y - 1) * max(log1p(-x), -100) - y * max(log(x), -100), times weight.
  d/dx         grad * (x - y) / max((1 - x) * x, EPSILON) * weight      EPSILON = float 1e-12 in the dtype
  d/dy         -(log(x) - log1p(-x)) * grad * weight                     (not clamped)
BCEWithLogits  l = (1 - y) * x - logsigmoid(x) * ((p - 1) * y + 1), times weight
  d/dx         ((t + 1 - y) * sigmoid(x) - t) * grad * weight, t = p * y  (no p: (sigmoid(x) - y) * ...)
  d/dy         (logsigmoid(-x) - p * logsigmoid(x)) * grad * weight       (no p: -x * grad * weight)
Reductions: none, sum, mean = sum / numel (an empty mean is NaN); the mean's gradients divide by numel.

Dtypes: float16, bfloat16, float32, float64 (the table DTYPES). NumPy has no bfloat16: its arrays are
passed and returned as uint16 arrays of bfloat16 bits (the upper half of a float32's), and
`cast_to_dtype` rounds any float argument to bfloat16 first. What PyTorch's own CPU arithmetic gives
(every operation rounded) is scripts/pytorch_cpu.py's, not this module's.

How it computes: every value is the exact value of the definition above, evaluated in
np.longdouble (x87 80-bit extended: 64-bit significand) with formulas free of cancellation, then
rounded ONCE, correctly (round half to even), to the case dtype by `round_to_dtype` (not by
NumPy's casts: longdouble -> float16 goes through double in NumPy, a double rounding). Sums and
means are exact (integer arithmetic on the longdouble terms), rounded once. The longdouble
elementwise values carry a relative error of a few 2^-64, so a float64 result is the correctly
rounded one except in rare near-ties (about one element in a thousand can be 1 ULP off);
float32 and float16 results are correctly rounded but for astronomically rare ties.

Cancellation-free forms used (same value as the PyTorch formula in exact arithmetic):
  BCE loss           (1 - y) * -max(log1p(-x), -100) + y * -max(log(x), -100)  (two terms >= 0)
  BCE d/dy           log(x) - log1p(-x) is evaluated as log1p((2x - 1) / (1 - x)) for x in [1/4, 3/4]
  logits loss        (1 - y) * softplus(x) + p * y * softplus(-x) for every finite x, y, p
                     (softplus(z) = max(z, 0) + log1p(exp(-|z|))). For y in [0, 1] and p >= 0
                     both terms are >= 0; elsewhere they may have opposite signs, and the value
                     then carries a relative error of a few 2^-64 of the larger term (PyTorch's
                     own form would lose everything: p < 0, y = 0, x = -40 gives 0, not 4.2e-18)
  logits d/dx        (1 - y) * sigmoid(x) - p * y * sigmoid(-x)
  logits d/dy        p * softplus(-x) - softplus(x)
Non-finite logits, targets or pos_weights (+-inf, NaN) follow PyTorch's formulas literally in
IEEE arithmetic (see `_logits_loss_terms`); so do the BCE gradients at x = 0 and 1 (infinities, and NaN where IEEE
gives 0/0 or 0 * inf). The sign of a zero result follows PyTorch's formula where it is cheap to do.

grad_input_scale / grad_target_scale: the magnitude of the largest term of the gradient's formula
(times |grad * weight|, divided by numel for mean), rounded to the dtype and saturated at its
largest finite value; 0 where the expected gradient is not finite. Used by the strict ULP check
(docs/CONTRACTS.md section 3).
"""

import math
from collections import namedtuple
from fractions import Fraction

import numpy as np

__all__ = ["BCEReferenceError", "evaluate", "round_to_dtype", "values_of", "storage_of", "cast_to_dtype", "prepare_arguments", "epsilon",
           "round_sum",
           "max_finite", "ERROR_KINDS", "DTYPES", "LOSSES", "REDUCTIONS"]

LOSSES = ("bce", "bce_with_logits")
REDUCTIONS = ("none", "mean", "sum")
ERROR_KINDS = ("shape_mismatch", "input_out_of_range", "target_out_of_range", "not_broadcastable")


class _Dtype(namedtuple("_Dtype", "storage precision emin values")):
    """One dtype: `storage` is the NumPy type its arrays are passed and returned in (bfloat16,
    which NumPy lacks: uint16 arrays of its bits); `precision` the significand bits p; `emin` the
    minimum normal exponent; `values` a NumPy float type holding every value of the dtype exactly
    (what the arithmetic here works on)."""


# The one dtype table. bfloat16 is the upper half of a float32: float32's exponent range, p = 8.
DTYPES = {
    "float16": _Dtype(np.float16, 11, -14, np.float16),
    "bfloat16": _Dtype(np.uint16, 8, -126, np.float32),
    "float32": _Dtype(np.float32, 24, -126, np.float32),
    "float64": _Dtype(np.float64, 53, -1022, np.float64),
}
BFLOAT16_NAN = 0x7FC0  # the canonical (positive quiet) bfloat16 NaN

_LD = np.longdouble
# Reductions over at most this many elements sum per-element Fractions (exact but for the
# transcendental parts); larger ones sum the longdouble terms exactly.
_EXACT_TERMS_MAX = 256


class BCEReferenceError(Exception):
    """Invalid input, as PyTorch would reject it. `kind` is one of ERROR_KINDS."""

    def __init__(self, kind, message):
        if kind not in ERROR_KINDS:
            raise ValueError(f"unknown error kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message


def _require_longdouble():
    nmant = np.finfo(_LD).nmant
    if nmant < 63:
        raise RuntimeError(
            f"bce_reference needs np.longdouble with a 64-bit significand (x87 extended, as on "
            f"x86-64 Linux); this platform's longdouble has nmant={nmant}. Golden values computed "
            f"here would not be exact: run on x86-64 Linux.")


# ---------------------------------------------------------------------------------------------
# Correct rounding


def values_of(array, dtype):
    """The values of a `dtype` storage array as an array of DTYPES[dtype].values (exact).

    bfloat16: uint16 bits -> float32 (the bits are the upper half of the float32's). Other dtypes:
    the array itself."""
    d = DTYPES[dtype]
    a = np.asarray(array)
    if d.storage is d.values:
        return a.astype(d.values)
    return np.asarray(np.left_shift(a.astype(np.uint32), np.uint32(16)), dtype=np.uint32).view(np.float32)


def storage_of(values, dtype):
    """Values exactly representable in `dtype` (any NaN, +-inf allowed) -> its storage array.

    bfloat16: float32 -> uint16 bits, NaN -> 7fc0 (the canonical quiet NaN)."""
    d = DTYPES[dtype]
    v = np.asarray(values)
    if d.storage is d.values:
        return v.astype(d.storage)
    f = v.astype(np.float32)
    bits = (f.view(np.uint32) >> 16).astype(np.uint16)
    return np.where(np.isnan(f), np.uint16(BFLOAT16_NAN), bits).astype(np.uint16)


def cast_to_dtype(array, dtype):
    """An argument of `evaluate` / `pytorch_cpu` cast to `dtype`, as an array of its values.

    bfloat16: a uint16 array is taken as bfloat16 bits; any other array is rounded to bfloat16
    (once, to nearest even, from its exact value). Other dtypes: NumPy's cast (correctly rounded
    from float16/float32/float64)."""
    d = DTYPES[dtype]
    a = np.asarray(array)
    if d.storage is d.values:
        return a.astype(d.values)
    if a.dtype == np.uint16:
        return values_of(a, dtype)
    return _round_values(a.astype(_LD), dtype)


def max_finite(dtype):
    """The largest finite value of `dtype` as a Python float: (2 - 2^(1-p)) * 2^emax."""
    d = DTYPES[dtype]
    return math.ldexp(2 - math.ldexp(1, 1 - d.precision), 1 - d.emin)


def epsilon(dtype):
    """PyTorch's EPSILON of the BCE gradient as a value of `dtype` (Python float).

    Loss.cpp declares `constexpr float EPSILON = 1e-12` and uses scalar_t(EPSILON): 1e-12 rounded
    to float32 (9.999999960041972e-13), then to the dtype: 0 in float16 (below its smallest
    subnormal), 1.0018652574217413e-12 in bfloat16, 9.999999960041972e-13 in float32 and float64."""
    as_float = _round_values(np.array(_LD(1e-12)), "float32")
    return float(_round_values(as_float.astype(_LD), dtype)[()])


def _round_values(values, dtype, return_ties=False):
    """round_to_dtype, returning an array of DTYPES[dtype].values instead of storage."""
    d = DTYPES[dtype]
    p, emin = d.precision, d.emin
    v = np.asarray(values, dtype=_LD)
    out = np.empty(v.shape, dtype=d.values)
    ties = np.zeros(v.shape, dtype=bool)
    with np.errstate(all="ignore"):
        finite = np.isfinite(v)
        out[~finite] = v[~finite].astype(d.values)  # inf and NaN are exact in every dtype
        a = v[finite]
        _, e = np.frexp(a)  # |a| in [2^(e-1), 2^e)
        quantum = np.maximum(e - p, emin - p + 1).astype(np.int32)  # ULP exponent (subnormals: fixed)
        scaled = np.ldexp(a, -quantum)  # exact scaling
        n = np.rint(scaled)  # rint rounds half to even
        r = np.ldexp(n, quantum)  # exact; representable in dtype, or >= 2^(emax+1) -> inf below
        out[finite] = r.astype(d.values)
        ties[finite] = np.abs(scaled - n) == 0.5
    return (out, ties) if return_ties else out


def round_to_dtype(values, dtype, return_ties=False):
    """Rounds longdouble values once, to nearest even, to `dtype` ("float16"/"bfloat16"/"float32"/"float64").

    Overflow gives +-inf, underflow gives subnormals or signed zero, NaN stays NaN (bfloat16: the
    quiet NaN 7fc0). Returns an array of the dtype's storage: bfloat16 as uint16 bits. With
    return_ties, also returns a boolean mask of the values that lie exactly halfway between two
    values of the dtype (there the longdouble value's own rounding error decides the result).
    """
    out, ties = _round_values(values, dtype, return_ties=True)
    out = storage_of(out, dtype)
    return (out, ties) if return_ties else out


def _round_rational(num, den, dtype):
    """Correctly rounds the rational num/den (Python ints, den > 0) to a Python float of `dtype`."""
    _, p, emin, _ = DTYPES[dtype]
    emax = -emin + 1
    if num == 0:
        return 0.0
    sign = -1.0 if num < 0 else 1.0
    num = abs(num)
    e = num.bit_length() - den.bit_length()
    if (num << max(-e, 0)) < (den << max(e, 0)):
        e -= 1  # now 2^e <= num/den < 2^(e+1)
    qe = max(e - (p - 1), emin - (p - 1))
    if qe >= 0:
        q, r = divmod(num, den << qe)
        d = den << qe
    else:
        q, r = divmod(num << -qe, den)
        d = den
    if 2 * r > d or (2 * r == d and q & 1):
        q += 1
    if q.bit_length() - 1 + qe > emax:
        return sign * math.inf
    return sign * math.ldexp(q, qe)


def _exact_sum(terms):
    """Exact sum of finite longdouble values as a pair (numerator, denominator) of Python ints."""
    a = np.asarray(terms, dtype=_LD).ravel()
    a = a[a != 0]
    if a.size == 0:
        return 0, 1
    m, e = np.frexp(a)
    mant = np.ldexp(np.abs(m), 64).astype(np.uint64).tolist()  # exact: integers below 2^64
    neg = (m < 0).tolist()
    exps = (e.astype(np.int64) - 64).tolist()
    base = min(exps)
    total = 0
    for mi, ni, ei in zip(mant, neg, exps):
        total += -(mi << (ei - base)) if ni else (mi << (ei - base))
    if base >= 0:
        return total << base, 1
    return total, 1 << -base


def round_sum(terms, dtype):
    """The sum of longdouble terms, correctly rounded once to `dtype`, as a Python float.

    Finite terms: summed exactly. Otherwise NaN, +-inf or NaN (inf - inf), which no order changes."""
    a = np.asarray(terms, dtype=_LD)
    if not np.all(np.isfinite(a)):
        with np.errstate(all="ignore"):
            return float(np.sum(a))
    num, den = _exact_sum(a)
    return _round_rational(num, den, dtype)


def _reduce(terms, reduction, dtype):
    """Sum or mean of longdouble terms, exact, rounded once to dtype (0-d array of its values)."""
    np_type = DTYPES[dtype].values
    n = terms.size
    if not np.all(np.isfinite(terms)):
        with np.errstate(all="ignore"):
            s = np.sum(terms, dtype=_LD)  # NaN, or +-inf, or NaN for inf - inf: order-independent
            if reduction == "mean":
                s = s / _LD(n)
        return _round_values(np.array(s, dtype=_LD), dtype)
    if reduction == "mean" and n == 0:
        return np.array(np.nan, dtype=np_type)
    num, den = _exact_sum(terms)
    if reduction == "mean":
        den *= n
    return np.array(_round_rational(num, den, dtype), dtype=np.float64).astype(np_type)  # exact


# ---------------------------------------------------------------------------------------------
# Checks (order as docs/CONTRACTS.md section 1: shape, weight, pos_weight, grad_output, ranges)


def _broadcasts_into(shape, target_shape):
    """True if `shape` broadcasts to `target_shape` without enlarging it (trailing alignment)."""
    if len(shape) > len(target_shape):
        return False
    for s, t in zip(reversed(shape), reversed(target_shape)):
        if s != t and s != 1:
            return False
    return True


def _check(loss, reduction, x, y, weight, pos_weight, grad_output):
    if x.shape != y.shape:
        raise BCEReferenceError(
            "shape_mismatch", f"target shape {list(y.shape)} differs from input shape {list(x.shape)}")
    for name, t in (("weight", weight), ("pos_weight", pos_weight)):
        if t is not None and not _broadcasts_into(t.shape, x.shape):
            raise BCEReferenceError(
                "not_broadcastable", f"{name} of shape {list(t.shape)} does not broadcast to {list(x.shape)}")
    if grad_output is not None:
        if reduction == "none":
            ok = grad_output.shape == x.shape
        else:
            ok = all(d == 1 for d in grad_output.shape)  # [] or any all-ones shape (one element)
        if not ok:
            raise BCEReferenceError(
                "not_broadcastable",
                f"grad_output of shape {list(grad_output.shape)} does not fit reduction {reduction!r} "
                f"with input shape {list(x.shape)}")
    if loss == "bce":
        xf, yf = x.ravel(), y.ravel()
        bad_x = ~((xf >= 0) & (xf <= 1))  # NaN is out of range
        bad_y = ~((yf >= 0) & (yf <= 1))
        ix = int(np.argmax(bad_x)) if bad_x.any() else None
        iy = int(np.argmax(bad_y)) if bad_y.any() else None
        if ix is not None and (iy is None or ix <= iy):
            raise BCEReferenceError(
                "input_out_of_range", f"input[{ix}] = {float(xf[ix])!r} is not in [0, 1]")
        if iy is not None:
            raise BCEReferenceError(
                "target_out_of_range", f"target[{iy}] = {float(yf[iy])!r} is not in [0, 1]")


# ---------------------------------------------------------------------------------------------
# Elementwise math in longdouble


def _softplus(z):
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def _logsigmoid(z):
    # PyTorch's log_sigmoid CPU kernel: min(z, 0) - log1p(exp(-|z|)); NaN propagates.
    return np.minimum(z, 0) - np.log1p(np.exp(-np.abs(z)))


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))  # NaN stays NaN


def _half_tanh_half(z):
    """sigmoid(z) - 1/2 = tanh(z/2)/2 = expm1(z) / (2 * (expm1(z) + 2)); used for |z| < 1."""
    em = np.expm1(np.where(np.abs(z) < 1, z, 0))
    return em / (2 * (em + 2))


def _bce_loss_terms(x, y):
    a = -np.maximum(np.log1p(-x), -100)  # >= 0
    b = -np.maximum(np.log(x), -100)  # >= 0
    exact = (1 - y) * a + y * b
    literal = (y - 1) * -a - y * -b  # PyTorch's order: only used for the sign of a zero
    return np.where(exact == 0, literal, exact)


def _logits_loss_terms(x, y, p):
    """(1 - y) * x - logsigmoid(x) * log_weight, PyTorch's formula, exact where it matters.

    Finite x, y and p: the equal (1 - y) * softplus(x) + p * y * softplus(-x), whatever y and p.
    A non-finite x, y or p follows the formula in IEEE arithmetic. Non-finite x follows the formula in IEEE arithmetic (log_weight = (p - 1) * y + 1, or no
    multiplication at all without pos_weight):
      x = +inf: logsigmoid = 0 -> (1 - y) * inf - 0 * log_weight: +inf for y < 1, NaN for y = 1,
                -inf for y > 1 (NaN if log_weight is infinite).
      x = -inf: logsigmoid = -inf -> (1 - y) * -inf + inf * log_weight: NaN for y <= 1 with
                log_weight >= 0 (-inf + inf, or 0 * inf); -inf for y < 1 with log_weight < 0;
                +inf for y > 1 with log_weight > 0.
      x = NaN:  NaN.
    """
    literal_lw = 1 if p is None else (p - 1) * y + 1
    literal = (1 - y) * x - _logsigmoid(x) * literal_lw
    pe = 1 if p is None else p
    exact = (1 - y) * _softplus(x) + pe * y * _softplus(-x)
    out = np.where(_all_finite(x, y, p), exact, literal)
    return np.where((out == 0) & (literal == 0), literal, out)


def _all_finite(x, y, p):
    """Where x, y and p (if given) are all finite: there the cancellation-free forms are used."""
    finite = np.isfinite(x) & np.isfinite(y)
    return finite if p is None else finite & np.isfinite(p)


def _frac(v):
    return Fraction(*_LD(v).as_integer_ratio())


def _exact_elements(loss, eps, X, Y, W, P, G, n_mean):
    """Per-element Fractions of (loss term * weight, grad_input, grad_target), for finite inputs.

    Every operation is exact except the transcendental parts (log, log1p(exp), sigmoid), which
    come from longdouble (relative error ~2^-63). Used where the vectorised longdouble value lies
    exactly on a rounding tie of the dtype (a tiny transcendental part was absorbed, e.g.
    (1 - y) * x + w * (-x + log1p(exp(x))) at x = -89), and for the terms of small reductions.
    Returns None for an element whose value involves an infinity (handled by the vector path).
    """
    if not (np.isfinite(X) and np.isfinite(Y) and np.isfinite(G) and (W is None or np.isfinite(W))
            and (P is None or np.isfinite(P))):
        return None, None, None
    x, y, g = _frac(X), _frac(Y), _frac(G)
    w = Fraction(1) if W is None else _frac(W)
    if loss == "bce":
        if not 0 <= x <= 1:
            return None, None, None
        with np.errstate(divide="ignore"):
            lx = np.log(X)
            l1 = np.log1p(-X)
        a = Fraction(100) if l1 < -100 else -_frac(l1)
        b = Fraction(100) if lx < -100 else -_frac(lx)
        term = ((1 - y) * a + y * b) * w
        den = max((1 - x) * x, eps)
        gi = g * (x - y) / den * w / n_mean if den > 0 else None
        if x == 0 or x == 1:
            gt = None
        else:
            mid = 0.25 <= x <= 0.75
            logit = _frac(np.log1p((2 * X - 1) / (1 - X))) if mid else _frac(lx) - _frac(l1)
            gt = -logit * g * w / n_mean
        return term, gi, gt
    small = _frac(np.log1p(np.exp(-np.abs(X))))  # log1p(exp(-|x|)) > 0
    sp_pos = max(x, 0) + small  # softplus(x)
    sp_neg = max(-x, 0) + small  # softplus(-x)
    if abs(x) < 1:
        h = _frac(_half_tanh_half(X))
        s_pos, s_neg = Fraction(1, 2) + h, Fraction(1, 2) - h
    else:
        e = np.exp(-np.abs(X))
        s_small = _frac(e / (1 + e))  # sigmoid(-|x|)
        s_pos, s_neg = (1 - s_small, s_small) if x >= 0 else (s_small, 1 - s_small)
    pe = Fraction(1) if P is None else _frac(P)
    term = (1 - y) * sp_pos + pe * y * sp_neg  # any finite y and p (exact rational arithmetic)
    gi = ((1 - y) * s_pos - pe * y * s_neg) * g * w / n_mean
    gt = ((pe * sp_neg - sp_pos) if P is not None else -x) * g * w / n_mean
    return term * w, gi, gt


def _max_abs(*arrays):
    m = np.abs(arrays[0])
    for a in arrays[1:]:
        m = np.maximum(m, np.abs(a))
    return m


# ---------------------------------------------------------------------------------------------
# Public entry point


def prepare_arguments(loss, dtype, reduction, input, target, weight=None, pos_weight=None, grad_output=None):
    """The argument rules of `evaluate` (and of pytorch_cpu.pytorch_cpu): ValueError on a misuse,
    each array cast to `dtype` (`cast_to_dtype`), BCEReferenceError on invalid input in the
    library's check order. Returns (input, target, weight, pos_weight, grad_output) as arrays of
    DTYPES[dtype].values (None where not given), unbroadcast."""
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, not {loss!r}")
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {tuple(DTYPES)}, not {dtype!r}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, not {reduction!r}")
    if loss == "bce" and pos_weight is not None:
        raise ValueError("pos_weight is a bce_with_logits argument")
    _require_longdouble()

    def cast(a):
        return None if a is None else cast_to_dtype(a, dtype)

    x, y, w, pw, g = (cast(a) for a in (input, target, weight, pos_weight, grad_output))
    _check(loss, reduction, x, y, w, pw, g)
    return x, y, w, pw, g


def evaluate(loss, dtype, reduction, input, target, weight=None, pos_weight=None, grad_output=None):
    """Loss and gradients of `loss` ("bce" | "bce_with_logits") in `dtype`, as PyTorch defines them.

    Arrays may be of any float dtype; they are cast to `dtype` first (`cast_to_dtype`: for
    "bfloat16" a uint16 array is bfloat16 bits, any other is rounded). Returns a dict of numpy
    arrays of `dtype` (bfloat16: uint16 bits): "loss" (shape [] for mean/sum), "grad_input", "grad_target" (the input's
    shape), "grad_input_scale", "grad_target_scale". grad_output None means 1 (0-d) for mean/sum
    and ones for none. Raises BCEReferenceError (with .kind) on invalid input, checks in the
    library's order; ValueError on a misuse of this function itself.
    """
    x, y, w, pw, g = prepare_arguments(loss, dtype, reduction, input, target, weight, pos_weight, grad_output)
    np_type = DTYPES[dtype].values

    shape = x.shape
    n = x.size
    X = x.astype(_LD)
    Y = y.astype(_LD)
    W = None if w is None else np.broadcast_to(w.astype(_LD), shape)
    P = None if pw is None else np.broadcast_to(pw.astype(_LD), shape)
    if g is None:
        G = np.ones(shape, dtype=_LD)
    else:
        G = np.broadcast_to(g.astype(_LD).reshape(g.shape if reduction == "none" else ()), shape)
    one_w = np.ones(shape, dtype=_LD) if W is None else W

    with np.errstate(all="ignore"):
        if loss == "bce":
            terms = _bce_loss_terms(X, Y)
            eps = _LD(epsilon(dtype))  # float16: 0, so x = 0 or 1 gives +-inf or NaN
            den = np.maximum((1 - X) * X, eps)
            gi = G * (X - Y) / den
            gi_scale = _max_abs(X, Y) / den
            mid = (X >= 0.25) & (X <= 0.75)
            logit = np.where(mid, np.log1p((2 * X - 1) / (1 - X)), np.log(X) - np.log1p(-X))
            gt = -logit * G
            gt_scale = _max_abs(np.log(X), np.log1p(-X))
        else:
            terms = _logits_loss_terms(X, Y, P)
            sig = _sigmoid(X)
            finite = _all_finite(X, Y, P)  # else PyTorch's formulas in IEEE arithmetic
            small = np.abs(X) < 1
            h = _half_tanh_half(X)  # sigmoid(x) - 1/2, accurate for tiny x
            if P is None:
                # sigmoid(x) - y = (1 - y) * sigmoid(x) - y * sigmoid(-x): no absorbed sigmoid(-x)
                exact = np.where(small, (0.5 - Y) + h, (1 - Y) * sig - Y * _sigmoid(-X))
                gi = np.where(finite, exact, sig - Y) * G
                gi_scale = _max_abs(sig, Y)
                gt = -X * G
                gt_scale = np.abs(X)
            else:
                t = P * Y
                exact = np.where(small, (1 - Y - t) / 2 + (1 - Y + t) * h, (1 - Y) * sig - t * _sigmoid(-X))
                literal = (t + 1 - Y) * sig - t
                gi = np.where(finite, exact, literal) * G
                gi_scale = _max_abs((t + 1 - Y) * sig, t)
                lsp, lsn = _logsigmoid(X), _logsigmoid(-X)
                # logsigmoid(-x) - p * logsigmoid(x) = p * max(-x, 0) - max(x, 0) + (p - 1) * log1p(exp(-|x|))
                # (keeps a tiny x, which the two softplus values absorb)
                s = np.log1p(np.exp(-np.abs(X)))
                exact = P * np.maximum(-X, 0) - np.maximum(X, 0) + (P - 1) * s
                gt = np.where(np.isfinite(X) & np.isfinite(P), exact, lsn - P * lsp) * G
                gt_scale = _max_abs(lsn, P * lsp)
        if W is not None:
            terms = terms * W
            gi = gi * W
            gt = gt * W
        gw = np.abs(G * one_w)
        gi_scale = gi_scale * gw
        gt_scale = gt_scale * gw
        if reduction == "mean":
            gi, gt = gi / n, gt / n
            gi_scale, gt_scale = gi_scale / n, gt_scale / n

    eps_exact = Fraction(epsilon(dtype))
    n_mean = n if reduction == "mean" else 1

    def exact(flat):
        idx = np.unravel_index(flat, shape)
        return _exact_elements(loss, eps_exact, X[idx], Y[idx], None if W is None else W[idx],
                               None if P is None else P[idx], G[idx], n_mean)

    def rounded(values, field):
        out, ties = _round_values(values, dtype, return_ties=True)
        for flat in np.flatnonzero(ties):  # rare: let the exact path decide the tie
            value = exact(flat)[field]
            if value is not None:
                out[np.unravel_index(flat, shape)] = _round_rational(value.numerator, value.denominator, dtype)
        return out

    if reduction == "none":
        loss_value = rounded(terms, 0)
    elif 0 < n <= _EXACT_TERMS_MAX and np.all(np.isfinite(terms)):
        total = sum(exact(flat)[0] for flat in range(n)) / n_mean
        loss_value = np.array(_round_rational(total.numerator, total.denominator, dtype)).astype(np_type)
    else:
        loss_value = _reduce(terms, reduction, dtype)
    grad_input = rounded(gi, 1)
    grad_target = rounded(gt, 2)
    result = {
        "loss": loss_value,
        "grad_input": grad_input,
        "grad_target": grad_target,
        "grad_input_scale": _scale(gi_scale, grad_input, dtype),
        "grad_target_scale": _scale(gt_scale, grad_target, dtype),
    }
    return {k: storage_of(v, dtype) for k, v in result.items()}


def _scale(scale, expected, dtype):
    np_type = DTYPES[dtype].values
    s = _round_values(np.where(np.isnan(scale), 0, scale), dtype)
    s = np.minimum(s, np_type(max_finite(dtype)))
    return np.where(np.isfinite(expected), s, np_type(0)).astype(np_type)
