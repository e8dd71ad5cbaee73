// The fused single-pass kernels of BCELoss: validate, then one loop that range-checks, evaluates
// in the wide type, and writes or accumulates. PyTorch: aten/src/ATen/native/Loss.cpp.

/// The kernel of `binaryCrossEntropy` (see there), reached through a `BCEScalar`
/// requirement so that it runs specialized for each element type.
func bceLossKernel<S: BCEScalar>(
    _ input: NDArray<S>, _ target: NDArray<S>, weight: NDArray<S>?, reduction: Reduction
) throws(BCEError) -> NDArray<S> {
    let operands = try ElementwiseOperands(
        input: input, target: target, weight: weight, posWeight: nil, gradOutput: nil, reduction: reduction)
    if weight == nil,
       let result = try vectorizedLoss(withLogits: false, operands.input, operands.target, reduction: reduction) {
        return result
    }
    if operands.count > 0 { return try operands.weightedLoss(withLogits: false, hasWeight: true, reduction: reduction) }
    return try operands.reduce(reduction) { i, x, y, w, _, _ throws(BCEError) in
        try checkProbabilities(index: i, input: x, target: y)
        return BCEFormulas.loss(input: x.bceWide, target: y.bceWide) * w.bceWide
    }
}

/// The kernel of `binaryCrossEntropyBackward` (see there), reached through a `BCEScalar`
/// requirement so that it runs specialized for each element type.
func bceGradientKernel<S: BCEScalar>(
    _ input: NDArray<S>, _ target: NDArray<S>, weight: NDArray<S>?, reduction: Reduction,
    gradOutput: NDArray<S>
) throws(BCEError) -> BCEGradients<S> {
    let operands = try ElementwiseOperands(
        input: input, target: target, weight: weight, posWeight: nil, gradOutput: gradOutput, reduction: reduction)
    let divisor: S.WideScalar = reduction.gradientDivisor(count: operands.count)
    let epsilon = S.bceGradientEpsilon.bceWide
    let group = vectorizedGradientGroups(S.self, withLogits: false, divisor: divisor)
    return try operands.gradients(group: group) { i, x, y, w, _, g throws(BCEError) in
        try checkProbabilities(index: i, input: x, target: y)
        let scale = g.bceWide * w.bceWide
        let dx = BCEFormulas.inputGradientFactor(input: x.bceWide, target: y.bceWide, epsilon: epsilon) * scale / divisor
        let dy = BCEFormulas.targetGradientFactor(input: x.bceWide) * scale / divisor
        return (dx, dy)
    }
}

/// PyTorch's per-element `TORCH_CHECK`s of `binary_cross_entropy_out_cpu`: input, then target,
/// in [0, 1]; NaN fails.
@inline(__always)
func checkProbabilities<S: BCEScalar>(index: Int, input x: S, target y: S) throws(BCEError) {
    // Compared in the wide type (exact, same result): Float16 comparisons are software on x86_64.
    let (xw, yw) = (x.bceWide, y.bceWide)
    guard xw >= 0 && xw <= 1 else { throw .inputOutOfRange(index: index, value: Double(x)) }
    guard yw >= 0 && yw <= 1 else { throw .targetOutOfRange(index: index, value: Double(y)) }
}
