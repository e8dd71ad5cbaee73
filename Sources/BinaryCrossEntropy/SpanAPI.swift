// The buffer API over `Span` and `MutableSpan`: the same calls as BufferAPI.swift for callers who
// hold their tensors as spans (`array.span`, `array.mutableSpan`, a `RawSpan` viewed as elements).
// Each function only opens the spans' storage and makes the BCETensorView call: same checks in
// the same order, same errors, same bits, and nothing allocated per call when every shape is
// passed (docs/CONTRACTS.md section 1a; scripts/alloc-check.sh calls these too).
//
// A span has no shape, so the shapes are arguments: `shape` is the input's, and the target must
// have as many elements (it is read with that shape); a weight or pos_weight takes its own shape
// (`weightShape`, `posWeightShape`; omitted, it is 1-d). grad_output's shape defaults to the
// input's for `.none` and to 0-d for `.mean` and `.sum`.

/// A view of `buffer` with `shape`, or, if the counts differ, 1-d with the buffer's count: the
/// validation that follows then reports the mismatch as it would for NDArrays of those shapes
/// (the one-element array is built only on that error path).
@inline(__always)
private func matching<S>(_ buffer: UnsafeBufferPointer<S>, _ shape: [Int]) -> BCETensorView<S> {
    BCETensorView(buffer, shape: elementCount(of: shape) == buffer.count ? shape : [buffer.count])
}

@inline(__always)
private func withOptionalSpan<S, R>(
    _ span: Span<S>?, _ body: (UnsafeBufferPointer<S>?) throws(BCEError) -> R
) throws(BCEError) -> R {
    guard let span else { return try body(nil) }
    return try span.withUnsafeBufferPointer { (buffer) throws(BCEError) -> R in try body(buffer) }
}

@inline(__always)
private func withOptionalOutput<S, R>(
    _ span: inout MutableSpan<S>?, _ body: (UnsafeMutableBufferPointer<S>?) throws(BCEError) -> R
) throws(BCEError) -> R {
    guard span != nil else { return try body(nil) }
    return try span!.withUnsafeMutableBufferPointer { (buffer) throws(BCEError) -> R in try body(buffer) }
}

/// Every span function: opens the operand spans, gives each its shape (see the file comment) and
/// makes the one buffer call (``performBufferCall(_:)``) the view functions make. The callers
/// open their output spans.
@inline(__always)
private func performSpanCall<S: BCEScalar>(
    logits: Bool, _ input: Span<S>, _ target: Span<S>, shape: [Int], weight: Span<S>?, weightShape: [Int]?,
    posWeight: Span<S>? = nil, posWeightShape: [Int]? = nil, gradOutput: Span<S>? = nil,
    gradOutputShape: [Int]? = nil, gradOutputScalar: S? = nil, reduction: Reduction, execution: BCEExecution,
    loss: BufferCall<S>.Loss, inputGradient: UnsafeMutableBufferPointer<S>? = nil,
    targetGradient: UnsafeMutableBufferPointer<S>? = nil
) throws(BCEError) -> S {
    try input.withUnsafeBufferPointer { (x) throws(BCEError) -> S in
    try target.withUnsafeBufferPointer { (y) throws(BCEError) -> S in
    try withOptionalSpan(weight) { (w) throws(BCEError) -> S in
    try withOptionalSpan(posWeight) { (p) throws(BCEError) -> S in
    try withOptionalSpan(gradOutput) { (g) throws(BCEError) -> S in
        let g = g.map { g in
            gradOutputShape.map { BCETensorView(g, shape: $0) } ?? matching(g, reduction == .none ? shape : [])
        }
        return try performBufferCall(BufferCall(
            logits: logits, input: BCETensorView(x, shape: shape), target: matching(y, shape),
            weight: w.map { BCETensorView($0, shape: weightShape ?? [$0.count]) },
            posWeight: p.map { BCETensorView($0, shape: posWeightShape ?? [$0.count]) },
            gradOutput: g, gradOutputScalar: gradOutputScalar, reduction: reduction,
            execution: execution.resolved, loss: loss, inputGradient: inputGradient, targetGradient: targetGradient))
    }}}}}
}

