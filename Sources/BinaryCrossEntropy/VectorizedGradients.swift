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

/// The eight-lane gradient evaluator of one pass: which C kernels (Double lanes of an element type,
/// or Double's double-double lanes) and the constants they take. A value, not a closure capturing
/// them, so choosing it allocates nothing.
struct GradientGroups {
    enum Lanes {
        /// Float, Float16, BrainFloat16: Double lanes.
        case double(LaneType)
        /// Double (x86_64): double-double lanes (BCEWithLogitsLoss with soft targets: each element
        /// where sigmoid(x) - y cancels more than 64-fold to the scalar formulas; Kernels.c,
        /// DD_GRADIENT_CANCELLATION).
        case doubleDouble
    }

    let lanes: Lanes
    let withLogits: Bool
    /// The reduction's divisor.
    let divisor: Double
    /// BCELoss's epsilon in the element type, widened (Double lanes; the double-double kernels
    /// have their own).
    let epsilon: Double

    /// Evaluates the two gradients of the groups of eight elements from `i` while every lane is in
    /// the fast domain and eight elements remain before `end`, storing each gradient rounded once
    /// at `dx` and `dy` (same index; `dy` nil: d/dtarget is neither computed nor stored); returns
    /// the index of the first group not evaluated. `g` holds grad_output: one value (`gStride` 0)
    /// or one per element (`gStride` 1); `weights` the weight and pos_weight views of the block
    /// (nil when there are neither). The pointers are raw so the type does not depend on the
    /// element type. `scalarLanes` tells what the group at the returned index needs: 0xFF, every
    /// element the scalar formulas (nothing of it stored); else the group is stored and the lanes
    /// of its bits (bit k: element index + k) need the scalar formulas, which overwrite them (the
    /// double-double lanes of soft-target BCEWithLogitsLoss, where sigmoid(x) - y cancels).
    @inline(__always)
    func callAsFunction(
        _ i: Int, _ end: Int, _ x: UnsafeRawPointer, _ y: UnsafeRawPointer, _ g: UnsafeRawPointer, _ gStride: Int,
        _ weights: BCEWeights?, _ dx: UnsafeMutableRawPointer, _ dy: UnsafeMutableRawPointer?,
        scalarLanes: inout UInt32
    ) -> Int {
        scalarLanes = 0xFF
        guard BCEVectorKernels.useC else { return i }
        var weights = weights
        switch lanes {
        case .double(let type):
            guard weights != nil else {
                return type.kernelGradients(withLogits: withLogits, x, y, g, gStride, nil, divisor: divisor,
                                            epsilon: epsilon, i, end, dx, dy)
            }
            return type.kernelGradients(withLogits: withLogits, x, y, g, gStride, &weights!, divisor: divisor,
                                        epsilon: epsilon, i, end, dx, dy)
        case .doubleDouble:
            let (x, y, g) = (x.assumingMemoryBound(to: Double.self), y.assumingMemoryBound(to: Double.self),
                             g.assumingMemoryBound(to: Double.self))
            let (dx, dy) = (dx.assumingMemoryBound(to: Double.self), dy?.assumingMemoryBound(to: Double.self))
            if weights != nil {
                return withLogits
                    ? bce_logits_gradients_f64_weighted(x, y, g, gStride, &weights!, divisor, i, end, dx, dy, &scalarLanes)
                    : bce_gradients_f64_weighted(x, y, g, gStride, &weights!, divisor, i, end, dx, dy, &scalarLanes)
            }
            return withLogits
                ? bce_logits_gradients_f64(x, y, g, gStride, divisor, i, end, dx, dy, &scalarLanes)
                : bce_gradients_f64(x, y, g, gStride, divisor, i, end, dx, dy, &scalarLanes)
        }
    }
}

/// The eight-lane gradient evaluator for `S`: Double lanes for Float, Float16 and BrainFloat16,
/// double-double lanes for Double (x86_64), or nil where there is none.
func vectorizedGradientGroups<S: BCEArithmetic>(_: S.Type, withLogits: Bool, divisor: S.WideScalar) -> GradientGroups? {
    if let lanes = S.self as? any DoubleLaneScalar.Type {
        return GradientGroups(lanes: .double(lanes.laneType), withLogits: withLogits, divisor: divisor as! Double,
                              epsilon: Double(S.bceGradientEpsilon.bceWide))
    }
    #if arch(x86_64) && !os(Windows) && !os(Android)
    // Double evaluates its scalar path in Float80; the double-double lanes match its accuracy
    // (measured on x86_64, where the tests compare them).
    if S.self == Double.self {
        return GradientGroups(lanes: .doubleDouble, withLogits: withLogits, divisor: Double(divisor as! Double.WideScalar),
                              epsilon: 0)
    }
    #endif
    return nil
}
