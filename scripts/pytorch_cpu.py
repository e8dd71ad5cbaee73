"""What PyTorch 2.15's CPU kernels compute for BCELoss and BCEWithLogitsLoss: an emulation in NumPy.

scripts/bce_reference.py gives the exact value (rounded once). PyTorch's own CPU arithmetic is not
that: c10::Half and c10::BFloat16 round after every scalar operation, the with-logits loss is a
chain of tensor operations each rounded to the dtype, and its formula cancels. The golden files
record what PyTorch gives as an `acceptable` alternative (docs/CONTRACTS.md section 0); this module
computes it, following PyTorch's source operation by operation, in its order:

  aten/src/ATen/native/Loss.cpp   binary_cross_entropy_out_cpu (a scalar_t lambda), its backward
                                  (scalar_t lambda, then mul_(weight), div_(numel)),
                                  binary_cross_entropy_with_logits (tensor ops around log_sigmoid),
                                  apply_loss_reduction (mean() / sum())
  aten/src/ATen/native/cpu/Activation.cpp
                                  log_sigmoid: min(x, 0) - log1p(exp(-|x|)) in float for Half and
                                  BFloat16 (rounded once at the end), in the dtype otherwise
  torch/csrc/autograd/FunctionsManual.cpp
                                  binary_cross_entropy_target_backward (-logit(x) * grad ...),
                                  binary_cross_entropy_with_logits_backward and _target_backward

How each operation is rounded (`_Arith`):
  - Half / BFloat16: every + - * / is done in float32 (IEEE, as c10 converts to float) and rounded
    to the dtype (round to nearest even: NumPy's float32 -> float16 cast; bfloat16 through
    bce_reference.cast_to_dtype, as c10::BFloat16 rounds its float). What PyTorch
    computes in its opmath type (float) is computed in float32 and rounded once.
  - float32 / float64: IEEE operations in the dtype.
  - Elementary functions (log, log1p, exp): evaluated exactly (np.longdouble, libm's long double
    functions) and rounded to the type PyTorch evaluates them in (float32 for Half, BFloat16 and
    float; float64 for double). PyTorch calls glibc (scalar kernels) or SLEEF (vectorised kernels,
    within 1 ULP): where those are not correctly rounded the emulation differs, by 1 ULP of the
    float32/float64 intermediate. NumPy's own float32 transcendental loops are never used (they
    differ between NumPy versions); nor is anything else version-dependent.
  - Sums: PyTorch accumulates Half/BFloat16 in float and float32 in float32 with a cascade whose
    order is not emulated: the sum here is the exact sum rounded once to the accumulation type
    (float32 for Half/BFloat16/float32, float64 for double), then cast to the dtype. mean() of
    Half/BFloat16 sums in float32, divides in float32 and rounds once; of float/double divides in
    the dtype. Dividing a gradient by numel: (opmath) a / float(numel), rounded to the dtype.

Entry point: `pytorch_cpu`, with the argument rules of bce_reference.evaluate (same errors, same
check order, same casts: bfloat16 arrays are uint16 bits). scripts/check_pytorch_emulation.py
measures how far this is from the real torch (run it with a Python that has torch).
"""

import os
import sys

import numpy as np

if __name__ == "__main__":  # run as a script under -I: its folder is not on sys.path
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bce_reference as ref  # noqa: E402

__all__ = ["pytorch_cpu"]

_LD = np.longdouble
_LIBM = {"log": np.log, "log1p": np.log1p, "exp": np.exp}  # on longdouble arrays: libm, no SIMD loops