// MARK: - BCELoss

/// ``binaryCrossEntropy(_:_:weight:reduction:execution:)`` over spans, reduced to one value.
///
/// - Parameters:
///   - shape: The input's shape; `target` must have as many elements (else
///     ``BCEError/shapeMismatch(input:target:)`` with the target as 1-d).
///   - weightShape: The weight's shape, broadcast to `shape`; `nil` reads it as 1-d (and builds
///     that one-element shape array on every call: pass the shape to allocate nothing).
/// - Throws: As the view function, in the same order (docs/CONTRACTS.md section 1).
public func binaryCrossEntropy<S: BCEScalar>(
    _ input: Span<S>, _ target: Span<S>, shape: [Int], weight: Span<S>? = nil, weightShape: [Int]? = nil,
    reduction: ScalarReduction = .mean, execution: BCEExecution = .default
) throws(BCEError) -> S {
    try performSpanCall(logits: false, input, target, shape: shape, weight: weight, weightShape: weightShape,
                        reduction: reduction.reduction, execution: execution, loss: .reduced)
}

/// ``binaryCrossEntropy(_:_:weight:into:execution:)`` over spans: each element's loss written to
/// `output` (as many elements as `input`).
public func binaryCrossEntropy<S: BCEScalar>(
    _ input: Span<S>, _ target: Span<S>, shape: [Int], weight: Span<S>? = nil, weightShape: [Int]? = nil,
    into output: inout MutableSpan<S>, execution: BCEExecution = .default
) throws(BCEError) {
    try output.withUnsafeMutableBufferPointer { (o) throws(BCEError) in
        _ = try performSpanCall(logits: false, input, target, shape: shape, weight: weight, weightShape: weightShape,
                                reduction: .none, execution: execution, loss: .elements(o))
    }
}

/// ``binaryCrossEntropyBackward(_:_:weight:reduction:gradOutput:inputGradient:targetGradient:execution:)``
/// over spans: d/dinput to `inputGradient` and, only if given (the overload without it), d/dtarget
/// to `targetGradient`.
///
/// - Parameter gradOutputShape: grad_output's shape; `nil` reads it with the input's shape for
///   `.none` and as 0-d for `.mean` and `.sum`.
public func binaryCrossEntropyBackward<S: BCEScalar>(
    _ input: Span<S>, _ target: Span<S>, shape: [Int], weight: Span<S>? = nil, weightShape: [Int]? = nil,
    reduction: Reduction = .mean, gradOutput: Span<S>, gradOutputShape: [Int]? = nil,
    inputGradient: inout MutableSpan<S>, targetGradient: inout MutableSpan<S>?,
    execution: BCEExecution = .default
) throws(BCEError) {
    try inputGradient.withUnsafeMutableBufferPointer { (dx) throws(BCEError) in
        try withOptionalOutput(&targetGradient) { (dy) throws(BCEError) in
            _ = try performSpanCall(
                logits: false, input, target, shape: shape, weight: weight, weightShape: weightShape,
                gradOutput: gradOutput, gradOutputShape: gradOutputShape, reduction: reduction, execution: execution,
                loss: .none, inputGradient: dx, targetGradient: dy)
        }
    }
}

/// The BCELoss backward over spans without d/dtarget (not computed).
public func binaryCrossEntropyBackward<S: BCEScalar>(
    _ input: Span<S>, _ target: Span<S>, shape: [Int], weight: Span<S>? = nil, weightShape: [Int]? = nil,
    reduction: Reduction = .mean, gradOutput: Span<S>, gradOutputShape: [Int]? = nil,
    inputGradient: inout MutableSpan<S>, execution: BCEExecution = .default
) throws(BCEError) {
    var none: MutableSpan<S>? = nil
    try binaryCrossEntropyBackward(
        input, target, shape: shape, weight: weight, weightShape: weightShape, reduction: reduction,
        gradOutput: gradOutput, gradOutputShape: gradOutputShape, inputGradient: &inputGradient,
        targetGradient: &none, execution: execution)
}

