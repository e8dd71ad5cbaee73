#!/usr/bin/env python3
"""Mutant ports: one clean port of BCELoss / BCEWithLogitsLoss and, per mutant, one plausible bug.

    /usr/bin/python3 -I scripts/ports/mutants/mutant_port.py --mutant NAME     (speaks the port protocol)
    /usr/bin/python3 -I scripts/ports/mutants/mutant_port.py --list            (name, dtypes, description)

`Base` computes PyTorch's formulas in np.longdouble (x87 extended on Debian's Python) from the
inputs decoded in the case dtype, and rounds each result once to the case dtype. Each mutant is a
subclass that overrides ONE method of Base with a bug seen in a real implementation (MUTANTS
below: the bug, where it comes from, and the dtypes in which the golden suite can show it). The
unmutated base ("base") must pass the suite's default mode: then every failure of a mutant is its
bug's. scripts/kill-matrix.sh runs them all and writes docs/MUTANTS.md.

Self-contained on purpose (no import of bce_reference): a mutant must not share the reference's code.
"""

import math
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from port_loop import PortError, serve  # noqa: E402

W = np.longdouble  # the wide type
DTYPES = ("float16", "bfloat16", "float32", "float64")
NP = {"float16": np.float16, "float32": np.float32, "float64": np.float64}


# ---------------------------------------------------------------------------------------------
# Tensors and rounding (bfloat16 as the upper 16 bits of a float32)


def decode(tensor):
    dtype = tensor["dtype"]
    raw = bytes.fromhex(tensor["hex"])
    if dtype == "bfloat16":
        bits = np.frombuffer(raw, dtype=">u2").astype(np.uint32) << np.uint32(16)
        values = bits.view(np.float32)
    else:
        values = np.frombuffer(raw, dtype=np.dtype(NP[dtype]).newbyteorder(">"))
    return values.astype(W).reshape(tensor["shape"])


def round_to(values, dtype):
    """values (wide) rounded to dtype, returned wide (so later arithmetic sees the rounded value)."""
    return bits_to_wide(to_bits(values, dtype), dtype)


def to_bits(values, dtype):
    """Big-endian bytes of values rounded to dtype (round to nearest even)."""
    v = np.asarray(values, dtype=W)
    if dtype != "bfloat16":
        with np.errstate(over="ignore"):
            return v.astype(NP[dtype]).astype(np.dtype(NP[dtype]).newbyteorder(">")).tobytes()
    with np.errstate(over="ignore"):
        f = v.astype(np.float64).astype(np.float32)  # double rounding: far inside bfloat16's tolerance
    u = np.atleast_1d(f).view(np.uint32).astype(np.uint64)
    k16, one = np.uint64(16), np.uint64(1)
    r = ((u + np.uint64(0x7FFF) + ((u >> k16) & one)) >> k16).astype(np.uint16)
    r = np.where(np.isnan(np.atleast_1d(f)), np.uint16(0x7FC0), r)
    return r.astype(">u2").tobytes()


