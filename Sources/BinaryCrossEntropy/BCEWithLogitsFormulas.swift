import RealModule

// The elementwise formulas of BCEWithLogitsLoss, generic over the evaluation type.
// PyTorch: binary_cross_entropy_with_logits (aten/src/ATen/native/Loss.cpp), log_sigmoid
// (aten/src/ATen/native/cpu/Activation.cpp), binary_cross_entropy_with_logits_backward and
// binary_cross_entropy_with_logits_target_backward (torch/csrc/autograd/FunctionsManual.cpp).
//
// PyTorch's loss (1 - y) * x - logsigmoid(x) * log_weight cancels catastrophically when y = 0 and
// x is very negative (x - x + tiny). For targets in [0, 1] and pos_weight ≥ 0 it equals
// (1 - y) * softplus(x) + p * y * softplus(-x), a sum of non-negative terms, which is what we
// evaluate; outside that domain (and for non-finite input) we evaluate PyTorch's own formula.
enum BCEWithLogitsFormulas {
    /// `log(1 + exp(x))` and `log(1 + exp(-x))`, sharing one `log1p(exp(-|x|))`. Each is a sum of
    /// two non-negative terms, so each has the relative accuracy of `log1p(exp(..))`.
    @inline(__always)
    static func softplusPair<W: Real>(_ x: W) -> (ofX: W, ofMinusX: W) {
        let tail = W.log(onePlus: W.exp(-x.magnitude))
        return (max(x, 0) + tail, max(-x, 0) + tail)
    }

    /// PyTorch's `log_sigmoid`: `min(x, 0) - log1p(exp(-|x|))` (Activation.cpp). Both terms are
    /// ≤ 0, so it has no cancellation. 0 at +infinity, -infinity at -infinity, NaN at NaN.
    @inline(__always)
    static func logSigmoid<W: Real>(_ x: W) -> W {
        min(x, 0) - W.log(onePlus: W.exp(-x.magnitude))
    }

    /// `sigmoid(x)` and `sigmoid(-x)`, both with full relative accuracy (no `1 - sigmoid`).
    @inline(__always)
    static func sigmoidPair<W: Real>(_ x: W) -> (ofX: W, ofMinusX: W) {
        let e = W.exp(-x.magnitude)
        let big = 1 / (1 + e), small = e / (1 + e)
        return x >= 0 ? (big, small) : (small, big)
    }

    /// The elementwise loss before `weight`: `(1 - y) * x - logsigmoid(x) * log_weight` with
    /// `log_weight = (p - 1) * y + 1` (1 when `hasPosWeight` is false).
    @inline(__always)
    static func loss<W: Real>(input x: W, target y: W, posWeight p: W, hasPosWeight: Bool) -> W {
        if x.isFinite && y >= 0 && y <= 1 && (!hasPosWeight || p >= 0) {
            let softplus = softplusPair(x)
            // y last: a subnormal y times p would lose bits before softplus(-x) scales it back up.
            let positive = (hasPosWeight ? p * softplus.ofMinusX : softplus.ofMinusX) * y
            return (1 - y) * softplus.ofX + positive
        }
        // PyTorch's formula: targets outside [0, 1], negative pos_weight, infinite or NaN input.
        if hasPosWeight {
            let logWeight = (p - 1) * y + 1
            return (1 - y) * x - logWeight * logSigmoid(x)
        }
        return (1 - y) * x - logSigmoid(x)
    }

    /// The factor of `grad * w` in the gradient with respect to the input. PyTorch:
    /// `sigmoid(x) - y`, or `(t + 1 - y) * sigmoid(x) - t` with `t = p * y`. We evaluate the
    /// equal `(1 - y) * sigmoid(x) - t * sigmoid(-x)`, which has no cancellation at y = 0 or 1
    /// and otherwise loses no more than the two terms' magnitude. For |x| < 1 it is written with
    /// `h = sigmoid(x) - 1/2 = expm1(x) / (2 (expm1(x) + 2))` as `(1 - y - t)/2 + (1 - y + t) h`,
    /// so a tiny x is not absorbed into 1/2 (y = 1/2, x = 1e-30 gives x/4). For infinite or NaN
    /// x, PyTorch's own form (so x = ±infinity gives exactly what PyTorch gives).
    @inline(__always)
    static func inputGradientFactor<W: Real>(input x: W, target y: W, posWeight p: W, hasPosWeight: Bool) -> W {
        let t = hasPosWeight ? p * y : y
        guard x.isFinite else {
            let sigmoid = sigmoidPair(x).ofX
            return hasPosWeight ? (t + 1 - y) * sigmoid - t : sigmoid - y
        }
        if x.magnitude < 1 {
            let e = W.expMinusOne(x)
            let h = e / (2 * (e + 2))
            return (1 - y - t) / 2 + (1 - y + t) * h
        }
        let sigmoid = sigmoidPair(x)
        return (1 - y) * sigmoid.ofX - t * sigmoid.ofMinusX
    }

    /// The factor of `grad * w` in the gradient with respect to the target: `-x` without
    /// pos_weight, `logsigmoid(-x) - p * logsigmoid(x)` with it (FunctionsManual.cpp). For finite
    /// x the latter is evaluated as the equal `p * max(-x, 0) - max(x, 0) + (p - 1) * log1p(exp(-|x|))`,
    /// which keeps a tiny x that the two logsigmoid values would absorb (p = 1 gives exactly -x).
    @inline(__always)
    static func targetGradientFactor<W: Real>(input x: W, posWeight p: W, hasPosWeight: Bool) -> W {
        guard hasPosWeight else { return -x }
        guard x.isFinite else { return logSigmoid(-x) - logSigmoid(x) * p }
        let tail = W.log(onePlus: W.exp(-x.magnitude))
        return p * max(-x, 0) - max(x, 0) + (p - 1) * tail
    }
}
