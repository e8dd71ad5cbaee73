/// PyTorch's `torch.nn.BCELoss`: binary cross-entropy between probabilities and targets.
///
/// For input `x` and target `y` in [0, 1] and weight `w`, each element's loss is
///
///     l = ((y - 1) * max(log1p(-x), -100) - y * max(log(x), -100)) * w
///
/// (`binary_cross_entropy_out_cpu`, aten/src/ATen/native/Loss.cpp). The clamp at -100 applies to
/// each log separately, so the loss is finite everywhere in range: x = 0, y = 1 gives 100;
/// x = 0, y = 0.5 gives 50; x = 1, y = 0 gives 100; x = y = 1 gives -0.0 and x = y = 0 gives 0.
/// An input or target outside [0, 1], ±infinity or NaN throws.
///
/// The value is the exact value of that formula rounded once: within 1 ULP for `Float16` and 2
/// ULP for `Float` and `Double` (PyTorch rounds after every operation). `.mean` and `.sum` use
/// the deterministic blocked summation described in the module documentation.
///
/// ```swift
/// let loss = BCELoss<Float>(reduction: .sum)
/// let value = try loss(NDArray([0.25, 0.0]), NDArray([1, 1]))   // log(4) + 100
/// ```
public struct BCELoss<Scalar: BCEScalar>: Sendable {
    /// Per-element rescaling, broadcast to the input's shape by trailing broadcasting; it may not
    /// enlarge that shape. `nil` weighs every element 1.
    public var weight: NDArray<Scalar>?
    /// How the elementwise losses are combined; `.mean` (PyTorch's default) divides the weighted
    /// sum by the element count, not by the sum of the weights.
    public var reduction: Reduction

    /// A loss with the given weight and reduction, as `torch.nn.BCELoss(weight, reduction=...)`.
    public init(weight: NDArray<Scalar>? = nil, reduction: Reduction = .mean) {
        self.weight = weight
        self.reduction = reduction
    }

    /// The loss of `input` against `target`; see ``binaryCrossEntropy(_:_:weight:reduction:)``.
    public func callAsFunction(_ input: NDArray<Scalar>, _ target: NDArray<Scalar>) throws(BCEError) -> NDArray<Scalar> {
        try binaryCrossEntropy(input, target, weight: weight, reduction: reduction)
    }

    /// The gradients with respect to input and target; see
    /// ``binaryCrossEntropyBackward(_:_:weight:reduction:gradOutput:)``.
    public func gradients(
        _ input: NDArray<Scalar>, _ target: NDArray<Scalar>, gradOutput: NDArray<Scalar>
    ) throws(BCEError) -> BCEGradients<Scalar> {
        try binaryCrossEntropyBackward(input, target, weight: weight, reduction: reduction, gradOutput: gradOutput)
    }
}

/// `torch.nn.functional.binary_cross_entropy`: the binary cross-entropy of probabilities `input`
/// against `target`.
///
/// Elementwise `l = ((y - 1) * max(log1p(-x), -100) - y * max(log(x), -100)) * w`
/// (`binary_cross_entropy_out_cpu`, aten/src/ATen/native/Loss.cpp), then `reduction`
/// (`apply_loss_reduction`). At x = 0 or 1 the clamped log gives a loss of at most 100 per unit
/// weight; ±infinity and NaN are out of range and throw. Over an empty input `.mean` is NaN and
/// `.sum` is 0. Evaluated in `Scalar.WideScalar` and rounded once (see ``BCEScalar``).
///
/// - Parameters:
///   - input: Probabilities, every element in [0, 1].
///   - target: Same shape as `input`, every element in [0, 1].
///   - weight: Broadcasts to `input`'s shape without enlarging it; `nil` means 1.
///   - reduction: `.none` returns `input`'s shape; `.mean` and `.sum` return a 0-d array.
/// - Throws: ``BCEError``: `.invalidShape`, `.shapeMismatch`, `.notBroadcastable("weight")`,
///   then `.inputOutOfRange` / `.targetOutOfRange` at the first bad flat index (input first).
public func binaryCrossEntropy<S: BCEScalar>(
    _ input: NDArray<S>, _ target: NDArray<S>, weight: NDArray<S>? = nil, reduction: Reduction = .mean
) throws(BCEError) -> NDArray<S> {
    try ndarrayLoss(logits: false, input, target, weight, nil, reduction: reduction)
}

/// The gradients of ``binaryCrossEntropy(_:_:weight:reduction:)`` with respect to its input and
/// its target, given the upstream gradient `g` (PyTorch's `binary_cross_entropy_backward_out_cpu`,
/// Loss.cpp, and `binary_cross_entropy_target_backward`, torch/csrc/autograd/FunctionsManual.cpp):
///
///     d/dx = g * (x - y) / max((1 - x) * x, EPSILON) * w        EPSILON = Scalar(Float(1e-12))
///     d/dy = -(log(x) - log1p(-x)) * g * w                      (not clamped)
///
/// both divided by the element count for `.mean`. `EPSILON` is ``BCEScalar/bceGradientEpsilon``:
/// 0 in `Float16`, so there d/dx at x = 0 or 1 is ±infinity (NaN where x == y), as in PyTorch; in
/// `Float` and `Double` it is finite (±1e12 · g · w). d/dy is +infinity · g · w at x = 0 and
/// -infinity · g · w at x = 1. Each value is evaluated in the wide type and rounded once.
///
/// - Parameters:
///   - input: Probabilities, every element in [0, 1].
///   - target: Same shape as `input`, every element in [0, 1].
///   - weight: Broadcasts to `input`'s shape without enlarging it; `nil` means 1.
///   - reduction: The forward call's reduction; `.mean` divides both gradients by the count.
///   - gradOutput: 0-d (or any one-element array) for `.mean` and `.sum`; exactly `input`'s
///     shape for `.none`.
/// - Returns: d/dx and d/dy, each in `input`'s shape.
/// - Throws: As ``binaryCrossEntropy(_:_:weight:reduction:)``, plus
///   `.notBroadcastable(argument: "grad_output", ...)` before the range checks.
public func binaryCrossEntropyBackward<S: BCEScalar>(
    _ input: NDArray<S>, _ target: NDArray<S>, weight: NDArray<S>? = nil, reduction: Reduction = .mean,
    gradOutput: NDArray<S>
) throws(BCEError) -> BCEGradients<S> {
    try ndarrayGradients(logits: false, input, target, weight, nil, reduction: reduction, gradOutput: gradOutput)
}
