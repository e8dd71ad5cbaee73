/// PyTorch's `torch.nn.BCEWithLogitsLoss`: a sigmoid and binary cross-entropy in one, on logits.
///
/// For logit `x`, target `y`, `pos_weight` `p` and `weight` `w`, each element's loss is
///
///     log_weight = (p - 1) * y + 1                        (1 without pos_weight)
///     l = ((1 - y) * x - logsigmoid(x) * log_weight) * w
///     logsigmoid(x) = min(x, 0) - log1p(exp(-|x|))
///
/// (`binary_cross_entropy_with_logits`, aten/src/ATen/native/Loss.cpp; `log_sigmoid`,
/// aten/src/ATen/native/cpu/Activation.cpp). Targets may be any real number. At x = 0 the loss is
/// `log(2) * log_weight`; it tends to 0 as x → +infinity with y = 1 and as x → -infinity with
/// y = 0. An infinite input gives NaN, except x = +infinity with y < 1, which gives +infinity,
/// exactly as PyTorch's formula does; NaN anywhere gives NaN.
///
/// Accuracy, better than PyTorch: for finite x, y and p the loss is evaluated as the equal
/// `(1 - y) * softplus(x) + p * y * softplus(-x)` in the wide type and rounded once. PyTorch's own
/// form cancels: for x = -40.9, y = 0 in `Float` it returns 0, where the loss is 1.73e-18
/// (returned here); likewise with a negative `p`. The promise (within 1 ULP for `Float16`, 2 for
/// `Float` and `Double`) holds for targets in [0, 1] and `p ≥ 0`, where both terms are
/// non-negative. Outside that domain the two terms may have opposite signs, and their difference
/// is only as accurate as the larger term allows. An infinite or NaN x, y or p is evaluated by
/// PyTorch's formula in the wide type, so it gives exactly what PyTorch gives.
public struct BCEWithLogitsLoss<Scalar: BCEScalar>: Sendable {
    /// Per-element rescaling, broadcast to the input's shape without enlarging it; `nil` means 1.
    public var weight: NDArray<Scalar>?
    /// Weight of the positive term (`y * softplus(-x)`), broadcast to the input's shape by
    /// trailing broadcasting without enlarging it: a `(C,)` pos_weight lines up with the last
    /// dimension, `(C, 1, 1)` is per channel of `(B, C, H, W)`. `nil` means 1.
    public var posWeight: NDArray<Scalar>?
    /// How the elementwise losses are combined; `.mean` divides by the element count.
    public var reduction: Reduction

    /// A loss as `torch.nn.BCEWithLogitsLoss(weight, reduction=..., pos_weight=...)`.
    public init(weight: NDArray<Scalar>? = nil, posWeight: NDArray<Scalar>? = nil, reduction: Reduction = .mean) {
        self.weight = weight
        self.posWeight = posWeight
        self.reduction = reduction
    }

    /// The loss of logits `input` against `target`; see
    /// ``binaryCrossEntropyWithLogits(_:_:weight:posWeight:reduction:)``.
    public func callAsFunction(_ input: NDArray<Scalar>, _ target: NDArray<Scalar>) throws(BCEError) -> NDArray<Scalar> {
        try binaryCrossEntropyWithLogits(input, target, weight: weight, posWeight: posWeight, reduction: reduction)
    }

    /// The gradients with respect to input and target; see
    /// ``binaryCrossEntropyWithLogitsBackward(_:_:weight:posWeight:reduction:gradOutput:)``.
    public func gradients(
        _ input: NDArray<Scalar>, _ target: NDArray<Scalar>, gradOutput: NDArray<Scalar>
    ) throws(BCEError) -> BCEGradients<Scalar> {
        try binaryCrossEntropyWithLogitsBackward(
            input, target, weight: weight, posWeight: posWeight, reduction: reduction, gradOutput: gradOutput)
    }
}

