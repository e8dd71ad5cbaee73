import RealModule

// The elementwise formulas of BCEWithLogitsLoss, generic over the evaluation type.
// PyTorch: binary_cross_entropy_with_logits (aten/src/ATen/native/Loss.cpp), log_sigmoid
// (aten/src/ATen/native/cpu/Activation.cpp), binary_cross_entropy_with_logits_backward and
// binary_cross_entropy_with_logits_target_backward (torch/csrc/autograd/FunctionsManual.cpp).
//
// PyTorch's loss (1 - y) * x - logsigmoid(x) * log_weight cancels catastrophically when y = 0 and
// x is very negative (x - x + tiny). For every finite x, y and p it equals
// (1 - y) * softplus(x) + p * y * softplus(-x) (x - logsigmoid(x) = softplus(x) and
// -logsigmoid(x) = softplus(-x)), which is what we evaluate. For targets in [0, 1] and
// pos_weight ≥ 0 that is a sum of non-negative terms, accurate to a few ULP (the accuracy
// promise); outside that domain the two terms can have opposite signs and then lose what their
// difference loses, but never the whole of a tiny result the way PyTorch's form does (p < 0,
// y = 0, x = -40 gives softplus(-40), where PyTorch's form gives 0). Where x, y or p is infinite
// or NaN we evaluate PyTorch's own formula, so non-finite values give exactly what PyTorch gives.
package enum BCEWithLogitsFormulas {
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

    /// True when `x`, `y` and (if present) `p` are all finite: there the cancellation-free forms
    /// below are used; otherwise PyTorch's own formulas, evaluated in IEEE arithmetic.
    @inline(__always)
    static func allFinite<W: Real>(_ x: W, _ y: W, _ p: W, hasPosWeight: Bool) -> Bool {
        x.isFinite && y.isFinite && (!hasPosWeight || p.isFinite)
    }

    /// The elementwise loss before `weight`: `(1 - y) * x - logsigmoid(x) * log_weight` with
    /// `log_weight = (p - 1) * y + 1` (1 when `hasPosWeight` is false), evaluated for finite
    /// operands as `(1 - y) * softplus(x) + p * y * softplus(-x)`, whatever y and p are.
    @inline(__always)
    package static func loss<W: Real>(input x: W, target y: W, posWeight p: W, hasPosWeight: Bool) -> W {
        if allFinite(x, y, p, hasPosWeight: hasPosWeight) {
            let softplus = softplusPair(x)
            // y last: a subnormal y times p would lose bits before softplus(-x) scales it back up.
            let positive = (hasPosWeight ? p * softplus.ofMinusX : softplus.ofMinusX) * y
            return (1 - y) * softplus.ofX + positive
        }
        // PyTorch's formula, for an infinite or NaN input, target or pos_weight.
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
    /// so a tiny x is not absorbed into 1/2 (y = 1/2, x = 1e-30 gives x/4). No domain split: the
    /// same for any finite y and p. For an infinite or NaN x, y or p, PyTorch's own form (so
    /// non-finite values give exactly what PyTorch gives).
    @inline(__always)
    package static func inputGradientFactor<W: Real>(input x: W, target y: W, posWeight p: W, hasPosWeight: Bool) -> W {
        let t = hasPosWeight ? p * y : y
        guard allFinite(x, y, p, hasPosWeight: hasPosWeight) else {
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
    /// No domain split: the same for any finite p (negative too). For an infinite or NaN x or p,
    /// PyTorch's own form.
    @inline(__always)
    package static func targetGradientFactor<W: Real>(input x: W, posWeight p: W, hasPosWeight: Bool) -> W {
        guard hasPosWeight else { return -x }
        guard x.isFinite && p.isFinite else { return logSigmoid(-x) - logSigmoid(x) * p }
        let tail = W.log(onePlus: W.exp(-x.magnitude))
        return p * max(-x, 0) - max(x, 0) + (p - 1) * tail
    }
}