/// ``binaryCrossEntropyAndGradients(_:_:weight:reduction:gradOutput:inputGradient:targetGradient:execution:)``
/// over spans: the reduced loss, and its gradients (d/dtarget only if `targetGradient` is given).
public func binaryCrossEntropyAndGradients<S: BCEScalar>(
    _ input: Span<S>, _ target: Span<S>, shape: [Int], weight: Span<S>? = nil, weightShape: [Int]? = nil,
    reduction: ScalarReduction = .mean, gradOutput: S = 1,
    inputGradient: inout MutableSpan<S>, targetGradient: inout MutableSpan<S>?,
    execution: BCEExecution = .default
) throws(BCEError) -> S {
    try inputGradient.withUnsafeMutableBufferPointer { (dx) throws(BCEError) -> S in
        try withOptionalOutput(&targetGradient) { (dy) throws(BCEError) -> S in
            try performSpanCall(
                logits: false, input, target, shape: shape, weight: weight, weightShape: weightShape,
                gradOutputScalar: gradOutput, reduction: reduction.reduction, execution: execution, loss: .reduced,
                inputGradient: dx, targetGradient: dy)
        }
    }
}

/// The reduced BCELoss and d/dinput over spans: a training step.
public func binaryCrossEntropyAndGradients<S: BCEScalar>(
    _ input: Span<S>, _ target: Span<S>, shape: [Int], weight: Span<S>? = nil, weightShape: [Int]? = nil,
    reduction: ScalarReduction = .mean, gradOutput: S = 1,
    inputGradient: inout MutableSpan<S>, execution: BCEExecution = .default
) throws(BCEError) -> S {
    var none: MutableSpan<S>? = nil
    return try binaryCrossEntropyAndGradients(
        input, target, shape: shape, weight: weight, weightShape: weightShape, reduction: reduction,
        gradOutput: gradOutput, inputGradient: &inputGradient, targetGradient: &none, execution: execution)
}

// MARK: - BCEWithLogitsLoss

/// ``binaryCrossEntropyWithLogits(_:_:weight:posWeight:reduction:execution:)`` over spans, reduced
/// to one value; the shapes as for ``binaryCrossEntropy(_:_:shape:weight:weightShape:reduction:execution:)``
/// (`posWeightShape` as `weightShape`).
public func binaryCrossEntropyWithLogits<S: BCEScalar>(
    _ input: Span<S>, _ target: Span<S>, shape: [Int], weight: Span<S>? = nil, weightShape: [Int]? = nil,
    posWeight: Span<S>? = nil, posWeightShape: [Int]? = nil, reduction: ScalarReduction = .mean,
    execution: BCEExecution = .default
) throws(BCEError) -> S {
    try performSpanCall(logits: true, input, target, shape: shape, weight: weight, weightShape: weightShape,
                        posWeight: posWeight, posWeightShape: posWeightShape, reduction: reduction.reduction,
                        execution: execution, loss: .reduced)
}

/// ``binaryCrossEntropyWithLogits(_:_:weight:posWeight:into:execution:)`` over spans, into `output`.
public func binaryCrossEntropyWithLogits<S: BCEScalar>(
    _ input: Span<S>, _ target: Span<S>, shape: [Int], weight: Span<S>? = nil, weightShape: [Int]? = nil,
    posWeight: Span<S>? = nil, posWeightShape: [Int]? = nil, into output: inout MutableSpan<S>,
    execution: BCEExecution = .default
) throws(BCEError) {
    try output.withUnsafeMutableBufferPointer { (o) throws(BCEError) in
        _ = try performSpanCall(logits: true, input, target, shape: shape, weight: weight, weightShape: weightShape,
                                posWeight: posWeight, posWeightShape: posWeightShape, reduction: .none,
                                execution: execution, loss: .elements(o))
    }
}