def bits_to_wide(raw, dtype):
    return decode({"dtype": dtype, "hex": raw.hex(), "shape": [len(raw) // (2 if dtype in ("float16", "bfloat16") else 4 if dtype == "float32" else 8)]})


def encode(values, dtype):
    v = np.asarray(values, dtype=W)
    return {"dtype": dtype, "shape": list(v.shape), "hex": to_bits(v, dtype).hex()}


def epsilon(dtype):
    """PyTorch's EPSILON: the float constant 1e-12 (Loss.cpp: constexpr float), converted to the
    case dtype: 0 in float16, 9.999999960041972e-13 in float64."""
    return round_to(W(np.float32(1e-12)), dtype)[0]


# ---------------------------------------------------------------------------------------------
# The clean implementation


def broadcasts_into(shape, target):
    """Trailing alignment, without enlarging target."""
    if len(shape) > len(target):
        return False
    return all(s == t or s == 1 for s, t in zip(reversed(shape), reversed(target)))


def softplus(z):
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


class Base:
    """PyTorch 2.x's BCELoss / BCEWithLogitsLoss (aten/src/ATen/native/Loss.cpp,
    torch/csrc/autograd/FunctionsManual.cpp) in longdouble, rounded once to the case dtype."""

    def __init__(self, dtype):
        self.dtype = dtype

    # -- checks, in the order of docs/CONTRACTS.md section 1 ------------------------------
    def check(self, loss, reduction, x, y, w, p, g):
        self.check_shapes(x, y)
        for name, a in (("weight", w), ("pos_weight", p)):
            if a is not None and not self.weight_fits(a.shape, x.shape):
                raise PortError("not_broadcastable", f"{name} {list(a.shape)} vs input {list(x.shape)}")
        if (g.shape != x.shape) if reduction == "none" else (g.size != 1):
            raise PortError("not_broadcastable", f"grad_output {list(g.shape)} for reduction {reduction}")
        if loss == "bce":
            self.check_ranges(x, y)

    def check_shapes(self, x, y):
        if x.shape != y.shape:
            raise PortError("shape_mismatch", f"input {list(x.shape)} vs target {list(y.shape)}")

    def weight_fits(self, shape, input_shape):
        return broadcasts_into(shape, input_shape)

    def expand(self, a, shape):
        return np.broadcast_to(a, shape)

    def check_ranges(self, x, y):
        bad_x, bad_y = ~((x >= 0) & (x <= 1)).ravel(), ~((y >= 0) & (y <= 1)).ravel()
        ix = int(np.argmax(bad_x)) if bad_x.any() else x.size
        iy = int(np.argmax(bad_y)) if bad_y.any() else x.size
        if ix < x.size and ix <= iy:
            raise PortError("input_out_of_range", f"input[{ix}] not in [0, 1]")
        if iy < x.size:
            raise PortError("target_out_of_range", f"target[{iy}] not in [0, 1]")

    # -- inputs ------------------------------------------------------------------------------
    def prepare(self, x):
        """An input tensor as the arithmetic sees it (decoded in the case dtype, widened)."""
        return x

    # -- BCELoss --------------------------------------------------------------------------------
    def bce_log(self, x):
        return np.maximum(np.log(x), -100)

    def bce_log1m(self, x):
        return np.maximum(np.log1p(-x), -100)

    def bce_loss(self, x, y):
        return -(y * self.bce_log(x) + (1 - y) * self.bce_log1m(x))

    def bce_grad_input(self, x, y):
        return (x - y) / np.maximum((1 - x) * x, epsilon(self.dtype))

    def bce_grad_target(self, x, y):
        return -(np.log(x) - np.log1p(-x))  # PyTorch's order (-0 at x = 1/2)

    # -- BCEWithLogitsLoss ---------------------------------------------------------------------
    def softplus(self, z):
        return softplus(z)

    def logits_loss(self, x, y, p):
        pe = 1 if p is None else p
        exact = (1 - y) * self.softplus(x) + pe * y * self.softplus(-x)
        # non-finite logits: PyTorch's formula (1 - y) * x - logsigmoid(x) * ((p - 1) * y + 1) in IEEE arithmetic
        literal = (1 - y) * x + self.softplus(-x) * (1 if p is None else (p - 1) * y + 1)
        finite = np.isfinite(x) & np.isfinite(y) & (True if p is None else np.isfinite(p))
        return np.where(finite, exact, literal)

    def logits_grad_input(self, x, y, p):
        t = y if p is None else p * y
        exact = (1 - y) * sigmoid(x) - t * sigmoid(-x)
        literal = (t + 1 - y) * sigmoid(x) - t
        return np.where(np.isfinite(x) & np.isfinite(t), exact, literal)

    def logits_grad_target(self, x, y, p):
        if p is None:
            return -x
        # logsigmoid(-x) - p * logsigmoid(x)
        return p * np.maximum(-x, 0) - np.maximum(x, 0) + (p - 1) * np.log1p(np.exp(-np.abs(x)))

    # -- weights, reductions -------------------------------------------------------------
    def weigh_gradients(self, gi, gt, w):
        return gi * w, gt * w

    def reduce(self, terms, reduction, w):
        """Sum or mean of the weighted loss terms (wide), rounded to the dtype."""
        if reduction == "sum":
            return round_to(np.sum(terms, dtype=W), self.dtype)[0]
        n = terms.size
        return round_to(np.sum(terms, dtype=W) / W(n) if n else W(np.nan), self.dtype)[0]

    def mean_divisor(self, n, w):
        return W(n)

    def grad_target_output(self, gt):
        return gt

    def finish(self, outputs):
        """Results in the wide type, about to be rounded to the dtype."""
        return outputs

    # -- one case -------------------------------------------------------------------------------
    def run(self, loss, reduction, x, y, w, p, g):
        self.check(loss, reduction, x, y, w, p, g)
        x, y = self.prepare(x), self.prepare(y)
        w = None if w is None else self.prepare(w)
        p = None if p is None else self.prepare(p)
        g = self.prepare(g)
        shape = np.broadcast_shapes(x.shape, y.shape)
        x, y = np.broadcast_to(x, shape), np.broadcast_to(y, shape)
        w1 = np.ones(shape, dtype=x.dtype) if w is None else self.expand(w, shape)
        if p is not None:
            p = self.expand(p, shape)
        gg = g if reduction == "none" else g.reshape(())
        with np.errstate(all="ignore"):
            if loss == "bce":
                terms, gi, gt = self.bce_loss(x, y), self.bce_grad_input(x, y), self.bce_grad_target(x, y)
            else:
                terms = self.logits_loss(x, y, p)
                gi, gt = self.logits_grad_input(x, y, p), self.logits_grad_target(x, y, p)
            terms = terms * w1
            gi, gt = self.weigh_gradients(gi * gg, gt * gg, w1)
            if reduction == "none":
                out = terms
            else:
                out = self.reduce(terms, reduction, w1)
            if reduction == "mean":
                d = self.mean_divisor(terms.size, w1)
                gi, gt = self.mean_grad(gi, d), self.mean_grad(gt, d)
            gt = self.grad_target_output(gt)
            return self.finish({"loss": out, "grad_input": gi, "grad_target": gt})

    def mean_grad(self, grad, divisor):
        return grad / divisor


# ---------------------------------------------------------------------------------------------
# The mutants: one overridden method each


class KerasClip(Base):
    def bce_loss(self, x, y):
        c = self.clip(x)
        return -(y * np.log(c) + (1 - y) * np.log(1 - c))

    def clip(self, x):
        eps = round_to(W(1e-7), self.dtype)[0]
        return np.clip(x, eps, round_to(1 - eps, self.dtype)[0])

    def bce_grad_input(self, x, y):  # autodiff through the clip: 0 where it clipped
        c = self.clip(x)
        return np.where(c == x, (c - y) / (c * (1 - c)), 0)

    def bce_grad_target(self, x, y):
        c = self.clip(x)
        return np.log(1 - c) - np.log(c)


class NoLogClamp(Base):
    def bce_log(self, x):
        return np.log(x)

    def bce_log1m(self, x):
        return np.log1p(-x)


class LossClamp(Base):
    def bce_loss(self, x, y):
        return np.minimum(-(y * np.log(x) + (1 - y) * np.log1p(-x)), 100)


class AutodiffClamp(Base):
    def bce_grad_input(self, x, y):
        # d/dx of -(y * max(log x, -100) + (1 - y) * max(log1p(-x), -100)): the max's derivative
        # (0 where clamped) times the log's (1/0 = inf at 0 and 1) gives 0 * inf = NaN
        d_log = np.where(np.log(x) > -100, 1, 0) * (1 / x)
        d_log1m = np.where(np.log1p(-x) > -100, 1, 0) * (-1 / (1 - x))
        return -(y * d_log + (1 - y) * d_log1m)


class NoEpsilon(Base):
    def bce_grad_input(self, x, y):
        return (x - y) / ((1 - x) * x)


class EpsilonWideInHalf(Base):
    def bce_grad_input(self, x, y):
        return (x - y) / np.maximum((1 - x) * x, W(np.float32(1e-12)))  # float's 1e-12 unconverted, also in float16


class EpsilonDoubleInFloat64(Base):
    def bce_grad_input(self, x, y):
        return (x - y) / np.maximum((1 - x) * x, round_to(W(1e-12), self.dtype)[0])  # 1e-12 as a double literal


class LogOneMinusX(Base):
    def bce_log1m(self, x):
        return np.maximum(np.log(round_to(1 - x, self.dtype).reshape(np.shape(x))), -100)  # 1 - x rounded to the dtype


class FlushSubnormals(Base):
    def tiny(self):
        if self.dtype == "bfloat16":
            return W(np.finfo(np.float32).tiny)
        return W(np.finfo(NP[self.dtype]).tiny)

    def prepare(self, x):
        return np.where(np.abs(x) < self.tiny(), 0 * x, x)

    def finish(self, outputs):
        out = {}
        for k, v in outputs.items():
            r = round_to(v, self.dtype).reshape(np.shape(v))
            out[k] = np.where(np.abs(r) < self.tiny(), 0 * r, r)
        return out


class NaiveSoftplus(Base):
    def softplus(self, z):
        e = round_to(np.exp(z), self.dtype).reshape(np.shape(z))  # exp in the dtype: overflows
        return np.log(1 + e)


class SigmoidThenBCE(Base):
    def logits_loss(self, x, y, p):
        s = round_to(sigmoid(x), self.dtype).reshape(np.shape(x))
        pe = 1 if p is None else p
        return -(pe * y * np.maximum(np.log(s), -100) + (1 - y) * np.maximum(np.log1p(-s), -100))


class MeanByWeightSum(Base):
    def reduce(self, terms, reduction, w):
        if reduction == "sum":
            return Base.reduce(self, terms, reduction, w)
        return round_to(np.sum(terms, dtype=W) / np.sum(w, dtype=W), self.dtype)[0]

    def mean_divisor(self, n, w):
        return np.sum(w, dtype=W)


class PosWeightOnNegative(Base):
    def logits_loss(self, x, y, p):
        if p is None:
            return Base.logits_loss(self, x, y, p)
        return (1 - y) * p * self.softplus(x) + y * self.softplus(-x)


class WeightLeadingDims(Base):
    def weight_fits(self, shape, input_shape):
        return broadcasts_into(self.leading(shape, input_shape), input_shape)

    def leading(self, shape, input_shape):
        return tuple(shape) + (1,) * max(len(input_shape) - len(shape), 0)

    def expand(self, a, shape):
        return np.broadcast_to(a.reshape(self.leading(a.shape, shape)), shape)


class TargetBroadcast(Base):
    def check_shapes(self, x, y):  # NumPy broadcasting: the loss takes the broadcast shape
        try:
            np.broadcast_shapes(x.shape, y.shape)
        except ValueError:
            raise PortError("shape_mismatch", f"input {list(x.shape)} vs target {list(y.shape)}")


class NoRangeCheck(Base):
    def check_ranges(self, x, y):
        pass


class Float64InFloat32(Base):
    """Every operation of a float64 case in float32 (NumPy's float32 loops), as JAX computes
    without jax_enable_x64: inputs, each operation and the sum rounded to float32."""

    def prepare(self, x):
        return x.astype(np.float32) if self.dtype == "float64" else x

    def reduce(self, terms, reduction, w):
        if self.dtype != "float64":
            return Base.reduce(self, terms, reduction, w)
        s = np.sum(terms.astype(np.float32), dtype=np.float32)
        if reduction == "mean":
            s = s / np.float32(terms.size) if terms.size else np.float32(np.nan)
        return W(s)

    def finish(self, outputs):
        if self.dtype != "float64":
            return outputs
        return {k: np.asarray(v).astype(np.float32).astype(W) for k, v in outputs.items()}


class Float64RoundedToFloat32(Base):
    """The best a float32 implementation can do for float64: inputs rounded to float32, the formulas
    in longdouble, the results rounded to float32 (then widened back to float64)."""

    def prepare(self, x):
        return round_to(x, "float32").reshape(x.shape) if self.dtype == "float64" else x

    def finish(self, outputs):
        if self.dtype != "float64":
            return outputs
        return {k: round_to(v, "float32").reshape(np.shape(v)) for k, v in outputs.items()}


class NaiveHalfSum(Base):
    def reduce(self, terms, reduction, w):
        if self.dtype not in ("float16", "bfloat16"):
            return Base.reduce(self, terms, reduction, w)
        rnd = scalar_rounding(self.dtype)
        acc = 0.0
        for v in round_to(terms, self.dtype).tolist():  # sequential, every partial sum rounded to the dtype
            acc = rnd(acc + v)
        if reduction == "mean":
            acc = rnd(acc / terms.size) if terms.size else float("nan")
        return W(acc)


def scalar_rounding(dtype):
    """A Python float rounded to float16 / bfloat16 (as a Python float): fast enough for a loop."""
    if dtype == "float16":
        return lambda v: float(np.float16(v))
    pack, unpack = struct.Struct(">f").pack, struct.Struct(">I").unpack
    pack_i, unpack_f = struct.Struct(">I").pack, struct.Struct(">f").unpack

    def bf16(v):
        if v != v:
            return v
        try:
            (u,) = unpack(pack(v))
        except OverflowError:
            return math.copysign(math.inf, v)
        u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
        return unpack_f(pack_i(u))[0]  # a carry into the exponent gives the infinity

    return bf16


class MeanGradNotDivided(Base):
    def mean_grad(self, grad, divisor):
        return grad


class NoGradTarget(Base):
    def grad_target_output(self, gt):
        return np.zeros_like(gt)


class GradIgnoresWeight(Base):
    def weigh_gradients(self, gi, gt, w):
        return gi, gt


class GradInputIgnoresPosWeight(Base):
    def logits_grad_input(self, x, y, p):
        return Base.logits_grad_input(self, x, y, None)


class GradTargetIgnoresPosWeight(Base):
    def logits_grad_target(self, x, y, p):
        return -x


class EmptyMeanZero(Base):
    def reduce(self, terms, reduction, w):
        if reduction == "mean" and terms.size == 0:
            return W(0)
        return Base.reduce(self, terms, reduction, w)


ALL = ("float16", "bfloat16", "float32", "float64")
WIDE = ("bfloat16", "float32", "float64")
HALF = ("float16", "bfloat16")

# name -> (class, dtypes where the bug can show, description, where it comes from)
MUTANTS = {
    "base": (Base, (), "no bug: PyTorch's formulas in longdouble, rounded once", "-"),
    "keras-clip": (KerasClip, ALL, "probabilities clipped to [1e-7, 1 - 1e-7] instead of each log clamped at -100",
                   "Keras 3 binary_crossentropy (clip to [epsilon, 1 - epsilon], epsilon 1e-7)"),
    "no-log-clamp": (NoLogClamp, ALL, "no -100 clamp on the logs (log(0) = -inf, 0 * -inf = NaN)",
                     "tinygrad Tensor.binary_crossentropy"),
    "loss-clamp": (LossClamp, ALL, "the loss clamped at 100 instead of each log at -100",
                   "hand-written BCE (min(loss, 100)), e.g. forum answers"),
    "autodiff-clamp": (AutodiffClamp, ALL, "d/dx by autodiff through max(log x, -100): NaN at x = 0 and 1",
                       "jax.grad of a literal port of PyTorch's clamped formula"),
    "no-epsilon": (NoEpsilon, WIDE, "d/dx = (x - y) / ((1 - x) x) without max(., EPSILON): 0/0 = NaN at x = y = 0 "
                   "(float16's EPSILON is 0 already)", "a hand-derived backward without PyTorch's max(., EPSILON) guard"),
    "epsilon-wide-in-half": (EpsilonWideInHalf, ("float16",), "EPSILON = 1e-12 kept in float32 for float16 "
                             "(PyTorch converts it to the dtype: 0), finite gradients at 0 and 1",
                             "ports that keep constants in float32 (e.g. CUDA kernels with float EPSILON)"),
    "epsilon-double-in-float64": (EpsilonDoubleInFloat64, ("float64",), "EPSILON = 1e-12 as a double in float64 "
                                  "(PyTorch's float constant is 9.999999960041972e-13): d/dx at 0 and 1 off by 4e-9",
                                  "ports writing 1e-12 as a double literal; this repo's reference before d1ec436"),
    "log-one-minus-x": (LogOneMinusX, HALF, "log(1 - x), 1 - x rounded in the dtype, instead of log1p(-x)",
                        "tinygrad ((1 - x).log()), Keras (log(1 - output + eps))"),
    "flush-subnormals": (FlushSubnormals, ALL, "subnormal inputs and results flushed to zero (DAZ/FTZ)",
                         "-ffast-math builds (FTZ/DAZ), GPU kernels compiled with flush-to-zero"),
    "naive-softplus": (NaiveSoftplus, ALL, "softplus as log(1 + exp(x)) with exp in the dtype (overflows)",
                       "the textbook log(1 + exp(x))"),
    "sigmoid-then-bce": (SigmoidThenBCE, ALL, "BCEWithLogitsLoss as BCELoss(sigmoid(x)), sigmoid rounded to the dtype",
                         "nn.BCELoss(torch.sigmoid(x)), which PyTorch's docs warn against"),
    "mean-by-weight-sum": (MeanByWeightSum, ALL, "mean divided by the sum of the weights instead of the count",
                           "scikit-learn log_loss(sample_weight=...) (np.average)"),
    "pos-weight-negative": (PosWeightOnNegative, ALL, "pos_weight multiplies the negative term (1 - y) softplus(x)",
                            "a misreading of pos_weight (the weight of the positive class)"),
    "weight-leading-dims": (WeightLeadingDims, ALL, "weight aligned to the leading dimensions (NumPy-unlike) "
                            "instead of the trailing ones", "ports that treat a 1-d weight as per-sample (shape (N,) against (N, C))"),
    "target-broadcast": (TargetBroadcast, ALL, "a target of another shape broadcast against the input instead of shape_mismatch",
                         "NumPy/JAX code without a shape check (silent broadcasting)"),
    "no-range-check": (NoRangeCheck, ALL, "BCELoss does not check that input and target are in [0, 1]",
                       "tinygrad, JAX/optax, Keras (no range check)"),
    "float64-in-float32": (Float64InFloat32, ("float64",), "float64 computed in float32: every operation and the sum",
                           "JAX without jax_enable_x64"),
    "float64-rounded-to-float32": (Float64RoundedToFloat32, ("float64",), "float64 inputs and results rounded to float32, "
                                   "exact in between (the best float32 can do)", "a float32-only kernel behind a float64 API"),
    "naive-half-sum": (NaiveHalfSum, HALF, "sum/mean of float16/bfloat16 accumulated in the dtype, element by element",
                       "a loop accumulating in the element type"),
    "mean-grad-not-divided": (MeanGradNotDivided, ALL, "mean's gradients not divided by the element count",
                              "hand-written backward passes"),
    "no-grad-target": (NoGradTarget, ALL, "d/dtarget missing (zeros)", "frameworks that treat the target as a constant "
                       "(TensorFlow, Keras, tinygrad's detach)"),
    "grad-ignores-weight": (GradIgnoresWeight, ALL, "gradients not multiplied by weight", "hand-written backward passes"),
    "grad-input-ignores-pos-weight": (GradInputIgnoresPosWeight, ALL, "d/dx as sigmoid(x) - y even with pos_weight",
                                      "the pos_weight-free formula reused"),
    "grad-target-ignores-pos-weight": (GradTargetIgnoresPosWeight, ALL, "d/dtarget as -x even with pos_weight",
                                       "the pos_weight-free formula reused"),
    "empty-mean-zero": (EmptyMeanZero, ALL, "the mean of no elements is 0 instead of NaN",
                        "sum / max(n, 1), a guard against division by zero"),
}


# ---------------------------------------------------------------------------------------------
# Protocol loop


def run_case(cls, case):
    dtype, ins = case["dtype"], case["inputs"]
    x, y, g = decode(ins["input"]), decode(ins["target"]), decode(ins["grad_output"])
    w = decode(ins["weight"]) if "weight" in ins else None
    p = decode(ins["pos_weight"]) if "pos_weight" in ins else None
    out = cls(dtype).run(case["loss"], case["reduction"], x, y, w, p, g)
    return {k: encode(v, dtype) for k, v in out.items()}


def main(argv):
    if argv[1:] == ["--list"]:
        for name, (_, dtypes, description, source) in MUTANTS.items():
            print(f"{name}\t{','.join(dtypes) or '-'}\t{description}\t{source}")
        return 0
    if len(argv) != 3 or argv[1] != "--mutant" or argv[2] not in MUTANTS:
        print(f"usage: mutant_port.py --mutant NAME | --list   (NAME: {', '.join(MUTANTS)})", file=sys.stderr)
        return 2
    name = argv[2]
    cls = MUTANTS[name][0]
    return serve(f"mutant_port {name}", {
        "name": f"mutant {name}", "language": "python", "version": f"numpy {np.__version__}",
        "losses": ["bce", "bce_with_logits"], "dtypes": list(DTYPES)}, lambda case: run_case(cls, case), DTYPES)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
