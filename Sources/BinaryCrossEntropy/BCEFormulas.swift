import RealModule

// The elementwise formulas of BCELoss, generic over the type they are evaluated in (the element
// type's `WideScalar`; the tests also instantiate them in other types to measure them).
// Source: aten/src/ATen/native/Loss.cpp and torch/csrc/autograd/FunctionsManual.cpp.
package enum BCEFormulas {
    /// `std::max(v, -100)` as PyTorch writes it (`a < b ? b : a`): the log clamp of
    /// `binary_cross_entropy_out_cpu`, applied to each log separately.
    @inline(__always)
    static func clampLog<W: Real>(_ v: W) -> W { v < -100 ? -100 : v }

    /// `(y - 1) * max(log1p(-x), -100) - y * max(log(x), -100)` (`binary_cross_entropy_out_cpu`),
    /// in PyTorch's order of operations, so signed zeros come out as in PyTorch (x = 1, y = 1
    /// gives -0). For x and y in [0, 1] both products are ≥ 0: there is no cancellation, so the
    /// evaluation in a wide type followed by one rounding is within 1 ULP of the exact value.
    @inline(__always)
    package static func loss<W: Real>(input x: W, target y: W) -> W {
        (y - 1) * clampLog(W.log(onePlus: -x)) - y * clampLog(W.log(x))
    }

    /// `(x - y) / max((1 - x) * x, epsilon)` (`binary_cross_entropy_backward_out_cpu`), the factor
    /// of `grad * w` in the gradient with respect to the input.
    @inline(__always)
    package static func inputGradientFactor<W: Real>(input x: W, target y: W, epsilon: W) -> W {
        let denominator = (1 - x) * x
        return (x - y) / (denominator < epsilon ? epsilon : denominator)
    }

    /// `-(log(x) - log1p(-x))`, i.e. `-logit(x)` (`binary_cross_entropy_target_backward`,
    /// FunctionsManual.cpp), the factor of `grad * w` in the gradient with respect to the target.
    /// Not clamped: +infinity at x = 0, -infinity at x = 1. For x in [1/4, 3/4], where the two
    /// logs nearly cancel, it is evaluated as `-log1p((2x - 1) / (1 - x))` (2x - 1 and 1 - x are
    /// exact there), so it keeps full relative accuracy near x = 1/2.
    @inline(__always)
    package static func targetGradientFactor<W: Real>(input x: W) -> W {
        if 4 * x >= 1 && 4 * x <= 3 {   // x in [1/4, 3/4] (4x is exact)
            return -W.log(onePlus: (2 * x - 1) / (1 - x))
        }
        return -(W.log(x) - W.log(onePlus: -x))
    }
}