class _Arith:
    """PyTorch's arithmetic in one dtype: values are held in the opmath type (float32 for
    float16/bfloat16/float32, float64 for float64), every result rounded to the dtype by `r`."""

    def __init__(self, dtype):
        self.dtype = dtype
        self.wide = "float64" if dtype == "float64" else "float32"  # PyTorch's opmath type
        self.work = np.float64 if dtype == "float64" else np.float32

    def r(self, v):
        """Rounds opmath values to the dtype, to nearest even, as the c10::Half / c10::BFloat16
        conversion from float does (bce_reference.cast_to_dtype: the one rounding to bfloat16)."""
        v = np.asarray(v, dtype=self.work)
        if self.dtype in ("float32", "float64"):
            return v
        with np.errstate(over="ignore"):  # overflow gives inf
            return ref.cast_to_dtype(v, self.dtype).astype(np.float32)

    def fn(self, name, v):
        """An elementary function of opmath values, exact, rounded to the opmath type."""
        with np.errstate(all="ignore"):
            exact = _LIBM[name](np.asarray(v, dtype=_LD))
        return ref.round_to_dtype(exact, self.wide)

    # every binary operation of a scalar_t lambda or of a tensor op: opmath, then rounded
    def add(self, a, b):
        return self.r(np.add(a, b, dtype=self.work))

    def sub(self, a, b):
        return self.r(np.subtract(a, b, dtype=self.work))

    def mul(self, a, b):
        return self.r(np.multiply(a, b, dtype=self.work))

    def div(self, a, b):
        return self.r(np.divide(a, b, dtype=self.work))

    def max(self, a, b):
        """std::max(a, b): (a < b) ? b : a."""
        return np.where(a < b, b, a).astype(self.work)

    def log_sigmoid(self, x):
        """Activation.cpp log_sigmoid_cpu_kernel: min(x, 0) - log1p(exp(-|x|)) in opmath, rounded once."""
        with np.errstate(all="ignore"):
            m = np.minimum(x, self.work(0))
            e = self.fn("exp", -np.abs(x))
            return self.r(m - self.fn("log1p", e))

    def sigmoid(self, x):
        """UnaryOpsKernel.cpp sigmoid_kernel: 1 / (1 + exp(-x)) in opmath, rounded once."""
        with np.errstate(all="ignore"):
            e = self.fn("exp", -x)
            return self.r(self.work(1) / (self.work(1) + e))

    def logit(self, x):
        """UnaryOpsKernel.cpp logit_kernel (no eps): log(x / (1 - x)), each operation in the dtype."""
        with np.errstate(all="ignore"):
            q = self.div(x, self.sub(self.work(1), x))
            return self.r(self.fn("log", q))

    def reduce(self, terms, reduction):
        """apply_loss_reduction: mean() or sum() of dtype values (0-d result)."""
        n = terms.size
        s = self.work(ref.round_sum(terms.astype(_LD).ravel(), self.wide))  # accumulated in opmath
        with np.errstate(all="ignore"):
            if reduction == "mean":
                s = self.work(s / self.work(n))  # mean_out: sum in opmath, div_(numel), cast once
        return self.r(s)

    def div_numel(self, a, n):
        """grad.div_(numel): a / opmath(numel), rounded to the dtype."""
        with np.errstate(all="ignore"):
            return self.r(a / self.work(n))


