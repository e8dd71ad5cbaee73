internal import BCESIMDKernels

// The vectorised gradients of both losses for Float, Float16 and BrainFloat16 without weight or pos_weight:
// eight elements at a time in Double lanes (VectorMath's log and exp), each gradient rounded once
// to the element type, as the scalar path rounds its Double value. Groups with a lane outside the
// fast domain run the scalar formulas element by element (with their range checks, in order).
//
// Accuracy: the lane formulas are the scalar ones with log and exp within 1 Double ULP instead of
// correctly rounded; the input gradient of BCELoss uses no log or exp and gives the scalar path's
// bits. Every other value is within a few 2^-53 relative of the scalar path's Double value, so the
// Float or Float16 gradient is the same except within 2^-29 of a Float ULP of a rounding tie.

/// Evaluates the two gradients of the groups of eight elements from `i` while every lane is in the
/// fast domain and eight elements remain before `end`, storing each gradient rounded once at `dx`
/// and `dy` (same index); returns the index of the first group not evaluated. `g` holds
/// grad_output: one value (`gStride` 0) or one per element (`gStride` 1); `weights` the weight and
/// pos_weight views of the block (nil when there are neither). The pointers are raw so the
/// closure's type does not depend on the element type.
typealias GradientGroups = (
    _ i: Int, _ end: Int, _ x: UnsafeRawPointer, _ y: UnsafeRawPointer, _ g: UnsafeRawPointer, _ gStride: Int,
    _ weights: BCEWeights?, _ dx: UnsafeMutableRawPointer, _ dy: UnsafeMutableRawPointer
) -> Int

/// The eight-lane gradient evaluator for `S` without weight or pos_weight: Double lanes for Float
/// Float16 and BrainFloat16, double-double lanes for Double (x86_64), or nil where there is none.
func vectorizedGradientGroups<S: BCEScalar>(_: S.Type, withLogits: Bool, divisor: S.WideScalar) -> GradientGroups? {
    if S.self == Float.self { return floatGradientGroups(withLogits: withLogits, divisor: divisor as! Double) }
    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    if S.self == Float16.self { return float16GradientGroups(withLogits: withLogits, divisor: divisor as! Double) }
    #endif
    if S.self == BrainFloat16.self {
        return brainFloat16GradientGroups(withLogits: withLogits, divisor: divisor as! Double)
    }
    #if arch(x86_64) && !os(Windows) && !os(Android)
    // Double evaluates its scalar path in Float80; the double-double lanes match its accuracy
    // (measured on x86_64, where the tests compare them).
    if S.self == Double.self {
        return doubleGradientGroups(withLogits: withLogits, divisor: Double(divisor as! Double.WideScalar))
    }
    #endif
    return nil
}

// The closures are formed in non-generic functions, so that their bodies are compiled for the
// concrete element type (a closure formed in a generic function stayed generic: 10 times slower).
private func floatGradientGroups(withLogits: Bool, divisor: Double) -> GradientGroups {
    let epsilon = Float.bceGradientEpsilon.bceWide
    return { i, end, x, y, g, gStride, weights, dx, dy in
        if BCEVectorKernels.useC {
            return kernelGradients(Float.self, withLogits, x, y, g, gStride, weights, divisor, epsilon, i, end, dx, dy)
        }
        if weights != nil { return i }   // weighted: the C kernels only
        var i = i
        while end - i >= 8, evaluateGradientGroup(Float.self, withLogits, divisor, epsilon, i, x, y, g, gStride, dx, dy) {
            i += 8
        }
        return i
    }
}

#if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
private func float16GradientGroups(withLogits: Bool, divisor: Double) -> GradientGroups {
    let epsilon = Float16.bceGradientEpsilon.bceWide
    return { i, end, x, y, g, gStride, weights, dx, dy in
        if BCEVectorKernels.useC {
            return kernelGradients(Float16.self, withLogits, x, y, g, gStride, weights, divisor, epsilon, i, end, dx, dy)
        }
        if weights != nil { return i }   // weighted: the C kernels only
        var i = i
        while end - i >= 8, evaluateGradientGroup(Float16.self, withLogits, divisor, epsilon, i, x, y, g, gStride, dx, dy) {
            i += 8
        }
        return i
    }
}
#endif

private func brainFloat16GradientGroups(withLogits: Bool, divisor: Double) -> GradientGroups {
    let epsilon = BrainFloat16.bceGradientEpsilon.bceWide
    return { i, end, x, y, g, gStride, weights, dx, dy in
        if BCEVectorKernels.useC {
            return kernelGradients(BrainFloat16.self, withLogits, x, y, g, gStride, weights, divisor, epsilon, i, end, dx, dy)
        }
        if weights != nil { return i }   // weighted: the C kernels only
        var i = i
        while end - i >= 8,
              evaluateGradientGroup(BrainFloat16.self, withLogits, divisor, epsilon, i, x, y, g, gStride, dx, dy) {
            i += 8
        }
        return i
    }
}

/// The C kernels' gradient groups for `S`, with `weights` when given.
@inline(__always)
private func kernelGradients<S: DoubleLaneScalar>(
    _: S.Type, _ withLogits: Bool, _ x: UnsafeRawPointer, _ y: UnsafeRawPointer, _ g: UnsafeRawPointer, _ gStride: Int,
    _ weights: BCEWeights?, _ divisor: Double, _ epsilon: Double, _ i: Int, _ end: Int,
    _ dx: UnsafeMutableRawPointer, _ dy: UnsafeMutableRawPointer
) -> Int {
    guard var weights else {
        return S.kernelGradients(withLogits: withLogits, x, y, g, gStride, nil, divisor: divisor, epsilon: epsilon,
                                 i, end, dx, dy)
    }
    return S.kernelGradients(withLogits: withLogits, x, y, g, gStride, &weights, divisor: divisor, epsilon: epsilon,
                             i, end, dx, dy)
}

