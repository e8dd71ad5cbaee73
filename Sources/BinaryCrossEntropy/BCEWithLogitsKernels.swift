// The fused single-pass kernels of BCEWithLogitsLoss. PyTorch: aten/src/ATen/native/Loss.cpp,
// torch/csrc/autograd/FunctionsManual.cpp.

/// BCEWithLogitsLoss over validated operands, into `destination` (see
/// ``evaluateLoss(_:into:execution:alongside:)``), with `companion` run on each block after its
/// terms (none for an empty input).
func bceWithLogitsLossPass<S: BCEArithmetic, C: BlockJob>(
    _ operands: ElementwiseOperands<S>, into destination: LossDestination<S>, execution: ResolvedExecution,
    alongside companion: C = NoCompanion()
) throws(BCEError) -> S {
    if !operands.hasWeight && !operands.hasPosWeight,
       let result = try vectorizedLoss(
           withLogits: true, operands.input, operands.target, into: destination, execution: execution,
           alongside: companion) {
        return result
    }
    if operands.count > 0 {
        return try operands.weightedLoss(withLogits: true, into: destination, execution: execution, alongside: companion)
    }
    let hasPosWeight = operands.hasPosWeight
    return try operands.reduce(destination) { _, x, y, w, p, _ in
        BCEWithLogitsFormulas.loss(input: x.bceWide, target: y.bceWide, posWeight: p.bceWide, hasPosWeight: hasPosWeight)
            * w.bceWide
    }
}

/// BCEWithLogitsLoss's gradients at one element (the scalar path).
struct BCEWithLogitsElementGradients<S: BCEArithmetic>: ElementGradients {
    static var withLogits: Bool { true }
    let divisor: S.WideScalar
    let hasPosWeight: Bool

    /// The gradients of a call over `operands` with `reduction`.
    init(_ operands: ElementwiseOperands<S>, reduction: Reduction) {
        divisor = reduction.gradientDivisor(count: operands.count)
        hasPosWeight = operands.hasPosWeight
    }

    @inline(__always)
    func callAsFunction(_ i: Int, _ x: S, _ y: S, _ w: S, _ p: S, _ g: S, withTarget: Bool)
        throws(BCEError) -> (input: S.WideScalar, target: S.WideScalar) {
        let scale = g.bceWide * w.bceWide
        let dx = BCEWithLogitsFormulas.inputGradientFactor(
            input: x.bceWide, target: y.bceWide, posWeight: p.bceWide, hasPosWeight: hasPosWeight) * scale / divisor
        guard withTarget else { return (dx, 0) }
        let dy = BCEWithLogitsFormulas.targetGradientFactor(
            input: x.bceWide, posWeight: p.bceWide, hasPosWeight: hasPosWeight) * scale / divisor
        return (dx, dy)
    }
}
