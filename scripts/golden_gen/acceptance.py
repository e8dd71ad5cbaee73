"""The `acceptable` alternatives of a case (docs/CONTRACTS.md section 0) and how far they widen the verdict.

One alternative today, `pytorch-cpu`: what PyTorch's own CPU arithmetic gives, from the NumPy
emulation scripts/pytorch_cpu.py. It is recorded with only the output fields in which some
element's bits differ from `expected`, and the case is flagged `pytorch-arithmetic` where some
element of it lies outside the default tolerance of the exact value (`matches` is the verdict
rule of section 0, used by the generator, by docs/ACCEPTANCE.md and by the tests' driver).
"""

import numpy as np

import pytorch_cpu as emulation

from . import tensors

SOURCE = "pytorch-cpu"
FLAG = "pytorch-arithmetic"
FIELDS = ("loss", "grad_input", "grad_target")
_UNIT = {"float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double"}


def comment(dtype):
    return (f"PyTorch 2.x CPU arithmetic in {dtype}: PyTorch's operations in its order, each rounded to "
            f"{dtype} ({_UNIT[dtype]}; float32 where PyTorch computes in its opmath type), "
            "reductions accumulated as PyTorch accumulates them")


def pytorch_cpu(loss, dtype, reduction, x, y, w, p, g):
    """PyTorch's CPU results for carrier arrays, as carrier arrays ({field: array})."""
    conv = [tensors.to_reference(a, dtype) for a in (x, y, w, p, g)]
    out = emulation.pytorch_cpu(loss, dtype, reduction, *conv[:2], weight=conv[2], pos_weight=conv[3], grad_output=conv[4])
    return {k: tensors.from_reference(out[k], dtype) for k in FIELDS}


def matches(actual, reference, tol, signed_zero=False):
    """Elementwise verdict of section 0: does `actual` match `reference` (same shape, float arrays)?"""
    a = np.asarray(actual, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.isfinite(a) & (np.abs(a - r) <= tol["atol"] + tol["rtol"] * np.abs(r))
        ok = np.where(np.isnan(r), np.isnan(a), np.where(np.isinf(r), a == r, close))
        if signed_zero:
            ok &= ~((r == 0) & (np.signbit(a) != np.signbit(r)))
    return ok


def _same_bits(a, b, dtype):
    return tensors.encode_tensor(a, dtype)["hex"] == tensors.encode_tensor(b, dtype)["hex"]


def alternative(expected, alt, dtype, default_tol, signed_zero=False):
    """(ALTERNATIVE object or None, whether it widens the verdict) for one case.

    expected, alt: {field: carrier array}; only the fields of `expected` are considered.
    """
    if alt is None:
        return None, False
    outputs = {}
    widened = False
    for field in FIELDS:
        if field not in expected:
            continue
        e, a = expected[field], np.asarray(alt[field])
        if a.shape != e.shape:
            raise AssertionError(f"pytorch_cpu {field} has shape {a.shape}, expected {e.shape}")
        if _same_bits(e, a, dtype):
            continue
        outputs[field] = tensors.encode_tensor(a, dtype)
        widened |= not bool(np.all(matches(a, e, default_tol, signed_zero)))
    if not outputs:
        return None, False
    return {"source": SOURCE, "comment": comment(dtype), "outputs": outputs}, widened


def ulp(m, dtype):
    """Spacing of the dtype's numbers at |m| (the smallest subnormal at 0), elementwise, as float64."""
    c = tensors.consts(dtype)
    m = np.abs(np.asarray(m, dtype=np.float64))
    with np.errstate(divide="ignore"):
        _, e = np.frexp(np.maximum(m, c["min_normal"]))  # m in [2^(e-1), 2^e)
    return np.ldexp(c["eps"], e - 1)


def widening(expected, alt, dtype):
    """Per element of one field: (ULP distance, relative distance) of the alternative from the exact
    value where both are finite and differ; inf where exactly one is finite or they disagree on NaN."""
    e = np.asarray(expected, dtype=np.float64).ravel()
    a = np.asarray(alt, dtype=np.float64).ravel()
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        both = np.isfinite(e) & np.isfinite(a)
        d = np.where(both, np.abs(a - e), 0.0)
        same_nonfinite = ~both & ((np.isnan(e) & np.isnan(a)) | (e == a))
        u = np.where(both, d / ulp(e, dtype), np.where(same_nonfinite, 0.0, np.inf))
        rel = np.where(both, np.where(e != 0, d / np.abs(e), np.where(d == 0, 0.0, np.inf)), u)
    return u, rel