/// `torch.nn.functional.binary_cross_entropy_with_logits`: binary cross-entropy of logits
/// `input` against `target`.
///
/// Elementwise `l = ((1 - y) * x - logsigmoid(x) * ((p - 1) * y + 1)) * w`
/// (`binary_cross_entropy_with_logits`, aten/src/ATen/native/Loss.cpp), then `reduction`.
/// No range check: any real target is allowed. For targets in [0, 1] and `p ≥ 0` the
/// cancellation-free `(1 - y) * softplus(x) + p * y * softplus(-x)` is evaluated instead (the
/// same value, accurately); an infinite input gives NaN (or +infinity for x = +infinity, y < 1)
/// as in PyTorch. Over an empty input `.mean` is NaN and `.sum` is 0.
///
/// - Parameters:
///   - input: Logits, any real values.
///   - target: Same shape as `input`.
///   - weight: Broadcasts to `input`'s shape without enlarging it; `nil` means 1.
///   - posWeight: Broadcasts to `input`'s shape without enlarging it; `nil` means no pos_weight.
///   - reduction: `.none` returns `input`'s shape; `.mean` and `.sum` a 0-d array.
/// - Throws: ``BCEError``: `.invalidShape`, `.shapeMismatch`, `.notBroadcastable("weight")`,
///   `.notBroadcastable("pos_weight")`, in that order.
public func binaryCrossEntropyWithLogits<S: BCEScalar>(
    _ input: NDArray<S>, _ target: NDArray<S>, weight: NDArray<S>? = nil, posWeight: NDArray<S>? = nil,
    reduction: Reduction = .mean
) throws(BCEError) -> NDArray<S> {
    try ndarrayLoss(logits: true, input, target, weight, posWeight, reduction: reduction)
}

/// The gradients of ``binaryCrossEntropyWithLogits(_:_:weight:posWeight:reduction:)`` with respect
/// to its input and its target, given the upstream gradient `g`
/// (`binary_cross_entropy_with_logits_backward` and `..._target_backward`,
/// torch/csrc/autograd/FunctionsManual.cpp):
///
///     d/dx = (sigmoid(x) - y) * g * w                               without pos_weight
///     d/dx = ((t + 1 - y) * sigmoid(x) - t) * g * w,  t = p * y      with pos_weight
///     d/dy = -x * g * w                                              without pos_weight
///     d/dy = (logsigmoid(-x) - p * logsigmoid(x)) * g * w            with pos_weight
///
/// each divided by the element count for `.mean`. d/dx is evaluated as the equal
/// `(1 - y) * sigmoid(x) - t * sigmoid(-x)`, exact to the last bit for y = 0 or 1 however far x is
/// from 0 (PyTorch's `sigmoid(x) - 1` loses everything below 1e-8 in `Float`). At x = ±infinity
/// d/dx is `(1 - y) * g * w` or `-p * y * g * w`; d/dy is ∓infinity (NaN where multiplied by 0).
/// Each value is evaluated in the wide type and rounded once: within 2 ULP of the larger of its
/// two terms.
///
/// - Parameters:
///   - input: Logits, any real values.
///   - target: Same shape as `input`.
///   - weight: Broadcasts to `input`'s shape without enlarging it; `nil` means 1.
///   - posWeight: Broadcasts to `input`'s shape without enlarging it; `nil` means no pos_weight.
///   - reduction: The forward call's reduction; `.mean` divides both gradients by the count.
///   - gradOutput: 0-d (or any one-element array) for `.mean` and `.sum`; exactly `input`'s
///     shape for `.none`.
/// - Returns: d/dx and d/dy, each in `input`'s shape.
/// - Throws: As ``binaryCrossEntropyWithLogits(_:_:weight:posWeight:reduction:)``, plus
///   `.notBroadcastable(argument: "grad_output", ...)`.
public func binaryCrossEntropyWithLogitsBackward<S: BCEScalar>(
    _ input: NDArray<S>, _ target: NDArray<S>, weight: NDArray<S>? = nil, posWeight: NDArray<S>? = nil,
    reduction: Reduction = .mean, gradOutput: NDArray<S>
) throws(BCEError) -> BCEGradients<S> {
    try ndarrayGradients(logits: true, input, target, weight, posWeight, reduction: reduction, gradOutput: gradOutput)
}