/// ``binaryCrossEntropyWithLogitsBackward(_:_:weight:posWeight:reduction:gradOutput:inputGradient:targetGradient:execution:)``
/// over spans; grad_output's shape as for the BCELoss span function.
public func binaryCrossEntropyWithLogitsBackward<S: BCEScalar>(
    _ input: Span<S>, _ target: Span<S>, shape: [Int], weight: Span<S>? = nil, weightShape: [Int]? = nil,
    posWeight: Span<S>? = nil, posWeightShape: [Int]? = nil, reduction: Reduction = .mean,
    gradOutput: Span<S>, gradOutputShape: [Int]? = nil,
    inputGradient: inout MutableSpan<S>, targetGradient: inout MutableSpan<S>?,
    execution: BCEExecution = .default
) throws(BCEError) {
    try inputGradient.withUnsafeMutableBufferPointer { (dx) throws(BCEError) in
        try withOptionalOutput(&targetGradient) { (dy) throws(BCEError) in
            _ = try performSpanCall(
                logits: true, input, target, shape: shape, weight: weight, weightShape: weightShape,
                posWeight: posWeight, posWeightShape: posWeightShape, gradOutput: gradOutput,
                gradOutputShape: gradOutputShape, reduction: reduction, execution: execution, loss: .none,
                inputGradient: dx, targetGradient: dy)
        }
    }
}

/// The logits backward over spans without d/dtarget (not computed).
public func binaryCrossEntropyWithLogitsBackward<S: BCEScalar>(
    _ input: Span<S>, _ target: Span<S>, shape: [Int], weight: Span<S>? = nil, weightShape: [Int]? = nil,
    posWeight: Span<S>? = nil, posWeightShape: [Int]? = nil, reduction: Reduction = .mean,
    gradOutput: Span<S>, gradOutputShape: [Int]? = nil,
    inputGradient: inout MutableSpan<S>, execution: BCEExecution = .default
) throws(BCEError) {
    var none: MutableSpan<S>? = nil
    try binaryCrossEntropyWithLogitsBackward(
        input, target, shape: shape, weight: weight, weightShape: weightShape, posWeight: posWeight,
        posWeightShape: posWeightShape, reduction: reduction, gradOutput: gradOutput,
        gradOutputShape: gradOutputShape, inputGradient: &inputGradient, targetGradient: &none,
        execution: execution)
}

/// The reduced logits loss and its gradients over spans (d/dtarget only if `targetGradient` is given).
public func binaryCrossEntropyWithLogitsAndGradients<S: BCEScalar>(
    _ input: Span<S>, _ target: Span<S>, shape: [Int], weight: Span<S>? = nil, weightShape: [Int]? = nil,
    posWeight: Span<S>? = nil, posWeightShape: [Int]? = nil, reduction: ScalarReduction = .mean,
    gradOutput: S = 1, inputGradient: inout MutableSpan<S>, targetGradient: inout MutableSpan<S>?,
    execution: BCEExecution = .default
) throws(BCEError) -> S {
    try inputGradient.withUnsafeMutableBufferPointer { (dx) throws(BCEError) -> S in
        try withOptionalOutput(&targetGradient) { (dy) throws(BCEError) -> S in
            try performSpanCall(
                logits: true, input, target, shape: shape, weight: weight, weightShape: weightShape,
                posWeight: posWeight, posWeightShape: posWeightShape, gradOutputScalar: gradOutput,
                reduction: reduction.reduction, execution: execution, loss: .reduced, inputGradient: dx,
                targetGradient: dy)
        }
    }
}

/// The reduced logits loss and d/dinput over spans: a training step.
public func binaryCrossEntropyWithLogitsAndGradients<S: BCEScalar>(
    _ input: Span<S>, _ target: Span<S>, shape: [Int], weight: Span<S>? = nil, weightShape: [Int]? = nil,
    posWeight: Span<S>? = nil, posWeightShape: [Int]? = nil, reduction: ScalarReduction = .mean,
    gradOutput: S = 1, inputGradient: inout MutableSpan<S>, execution: BCEExecution = .default
) throws(BCEError) -> S {
    var none: MutableSpan<S>? = nil
    return try binaryCrossEntropyWithLogitsAndGradients(
        input, target, shape: shape, weight: weight, weightShape: weightShape, posWeight: posWeight,
        posWeightShape: posWeightShape, reduction: reduction, gradOutput: gradOutput,
        inputGradient: &inputGradient, targetGradient: &none, execution: execution)
}
