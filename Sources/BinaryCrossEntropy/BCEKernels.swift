// The fused single-pass kernels of BCELoss: validate, then one loop that range-checks, evaluates
// in the wide type, and writes or accumulates. PyTorch: aten/src/ATen/native/Loss.cpp.

/// BCELoss over validated operands, into `destination` (see ``evaluateLoss(_:into:execution:alongside:)``),
/// with `companion` run on each block after its terms (none for an empty input).
func bceLossPass<S: BCEArithmetic, C: BlockJob>(
    _ operands: ElementwiseOperands<S>, into destination: LossDestination<S>, execution: ResolvedExecution,
    alongside companion: C = NoCompanion()
) throws(BCEError) -> S {
    if !operands.hasWeight,
       let result = try vectorizedLoss(
           withLogits: false, operands.input, operands.target, into: destination, execution: execution,
           alongside: companion) {
        return result
    }
    if operands.count > 0 {
        return try operands.weightedLoss(withLogits: false, into: destination, execution: execution, alongside: companion)
    }
    return try operands.reduce(destination) { i, x, y, w, _, _ throws(BCEError) in
        try checkProbabilities(index: i, input: x, target: y)
        return BCEFormulas.loss(input: x.bceWide, target: y.bceWide) * w.bceWide
    }
}

/// BCELoss's gradients at one element, with its range checks (the scalar path).
struct BCEElementGradients<S: BCEArithmetic>: ElementGradients {
    static var withLogits: Bool { false }
    let divisor: S.WideScalar
    /// ``BCEScalar/bceGradientEpsilon``, widened.
    let epsilon: S.WideScalar

    /// The gradients of a call over `operands` with `reduction`.
    init(_ operands: ElementwiseOperands<S>, reduction: Reduction) {
        divisor = reduction.gradientDivisor(count: operands.count)
        epsilon = S.bceGradientEpsilon.bceWide
    }

    @inline(__always)
    func callAsFunction(_ i: Int, _ x: S, _ y: S, _ w: S, _ p: S, _ g: S, withTarget: Bool)
        throws(BCEError) -> (input: S.WideScalar, target: S.WideScalar) {
        try checkProbabilities(index: i, input: x, target: y)
        let scale = g.bceWide * w.bceWide
        let dx = BCEFormulas.inputGradientFactor(input: x.bceWide, target: y.bceWide, epsilon: epsilon) * scale / divisor
        guard withTarget else { return (dx, 0) }
        let dy = BCEFormulas.targetGradientFactor(input: x.bceWide) * scale / divisor
        return (dx, dy)
    }
}

/// PyTorch's per-element `TORCH_CHECK`s of `binary_cross_entropy_out_cpu`: input, then target,
/// in [0, 1]; NaN fails.
@inline(__always)
func checkProbabilities<S: BCEArithmetic>(index: Int, input x: S, target y: S) throws(BCEError) {
    // Compared in the wide type (exact, same result): Float16 comparisons are software on x86_64.
    let (xw, yw) = (x.bceWide, y.bceWide)
    guard xw >= 0 && xw <= 1 else { throw .inputOutOfRange(index: index, value: Double(x)) }
    guard yw >= 0 && yw <= 1 else { throw .targetOutOfRange(index: index, value: Double(y)) }
}
