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
    to the dtype (float16: NumPy's float32 -> float16 cast, round to nearest even; bfloat16: round
    to nearest even on the float32 bits, as c10::BFloat16 does, NaN -> 7fc0). What PyTorch
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

import numpy as np

import bce_reference as ref

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
        """Rounds opmath values to the dtype (c10::Half / c10::BFloat16 conversion from float)."""
        v = np.asarray(v, dtype=self.work)
        if self.dtype == "float16":
            return v.astype(np.float16).astype(np.float32)
        if self.dtype == "bfloat16":
            u = v.view(np.uint32)
            rounded = ((u + np.uint32(0x7FFF) + ((u >> 16) & np.uint32(1))) >> 16) << 16
            out = rounded.astype(np.uint32).view(np.float32)
            return np.where(np.isnan(v), np.float32(np.nan), out)
        return v

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
