internal import BCESIMDKernels

// The vectorised gradients of both losses, with or without weight and pos_weight, in the C
// kernels: Float, Float16 and BrainFloat16 in Double lanes (fdlibm's log and exp), each gradient
// rounded once to the element type, as the scalar path rounds its Double value; Double in
// double-double lanes. Groups with a lane outside the fast domain run the scalar formulas element
// by element (with their range checks, in order; ElementwiseOperands).
//
// Accuracy: the lane formulas are the scalar ones with log and exp within 1 Double ULP instead of
// correctly rounded; the input gradient of BCELoss uses no log or exp and gives the scalar path's
// bits. Every other value is within a few 2^-53 relative of the scalar path's Double value, so the
// Float or Float16 gradient is the same except within 2^-29 of a Float ULP of a rounding tie.

/// Evaluates the two gradients of the groups of eight elements from `i` while every lane is in the
/// fast domain and eight elements remain before `end`, storing each gradient rounded once at `dx`
/// and `dy` (same index; `dy` nil: d/dtarget is neither computed nor stored); returns the index of the first group not evaluated. `g` holds
/// grad_output: one value (`gStride` 0) or one per element (`gStride` 1); `weights` the weight and
/// pos_weight views of the block (nil when there are neither). The pointers are raw so the
/// closure's type does not depend on the element type.
typealias GradientGroups = (
    _ i: Int, _ end: Int, _ x: UnsafeRawPointer, _ y: UnsafeRawPointer, _ g: UnsafeRawPointer, _ gStride: Int,
    _ weights: BCEWeights?, _ dx: UnsafeMutableRawPointer, _ dy: UnsafeMutableRawPointer?
) -> Int

/// The eight-lane gradient evaluator for `S`: Double lanes for Float, Float16 and BrainFloat16,
/// double-double lanes for Double (x86_64), or nil where there is none.
func vectorizedGradientGroups<S: BCEArithmetic>(_: S.Type, withLogits: Bool, divisor: S.WideScalar) -> GradientGroups? {
    if let lanes = S.self as? any DoubleLaneScalar.Type {
        return laneGradientGroups(lanes, withLogits: withLogits, divisor: divisor as! Double)
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

/// The C kernels' gradient groups for `S` (Float, Float16, BrainFloat16).
private func laneGradientGroups<S: DoubleLaneScalar>(_: S.Type, withLogits: Bool, divisor: Double) -> GradientGroups {
    let epsilon = S.bceGradientEpsilon.bceWide
    return { i, end, x, y, g, gStride, weights, dx, dy in
        guard BCEVectorKernels.useC else { return i }
        guard var weights else {
            return S.kernelGradients(withLogits: withLogits, x, y, g, gStride, nil, divisor: divisor,
                                     epsilon: epsilon, i, end, dx, dy)
        }
        return S.kernelGradients(withLogits: withLogits, x, y, g, gStride, &weights, divisor: divisor,
                                 epsilon: epsilon, i, end, dx, dy)
    }
}

/// The C kernels' double-double gradient groups for Double (BCEWithLogitsLoss: hard labels).
private func doubleGradientGroups(withLogits: Bool, divisor: Double) -> GradientGroups {
    return { i, end, x, y, g, gStride, weights, dx, dy in
        guard BCEVectorKernels.useC else { return i }
        let (x, y, g) = (x.assumingMemoryBound(to: Double.self), y.assumingMemoryBound(to: Double.self),
                         g.assumingMemoryBound(to: Double.self))
        let (dx, dy) = (dx.assumingMemoryBound(to: Double.self), dy?.assumingMemoryBound(to: Double.self))
        if var weights {
            return withLogits
                ? bce_logits_gradients_f64_weighted(x, y, g, gStride, &weights, divisor, i, end, dx, dy)
                : bce_gradients_f64_weighted(x, y, g, gStride, &weights, divisor, i, end, dx, dy)
        }
        return withLogits
            ? bce_logits_gradients_f64(x, y, g, gStride, divisor, i, end, dx, dy)
            : bce_gradients_f64(x, y, g, gStride, divisor, i, end, dx, dy)
    }
}
