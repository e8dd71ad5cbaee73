// The fused single-pass kernels of BCEWithLogitsLoss. PyTorch: aten/src/ATen/native/Loss.cpp,
// torch/csrc/autograd/FunctionsManual.cpp.

/// The kernel of `binaryCrossEntropyWithLogits` (see there), reached through a `BCEScalar`
/// requirement so that it runs specialized for each element type.
func bceWithLogitsLossKernel<S: BCEScalar>(
    _ input: NDArray<S>, _ target: NDArray<S>, weight: NDArray<S>?, posWeight: NDArray<S>?,
    reduction: Reduction
) throws(BCEError) -> NDArray<S> {
    try withViews(input, target, weight, posWeight, nil) { x, y, w, p, _ throws(BCEError) in
        let operands = try ElementwiseOperands(
            input: x, target: y, weight: w, posWeight: p, gradOutput: nil, reduction: reduction)
        return try withLossDestination(count: operands.count, shape: operands.shape, reduction: reduction) {
            destination throws(BCEError) in try bceWithLogitsLossPass(operands, into: destination, execution: .defaults)
        }
    }
}

/// The kernel of `binaryCrossEntropyWithLogitsBackward` (see there), reached through a `BCEScalar`
/// requirement so that it runs specialized for each element type.
func bceWithLogitsGradientKernel<S: BCEScalar>(
    _ input: NDArray<S>, _ target: NDArray<S>, weight: NDArray<S>?, posWeight: NDArray<S>?,
    reduction: Reduction, gradOutput: NDArray<S>
) throws(BCEError) -> BCEGradients<S> {
    try withViews(input, target, weight, posWeight, gradOutput) { x, y, w, p, g throws(BCEError) in
        let operands = try ElementwiseOperands(
            input: x, target: y, weight: w, posWeight: p, gradOutput: g, reduction: reduction)
        return try withGradientArrays(operands) { dx, dy throws(BCEError) in
            try bceWithLogitsGradientPass(operands, reduction: reduction, into: dx, dy, execution: .defaults)
        }
    }
}

/// BCEWithLogitsLoss over validated operands, into `destination`.
func bceWithLogitsLossPass<S: BCEScalar>(
    _ operands: ElementwiseOperands<S>, into destination: LossDestination<S>, execution: ResolvedExecution
) throws(BCEError) -> S {
    if !operands.hasWeight && !operands.hasPosWeight,
       let result = try vectorizedLoss(
           withLogits: true, operands.input, operands.target, into: destination, execution: execution) {
        return result
    }
    if operands.count > 0 {
        return try operands.weightedLoss(withLogits: true, into: destination, execution: execution)
    }
    let hasPosWeight = operands.hasPosWeight
    return try operands.reduce(destination) { _, x, y, w, p, _ in
        BCEWithLogitsFormulas.loss(input: x.bceWide, target: y.bceWide, posWeight: p.bceWide, hasPosWeight: hasPosWeight)
            * w.bceWide
    }
}

/// The gradients of BCEWithLogitsLoss over validated operands, into `inputGradient` and (if not
/// nil) `targetGradient`.
func bceWithLogitsGradientPass<S: BCEScalar>(
    _ operands: ElementwiseOperands<S>, reduction: Reduction, into inputGradient: UnsafeMutablePointer<S>?,
    _ targetGradient: UnsafeMutablePointer<S>?, execution: ResolvedExecution
) throws(BCEError) {
    try operands.gradients(
        into: inputGradient, targetGradient, execution: execution,
        BCEWithLogitsElementGradients<S>(
            divisor: reduction.gradientDivisor(count: operands.count), hasPosWeight: operands.hasPosWeight))
}

/// BCEWithLogitsLoss's gradients at one element (the scalar path).
struct BCEWithLogitsElementGradients<S: BCEScalar>: ElementGradients {
    static var withLogits: Bool { true }
    let divisor: S.WideScalar
    let hasPosWeight: Bool

    @inline(__always)
    func callAsFunction(_ i: Int, _ x: S, _ y: S, _ w: S, _ p: S, _ g: S)
        throws(BCEError) -> (input: S.WideScalar, target: S.WideScalar) {
        let scale = g.bceWide * w.bceWide
        let dx = BCEWithLogitsFormulas.inputGradientFactor(
            input: x.bceWide, target: y.bceWide, posWeight: p.bceWide, hasPosWeight: hasPosWeight) * scale / divisor
        let dy = BCEWithLogitsFormulas.targetGradientFactor(
            input: x.bceWide, posWeight: p.bceWide, hasPosWeight: hasPosWeight) * scale / divisor
        return (dx, dy)
    }
}
