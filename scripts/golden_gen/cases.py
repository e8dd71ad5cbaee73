"""One golden case from its inputs: `Catalogue.add` evaluates the exact values (bce_reference.evaluate),
PyTorch's own arithmetic (acceptance.pytorch_cpu) and refuses implementation-defined cases.
"""

import zlib

import numpy as np

import bce_reference as ref

from . import acceptance
from .tensors import as_dtype, carrier, encode_tensor, from_reference, to_reference


class Random:
    def __init__(self, seed, case_id):
        self.bits = np.random.PCG64([seed, zlib.crc32(case_id.encode("utf-8"))])

    def uniform(self, n, lo=0.0, hi=1.0):
        u = (self.bits.random_raw(n) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53  # [0, 1)
        return lo + (hi - lo) * u

    def choice(self, n, k):
        return (self.bits.random_raw(n) % np.uint64(k)).astype(np.int64)


class Catalogue:
    def __init__(self, seed, flags, default_tolerance):
        self.seed = seed
        self.flags = flags
        self.default_tolerance = default_tolerance
        self.cases = {}  # (loss, dtype) -> list of cases
        self.categories = {}
        self.ids = set()

    def rng(self, case_id):
        return Random(self.seed, case_id)

    def add(self, category, loss, dtype, reduction, name, comment, flags, input, target, weight=None,
            pos_weight=None, grad_output=None, error=None, tolerance=None, gradients=True):
        case_id = f"{loss}/{dtype}/{reduction}/{name}"
        assert case_id not in self.ids, case_id
        assert all(f in self.flags for f in flags), flags
        self.ids.add(case_id)
        x = as_dtype(np.asarray(input, dtype=np.float64) if not isinstance(input, np.ndarray) else input, dtype)
        y = as_dtype(target, dtype)
        w = None if weight is None else as_dtype(weight, dtype)
        p = None if pos_weight is None else as_dtype(pos_weight, dtype)
        if grad_output is None:
            g = np.ones(x.shape if reduction == "none" else (), dtype=carrier(dtype))
        else:
            g = as_dtype(grad_output, dtype)
        inputs = {"input": encode_tensor(x, dtype), "target": encode_tensor(y, dtype),
                  "grad_output": encode_tensor(g, dtype)}
        if w is not None:
            inputs["weight"] = encode_tensor(w, dtype)
        if p is not None:
            inputs["pos_weight"] = encode_tensor(p, dtype)
        case = {"id": case_id, "comment": comment, "flags": sorted(set(flags)), "loss": loss,
                "dtype": dtype, "reduction": reduction, "inputs": inputs}
        try:
            out = evaluate(loss, dtype, reduction, x, y, w, p, g)
        except ref.BCEReferenceError as e:
            if error != e.kind:
                raise AssertionError(f"{case_id}: reference raised {e.kind} ({e}), catalogue expects {error}")
            case["expected_error"] = e.kind
        else:
            if error is not None:
                raise AssertionError(f"{case_id}: catalogue expects {error}, reference accepted it")
            _guard_implementation_defined(case_id, loss, dtype, reduction, x, y, w, p, out["loss"])
            exp = {"loss": encode_tensor(out["loss"], dtype)}
            values = {"loss": out["loss"]}
            if gradients:
                for k in ("grad_input", "grad_target"):
                    exp[k] = encode_tensor(out[k], dtype)
                    values[k] = out[k]
                    scale = out[k + "_scale"]
                    with np.errstate(invalid="ignore"):
                        redundant = np.all((scale <= np.abs(out[k])) | ~np.isfinite(out[k]))
                    if not redundant:  # left out where max(|expected|, scale) = |expected| everywhere
                        exp[k + "_scale"] = encode_tensor(scale, dtype)
            case["expected"] = exp
            alt, widened = acceptance.alternative(
                values, acceptance.pytorch_cpu(loss, dtype, reduction, x, y, w, p, g), dtype,
                self.default_tolerance[dtype], signed_zero="signed-zero" in flags)
            if alt is not None:
                case["acceptable"] = [alt]
            if widened:
                case["flags"] = sorted(set(flags) | {acceptance.FLAG})
        if tolerance is not None:
            case["tolerance"] = tolerance
        self.cases.setdefault((loss, dtype), []).append(case)
        self.categories[category] = self.categories.get(category, 0) + 1
        return case


def _guard_implementation_defined(case_id, loss, dtype, reduction, x, y, w, p, expected_loss):
    """Refuses cases whose value PyTorch itself does not produce because an intermediate overflows.

    PyTorch evaluates its formula in the dtype (checked in float32 for float16 and bfloat16): with |x| near the dtype's
    maximum, (1 - y) * x or logsigmoid(x) * log_weight can overflow although the exact loss is
    finite; and a mean whose sum overflows is +-inf in PyTorch but finite exactly. Such values are
    implementation-defined, so the catalogue must not contain them.
    """
    work = np.float32 if dtype in ("float16", "bfloat16") else carrier(dtype)
    X, Y = x.astype(work), y.astype(work)
    with np.errstate(all="ignore"):
        if loss == "bce_with_logits":
            ls = np.minimum(X, 0) - np.log1p(np.exp(-np.abs(X)))
            lw = 1 if p is None else (np.broadcast_to(p.astype(work), X.shape) - 1) * Y + 1
            lit = (1 - Y) * X - ls * lw
        else:
            lit = (Y - 1) * np.maximum(np.log1p(-X), -100) - Y * np.maximum(np.log(X), -100)
        if w is not None:
            lit = lit * np.broadcast_to(w.astype(work), X.shape)
        lit = as_dtype(lit, dtype)
        if reduction == "none":
            bad = np.isfinite(expected_loss) != np.isfinite(lit)
            assert not bad.any(), f"{case_id}: implementation-defined (intermediate overflow) at {np.flatnonzero(bad)}"
        elif reduction == "mean" and np.isfinite(expected_loss) and x.size:
            total = evaluate(loss, dtype, "sum", x, y, w, p)["loss"]
            assert np.isfinite(total), f"{case_id}: the sum overflows {dtype}, so PyTorch's mean is not the exact mean"


def evaluate(loss, dtype, reduction, x, y, w=None, p=None, g=None):
    """bce_reference.evaluate on carrier arrays, results as carrier arrays."""
    out = ref.evaluate(loss, dtype, reduction, *(to_reference(a, dtype) for a in (x, y, w, p, g)))
    return {k: from_reference(v, dtype) for k, v in out.items()}