/// The gradients of elements `i ..< i + 8`, stored; false (nothing stored) when a lane is outside
/// the fast domain.
@inline(__always)
private func evaluateGradientGroup<S: DoubleLaneScalar>(
    _: S.Type, _ withLogits: Bool, _ divisor: Double, _ epsilon: Double, _ i: Int, _ x: UnsafeRawPointer,
    _ y: UnsafeRawPointer, _ g: UnsafeRawPointer, _ gStride: Int, _ dx: UnsafeMutableRawPointer,
    _ dy: UnsafeMutableRawPointer
) -> Bool {
    let x = S.loadLanes(x.assumingMemoryBound(to: S.self) + i)
    let y = S.loadLanes(y.assumingMemoryBound(to: S.self) + i)
    let gradOutput = g.assumingMemoryBound(to: S.self)
    let scale = gStride == 0 ? Lanes(repeating: gradOutput[0].bceWide) : S.loadLanes(gradOutput + i)
    let factors = withLogits
        ? BCEWithLogitsGradientLanes.factors(x, y)
        : BCEGradientLanes.factors(x, y, epsilon: epsilon)
    guard let (inputFactor, targetFactor) = factors else { return false }
    S.storeLanes(inputFactor * scale / divisor, dx.assumingMemoryBound(to: S.self) + i)
    S.storeLanes(targetFactor * scale / divisor, dy.assumingMemoryBound(to: S.self) + i)
    return true
}

/// BCEFormulas' gradient factors on eight lanes.
enum BCEGradientLanes {
    /// `(x - y) / max((1 - x) x, epsilon)` and `-logit(x)`, for x in [2^-29, 1) and y in [0, 1]
    /// (1 - x exact in Double, both logs finite); nil otherwise.
    @inline(__always)
    static func factors(_ x: Lanes, _ y: Lanes, epsilon: Double) -> (Lanes, Lanes)? {
        let fast = (x .>= 0x1p-29) .& (x .< 1) .& (y .>= 0) .& (y .<= 1)
        guard all(fast) else { return nil }
        // The scalar formula's operations exactly: (1 - x) x is exact, the rest rounded as there.
        let product = (1 - x) * x
        let denominator = VectorMath.select(product .< epsilon, Lanes(repeating: epsilon), product)
        let inputFactor = (x - y) / denominator
        // -logit(x): -(log(x) - log(1 - x)); for x in [1/4, 3/4], where those cancel,
        // -log1p(q) with q = (2x - 1) / (1 - x) (numerator and denominator exact), as
        // log(u) + (q - (u - 1)) / u for u = 1 + q: the second log is then log(1) = 0 exactly.
        let middle = (4 * x .>= 1) .& (4 * x .<= 3)
        let oneMinusX = 1 - x
        var first = x, second = oneMinusX, correction = Lanes.zero
        if any(middle) {
            let q = (2 * x - 1) / oneMinusX
            let u = 1 + q
            first = VectorMath.select(middle, u, first)
            second = VectorMath.select(middle, Lanes(repeating: 1), second)
            correction = VectorMath.select(middle, (q - (u - 1)) / u, correction)
        }
        let targetFactor = VectorMath.negate((VectorMath.log(first) + correction) - VectorMath.log(second))
        return (inputFactor, targetFactor)
    }
}

/// BCEWithLogitsFormulas' gradient factors without pos_weight on eight lanes.
enum BCEWithLogitsGradientLanes {
    /// The scalar path's `inputGradientFactor` without pos_weight (t = y) and `-x`, for |x| ≤ 700
    /// and finite y; nil otherwise. For |x| < 1: `(1 - y - t) / 2 + (1 - y + t) h` with
    /// `h = sigmoid(x) - 1/2 = expm1(x) / (2 (expm1(x) + 2))`, so a tiny x is not absorbed into
    /// 1/2; otherwise `(1 - y) sigmoid(x) - t sigmoid(-x)` with `1 / (1 + e)` and `e / (1 + e)`,
    /// `e = exp(-|x|)`. Lane groups with both kinds compute both and select.
    @inline(__always)
    static func factors(_ x: Lanes, _ y: Lanes) -> (Lanes, Lanes)? {
        let magnitude = VectorMath.magnitude(x)
        let fast = (magnitude .<= 700) .& (VectorMath.magnitude(y) .<= Double.greatestFiniteMagnitude)
        guard all(fast) else { return nil }
        let t = y
        let near = magnitude .< 1
        var inputFactor = Lanes.zero
        if any(near) {
            let e = VectorMath.expm1(small: VectorMath.select(near, x, .zero))
            let h = e / (2 * (e + 2))
            inputFactor = (1 - y - t) / 2 + (1 - y + t) * h
        }
        if !all(near) {
            let e = VectorMath.exp(nonPositive: VectorMath.negate(magnitude))
            let big = 1 / (1 + e), small = e / (1 + e)
            let negative = x .< 0
            let ofX = VectorMath.select(negative, small, big), ofMinusX = VectorMath.select(negative, big, small)
            inputFactor = VectorMath.select(near, inputFactor, (1 - y) * ofX - t * ofMinusX)
        }
        return (inputFactor, VectorMath.negate(x))
    }
}