def pytorch_cpu(loss, dtype, reduction, input, target, weight=None, pos_weight=None, grad_output=None):
    """Loss and gradients as PyTorch 2.15 on CPU computes them in `dtype` (its arithmetic, not the
    exact value). Arguments, errors and casts as bce_reference.evaluate. Returns {"loss",
    "grad_input", "grad_target"}: arrays of the dtype's storage (bfloat16: uint16 bits); "loss" has
    shape [] for mean/sum. The gradients are those of loss.backward(grad_output) with input and
    target requiring grad (grad_output None: 1, or ones for reduction none)."""
    x, y, w, pw, g = ref.prepare_arguments(loss, dtype, reduction, input, target, weight, pos_weight, grad_output)
    A = _Arith(dtype)
    shape, n = x.shape, x.size
    x, y = x.astype(A.work), y.astype(A.work)
    W = None if w is None else np.broadcast_to(w.astype(A.work), shape)
    P = None if pw is None else np.broadcast_to(pw.astype(A.work), shape)
    if g is None:
        G = np.ones(shape, dtype=A.work)
    else:
        G = np.broadcast_to(g.astype(A.work).reshape(g.shape if reduction == "none" else ()), shape)
    one = A.work(1)

    with np.errstate(all="ignore"):
        if loss == "bce":
            # forward lambda: (y - 1) * max(log1p(-x), -100) - y * max(log(x), -100)
            l1 = A.max(A.r(A.fn("log1p", -x)), A.work(-100))
            l2 = A.max(A.r(A.fn("log", x)), A.work(-100))
            terms = A.sub(A.mul(A.sub(y, one), l1), A.mul(y, l2))
            # backward lambda: grad * (x - y) / max((1 - x) * x, EPSILON)
            den = A.max(A.mul(A.sub(one, x), x), A.work(ref.epsilon(dtype)))
            gi = A.div(A.mul(G, A.sub(x, y)), den)
            # binary_cross_entropy_target_backward: logit(x).neg_().mul_(grad)
            gt = A.mul(-A.logit(x), G)
        else:
            ls = A.log_sigmoid(x)
            if P is not None:
                log_weight = A.add(A.mul(A.sub(P, one), y), one)  # (pos_weight - 1).mul(target).add_(1)
                ls = A.mul(ls, log_weight)
            terms = A.sub(A.mul(A.sub(one, y), x), ls)  # (1 - target).mul_(input).sub_(log_sigmoid_input)
            sig = A.sigmoid(x)
            if P is not None:
                t = A.mul(P, y)
                gi = A.sub(A.mul(A.sub(A.add(t, one), y), sig), t)  # t.add(1).sub(target).mul(sigmoid).sub(t)
                gt = A.mul(A.sub(A.log_sigmoid(-x), A.mul(A.log_sigmoid(x), P)), G)
            else:
                gi = A.sub(sig, y)
                gt = A.mul(-x, G)
            gi = A.mul(gi, G)
        if W is not None:
            terms = A.mul(terms, W)
            gi = A.mul(gi, W)
            gt = A.mul(gt, W)
        if reduction == "mean":
            gi = A.div_numel(gi, n)
            gt = A.div_numel(gt, n)
    loss_value = terms if reduction == "none" else A.reduce(terms, reduction)
    return {"loss": ref.storage_of(loss_value, dtype),
            "grad_input": ref.storage_of(gi, dtype),
            "grad_target": ref.storage_of(gt, dtype)}


def _digest(elements=20000, seed=7):
    """sha256 of pytorch_cpu's outputs on fixed edge-biased arguments, every loss x dtype x
    reduction: the same under every NumPy version, or the golden files' acceptable results are not."""
    import hashlib
    rng = np.random.default_rng(seed)
    h = hashlib.sha256()
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-40, 88.0, -88.0, 1e4, -1e4])
    for loss in ref.LOSSES:
        for dtype in ref.DTYPES:
            for reduction in ref.REDUCTIONS:
                if loss == "bce":
                    x = rng.random(elements)
                    x[:50], x[50:100], x[100:150], x[150:200] = 0, 1, 1e-30, 1 - 1e-9
                else:
                    x = rng.normal(0, 10, elements)
                    x[:special.size] = special
                y = rng.random(elements)
                y[::7], y[::11] = 0, 1
                x, y = x.reshape(-1, 8), y.reshape(-1, 8)
                g = rng.normal(size=x.shape) if reduction == "none" else np.array(0.75)
                kw = {} if loss == "bce" else {"pos_weight": rng.uniform(0, 4, 8)}
                out = pytorch_cpu(loss, dtype, reduction, x, y, weight=rng.uniform(0, 2, 8), grad_output=g, **kw)
                for key in sorted(out):
                    h.update(key.encode())
                    h.update(np.ascontiguousarray(out[key]).tobytes())
    return h.hexdigest()


if __name__ == "__main__":
    # /usr/bin/python3 -I scripts/pytorch_cpu.py and python3 scripts/pytorch_cpu.py (NumPy 1.24 and 2.x) must agree
    print(f"NumPy {np.__version__}: pytorch_cpu digest {_digest()}")
