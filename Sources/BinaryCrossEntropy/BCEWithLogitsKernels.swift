// The fused single-pass kernels of BCEWithLogitsLoss. PyTorch: aten/src/ATen/native/Loss.cpp,
// torch/csrc/autograd/FunctionsManual.cpp.

/// The kernel of `binaryCrossEntropyWithLogits` (see there), reached through a `BCEScalar`
/// requirement so that it runs specialized for each element type.
func bceWithLogitsLossKernel<S: BCEScalar>(
    _ input: NDArray<S>, _ target: NDArray<S>, weight: NDArray<S>?, posWeight: NDArray<S>?,
    reduction: Reduction
) throws(BCEError) -> NDArray<S> {
    let operands = try ElementwiseOperands(
        input: input, target: target, weight: weight, posWeight: posWeight, gradOutput: nil, reduction: reduction)
    if weight == nil && posWeight == nil,
       let result = try vectorizedLoss(withLogits: true, operands.input, operands.target, reduction: reduction) {
        return result
    }
    if operands.count > 0 {
        return try operands.weightedLoss(withLogits: true, hasWeight: weight != nil, reduction: reduction)
    }
    let hasPosWeight = operands.hasPosWeight
    return try operands.reduce(reduction) { _, x, y, w, p, _ in
        BCEWithLogitsFormulas.loss(input: x.bceWide, target: y.bceWide, posWeight: p.bceWide, hasPosWeight: hasPosWeight)
            * w.bceWide
    }
}

/// The kernel of `binaryCrossEntropyWithLogitsBackward` (see there), reached through a `BCEScalar`
/// requirement so that it runs specialized for each element type.
func bceWithLogitsGradientKernel<S: BCEScalar>(
    _ input: NDArray<S>, _ target: NDArray<S>, weight: NDArray<S>?, posWeight: NDArray<S>?,
    reduction: Reduction, gradOutput: NDArray<S>
) throws(BCEError) -> BCEGradients<S> {
    let operands = try ElementwiseOperands(
        input: input, target: target, weight: weight, posWeight: posWeight, gradOutput: gradOutput,
        reduction: reduction)
    let hasPosWeight = operands.hasPosWeight
    let divisor: S.WideScalar = reduction.gradientDivisor(count: operands.count)
    let group = vectorizedGradientGroups(S.self, withLogits: true, divisor: divisor)
    return try operands.gradients(group: group) { _, x, y, w, p, g in
        let scale = g.bceWide * w.bceWide
        let dx = BCEWithLogitsFormulas.inputGradientFactor(
            input: x.bceWide, target: y.bceWide, posWeight: p.bceWide, hasPosWeight: hasPosWeight) * scale / divisor
        let dy = BCEWithLogitsFormulas.targetGradientFactor(
            input: x.bceWide, posWeight: p.bceWide, hasPosWeight: hasPosWeight) * scale / divisor
        return (dx, dy)
    }
}
