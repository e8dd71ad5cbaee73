// The buffer API: the losses and their gradients over the caller's memory, for training loops.
// Inputs are views (a buffer and a shape), never copied; outputs go to the caller's buffers;
// reductions return their value. Validation reads the shapes, the passes keep their state
// (block sums, the summation tree, the broadcast plan, the first error) inline on the stack and
// hand each pass to the worker threads as a job value on the stack: after a warm-up call a call
// allocates nothing (docs/CONTRACTS.md section 1a; scripts/alloc-check.sh checks it). The
// NDArray functions are the convenience layer over the same passes: same checks in the same
// order, same errors, same bits.

/// A read-only view of contiguous row-major elements with a shape: an operand of the buffer API.
///
/// The elements are not copied; they must stay valid and unchanged during the call. The view
/// is checked when used: a shape whose element count differs from `elements.count` (or is
/// negative, or overflows) throws ``BCEError/invalidShape(shape:count:)``, as an inconsistent
/// ``NDArray`` does. Keep a view across calls (a training step) and its shape array is not
/// rebuilt either.
public struct BCETensorView<Scalar: BCEScalar> {
    /// The extent of each dimension, outermost first; `[]` is 0-d (one element).
    public let shape: [Int]
    /// The elements in row-major order.
    public let elements: UnsafeBufferPointer<Scalar>

    /// A view of `elements` with the given shape.
    public init(_ elements: UnsafeBufferPointer<Scalar>, shape: [Int]) {
        self.elements = elements
        self.shape = shape
    }

    /// A 1-d view (shape `[elements.count]`).
    public init(_ elements: UnsafeBufferPointer<Scalar>) {
        self.init(elements, shape: [elements.count])
    }

    func validate() throws(BCEError) {
        guard elementCount(of: shape) == elements.count else {
            throw .invalidShape(shape: shape, count: elements.count)
        }
    }
}

/// A reduction that returns one value: the buffer API's reduced calls need no output buffer.
public enum ScalarReduction: String, Sendable, CaseIterable {
    /// The sum of the elementwise (weighted) losses divided by the element count (NaN when empty).
    case mean
    /// The sum of the elementwise (weighted) losses (0 when empty).
    case sum

    /// The same ``Reduction``.
    public var reduction: Reduction { self == .mean ? .mean : .sum }
}

// MARK: - BCELoss

/// ``binaryCrossEntropy(_:_:weight:reduction:)`` over buffers, reduced to one value.
///
/// - Throws: As the NDArray function, in the same order (docs/CONTRACTS.md section 1).
public func binaryCrossEntropy<S: BCEScalar>(
    _ input: BCETensorView<S>, _ target: BCETensorView<S>, weight: BCETensorView<S>? = nil,
    reduction: ScalarReduction = .mean, execution: BCEExecution = .default
) throws(BCEError) -> S {
    try performBufferCall(BufferCall(
        logits: false, input: input, target: target, weight: weight, posWeight: nil,
        reduction: reduction.reduction, execution: execution.resolved, loss: .reduced))
}

/// ``binaryCrossEntropy(_:_:weight:reduction:)`` with `reduction: .none` over buffers: each
/// element's loss written to `output` (as many elements as `input`).
///
/// - Throws: As the NDArray function; then, before any range check,
///   ``BCEError/notBroadcastable(argument:shape:to:)`` with argument `"output"` if `output` does
///   not have `input`'s element count.
public func binaryCrossEntropy<S: BCEScalar>(
    _ input: BCETensorView<S>, _ target: BCETensorView<S>, weight: BCETensorView<S>? = nil,
    into output: UnsafeMutableBufferPointer<S>, execution: BCEExecution = .default
) throws(BCEError) {
    _ = try performBufferCall(BufferCall(
        logits: false, input: input, target: target, weight: weight, posWeight: nil,
        reduction: .none, execution: execution.resolved, loss: .elements(output)))
}

/// ``binaryCrossEntropyBackward(_:_:weight:reduction:gradOutput:)`` over buffers: d/dinput to
/// `inputGradient` and, only if given, d/dtarget to `targetGradient` (each as many elements as
/// `input`; without it the target gradient is not written).
///
/// - Throws: As the NDArray function; then, before any range check,
///   ``BCEError/notBroadcastable(argument:shape:to:)`` with argument `"input_gradient"` or
///   `"target_gradient"` for a buffer of the wrong count.
public func binaryCrossEntropyBackward<S: BCEScalar>(
    _ input: BCETensorView<S>, _ target: BCETensorView<S>, weight: BCETensorView<S>? = nil,
    reduction: Reduction = .mean, gradOutput: BCETensorView<S>,
    inputGradient: UnsafeMutableBufferPointer<S>, targetGradient: UnsafeMutableBufferPointer<S>? = nil,
    execution: BCEExecution = .default
) throws(BCEError) {
    _ = try performBufferCall(BufferCall(
        logits: false, input: input, target: target, weight: weight, posWeight: nil, gradOutput: gradOutput,
        reduction: reduction, execution: execution.resolved, inputGradient: inputGradient,
        targetGradient: targetGradient))
}

/// The reduced loss and its gradients in one call (a training step): returns the loss as
/// ``binaryCrossEntropy(_:_:weight:reduction:execution:)`` does and writes the gradients of
/// `gradOutput` times that loss, as ``binaryCrossEntropyBackward(_:_:weight:reduction:gradOutput:inputGradient:targetGradient:execution:)``
/// with a 0-d `gradOutput`. The arguments are checked once, and the elements are walked once: each
/// block's gradients are computed right after its loss terms, on the same thread. On an error, the
/// gradient buffers' contents are unspecified.
public func binaryCrossEntropyAndGradients<S: BCEScalar>(
    _ input: BCETensorView<S>, _ target: BCETensorView<S>, weight: BCETensorView<S>? = nil,
    reduction: ScalarReduction = .mean, gradOutput: S = 1,
    inputGradient: UnsafeMutableBufferPointer<S>, targetGradient: UnsafeMutableBufferPointer<S>? = nil,
    execution: BCEExecution = .default
) throws(BCEError) -> S {
    try performBufferCall(BufferCall(
        logits: false, input: input, target: target, weight: weight, posWeight: nil,
        gradOutputScalar: gradOutput, reduction: reduction.reduction, execution: execution.resolved,
        loss: .reduced, inputGradient: inputGradient, targetGradient: targetGradient))
}

// MARK: - BCEWithLogitsLoss

/// ``binaryCrossEntropyWithLogits(_:_:weight:posWeight:reduction:)`` over buffers, reduced to one
/// value.
public func binaryCrossEntropyWithLogits<S: BCEScalar>(
    _ input: BCETensorView<S>, _ target: BCETensorView<S>, weight: BCETensorView<S>? = nil,
    posWeight: BCETensorView<S>? = nil, reduction: ScalarReduction = .mean, execution: BCEExecution = .default
) throws(BCEError) -> S {
    try performBufferCall(BufferCall(
        logits: true, input: input, target: target, weight: weight, posWeight: posWeight,
        reduction: reduction.reduction, execution: execution.resolved, loss: .reduced))
}

/// ``binaryCrossEntropyWithLogits(_:_:weight:posWeight:reduction:)`` with `reduction: .none` over
/// buffers, into `output`.
public func binaryCrossEntropyWithLogits<S: BCEScalar>(
    _ input: BCETensorView<S>, _ target: BCETensorView<S>, weight: BCETensorView<S>? = nil,
    posWeight: BCETensorView<S>? = nil, into output: UnsafeMutableBufferPointer<S>,
    execution: BCEExecution = .default
) throws(BCEError) {
    _ = try performBufferCall(BufferCall(
        logits: true, input: input, target: target, weight: weight, posWeight: posWeight,
        reduction: .none, execution: execution.resolved, loss: .elements(output)))
}

/// ``binaryCrossEntropyWithLogitsBackward(_:_:weight:posWeight:reduction:gradOutput:)`` over
/// buffers; d/dtarget only if `targetGradient` is given.
public func binaryCrossEntropyWithLogitsBackward<S: BCEScalar>(
    _ input: BCETensorView<S>, _ target: BCETensorView<S>, weight: BCETensorView<S>? = nil,
    posWeight: BCETensorView<S>? = nil, reduction: Reduction = .mean, gradOutput: BCETensorView<S>,
    inputGradient: UnsafeMutableBufferPointer<S>, targetGradient: UnsafeMutableBufferPointer<S>? = nil,
    execution: BCEExecution = .default
) throws(BCEError) {
    _ = try performBufferCall(BufferCall(
        logits: true, input: input, target: target, weight: weight, posWeight: posWeight, gradOutput: gradOutput,
        reduction: reduction, execution: execution.resolved, inputGradient: inputGradient,
        targetGradient: targetGradient))
}

/// The reduced logits loss and its gradients in one call (a training step); see
/// ``binaryCrossEntropyAndGradients(_:_:weight:reduction:gradOutput:inputGradient:targetGradient:execution:)``.
public func binaryCrossEntropyWithLogitsAndGradients<S: BCEScalar>(
    _ input: BCETensorView<S>, _ target: BCETensorView<S>, weight: BCETensorView<S>? = nil,
    posWeight: BCETensorView<S>? = nil, reduction: ScalarReduction = .mean, gradOutput: S = 1,
    inputGradient: UnsafeMutableBufferPointer<S>, targetGradient: UnsafeMutableBufferPointer<S>? = nil,
    execution: BCEExecution = .default
) throws(BCEError) -> S {
    try performBufferCall(BufferCall(
        logits: true, input: input, target: target, weight: weight, posWeight: posWeight,
        gradOutputScalar: gradOutput, reduction: reduction.reduction, execution: execution.resolved,
        loss: .reduced, inputGradient: inputGradient, targetGradient: targetGradient))
}

// MARK: - The one path every buffer call takes

/// One buffer-API call: which loss, its operands, and what it computes.
struct BufferCall<S: BCEScalar> {
    enum Loss { case none, reduced, elements(UnsafeMutableBufferPointer<S>) }
    var logits: Bool
    var input: BCETensorView<S>, target: BCETensorView<S>
    var weight: BCETensorView<S>?, posWeight: BCETensorView<S>?
    var gradOutput: BCETensorView<S>? = nil
    /// A 0-d grad_output given as a value (the fused calls).
    var gradOutputScalar: S? = nil
    var reduction: Reduction
    var execution: ResolvedExecution
    var loss: Loss = .none
    var inputGradient: UnsafeMutableBufferPointer<S>? = nil
    var targetGradient: UnsafeMutableBufferPointer<S>? = nil
}

/// Runs `call` specialized for its element type: generic code called from another module would
/// run unspecialized (each element through witness tables), so each element type goes to its
/// own instantiation here. Every public entry point (the NDArray functions too, through
/// ``ndarrayLoss(logits:_:_:_:_:reduction:)`` and ``ndarrayGradients(logits:_:_:_:_:reduction:gradOutput:)``)
/// comes through here: the library's one specialisation mechanism.
@inline(__always)
func performBufferCall<S: BCEScalar>(_ call: BufferCall<S>) throws(BCEError) -> S {
    @inline(__always) func run<T: BCEArithmetic>(_: T.Type) throws(BCEError) -> S {
        unsafeBitCast(try runBufferCall(unsafeBitCast(call, to: BufferCall<T>.self)), to: S.self)
    }
    switch S.bceScalarKind.kind {
    case .float: return try run(Float.self)
    case .double: return try run(Double.self)
    case .bfloat16: return try run(BrainFloat16.self)
    case .float16:
        #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
        return try run(Float16.self)
        #else
        preconditionFailure("no Float16 on this platform, so no BCEScalarKind of it")
        #endif
    }
}

/// Validates `call` (the NDArray API's checks and order, then the output buffers' counts) and
/// runs its pass: the loss, the gradients, or both in one pass (each block's gradients right after
/// its loss terms; a loss error is thrown before a gradient error, as if the loss ran first).
/// Returns the reduced loss (0 when none).
@inline(never)
func runBufferCall<S: BCEArithmetic>(_ call: BufferCall<S>) throws(BCEError) -> S {
    try withUnsafeTemporaryAllocation(of: S.self, capacity: 1) { (one) throws(BCEError) -> S in
        one.initialize(repeating: call.gradOutputScalar ?? 1)
        let gradOutput = call.gradOutputScalar != nil
            ? BCETensorView(UnsafeBufferPointer(one), shape: []) : call.gradOutput
        let operands = try ElementwiseOperands(
            input: call.input, target: call.target, weight: call.weight, posWeight: call.posWeight,
            gradOutput: gradOutput, reduction: call.reduction)
        func checkCount(_ buffer: UnsafeMutableBufferPointer<S>?, _ argument: String) throws(BCEError) {
            guard let buffer, buffer.count != operands.count else { return }
            throw .notBroadcastable(argument: argument, shape: [buffer.count], to: operands.shape)
        }
        if case .elements(let output) = call.loss { try checkCount(output, "output") }
        try checkCount(call.inputGradient, "input_gradient")
        try checkCount(call.targetGradient, "target_gradient")
        let destination: LossDestination<S>?
        switch call.loss {
        case .none: destination = nil
        case .reduced: destination = LossDestination(call.reduction, output: nil)
        case .elements(let output): destination = output.baseAddress.map { .elements($0) }
        }
        let (dx, dy) = (call.inputGradient?.baseAddress, call.targetGradient?.baseAddress)
        func loss<C: BlockJob>(into destination: LossDestination<S>, alongside companion: C) throws(BCEError) -> S {
            call.logits
                ? try bceWithLogitsLossPass(operands, into: destination, execution: call.execution, alongside: companion)
                : try bceLossPass(operands, into: destination, execution: call.execution, alongside: companion)
        }
        /// The call's pass with `element`, the loss's scalar gradient formulas: loss and gradients in
        /// one pass (each block's gradients right after its terms), the loss alone, or the gradients alone.
        func pass<F: ElementGradients>(_ element: F) throws(BCEError) -> S where F.Scalar == S {
            switch (destination, dx) {
            case (let destination?, let dx?) where operands.count > 0:
                var value: S = 0
                try operands.withGradientJob(into: dx, dy, element) { (job) throws(BCEError) in
                    value = try loss(into: destination, alongside: job)
                }
                return value
            case (let destination?, _):
                return try loss(into: destination, alongside: NoCompanion())
            case (nil, _):
                try operands.gradients(into: dx, dy, execution: call.execution, element)
                return 0
            }
        }
        let value = call.logits
            ? try pass(BCEWithLogitsElementGradients(operands, reduction: call.reduction))
            : try pass(BCEElementGradients(operands, reduction: call.reduction))
        return value
    }
}

// MARK: - The NDArray layer's bridge

extension NDArray {
    /// `body` with a view of this array's storage.
    @inline(__always)
    func withView<R>(_ body: (BCETensorView<Scalar>) throws(BCEError) -> R) throws(BCEError) -> R {
        let result: Result<R, BCEError> = scalars.withUnsafeBufferPointer { buffer in
            do throws(BCEError) { return .success(try body(BCETensorView(buffer, shape: shape))) } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

@inline(__always)
private func withOptionalView<S, R>(
    _ array: NDArray<S>?, _ body: (BCETensorView<S>?) throws(BCEError) -> R
) throws(BCEError) -> R {
    guard let array else { return try body(nil) }
    return try array.withView { (view) throws(BCEError) in try body(view) }
}

/// `body` with views of the NDArray operands of one call.
@inline(__always)
func withViews<S, R>(
    _ input: NDArray<S>, _ target: NDArray<S>, _ weight: NDArray<S>?, _ posWeight: NDArray<S>?,
    _ gradOutput: NDArray<S>?,
    _ body: (BCETensorView<S>, BCETensorView<S>, BCETensorView<S>?, BCETensorView<S>?, BCETensorView<S>?)
        throws(BCEError) -> R
) throws(BCEError) -> R {
    try input.withView { (x) throws(BCEError) in
        try target.withView { (y) throws(BCEError) in
            try withOptionalView(weight) { (w) throws(BCEError) in
                try withOptionalView(posWeight) { (p) throws(BCEError) in
                    try withOptionalView(gradOutput) { (g) throws(BCEError) in try body(x, y, w, p, g) }
                }
            }
        }
    }
}

/// An NDArray function's loss: ``performBufferCall(_:)`` over views of the arrays, into a new
/// array for `.none` (0-d for `.mean` and `.sum`). The same checks, order, errors and bits.
func ndarrayLoss<S: BCEScalar>(
    logits: Bool, _ input: NDArray<S>, _ target: NDArray<S>, _ weight: NDArray<S>?, _ posWeight: NDArray<S>?,
    reduction: Reduction
) throws(BCEError) -> NDArray<S> {
    try withViews(input, target, weight, posWeight, nil) { x, y, w, p, _ throws(BCEError) in
        func call(_ loss: BufferCall<S>.Loss) -> BufferCall<S> {
            BufferCall(logits: logits, input: x, target: y, weight: w, posWeight: p, reduction: reduction,
                       execution: .defaults, loss: loss)
        }
        guard reduction == .none else { return NDArray(scalar: try performBufferCall(call(.reduced))) }
        let count = x.elements.count
        var failure: BCEError?
        let scalars = [S](unsafeUninitializedCapacity: count) { output, initialized in
            do throws(BCEError) {
                _ = try performBufferCall(call(.elements(output)))
                initialized = count
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return NDArray(uncheckedShape: x.shape, scalars: scalars)
    }
}

/// An NDArray function's gradients: ``performBufferCall(_:)`` over views of the arrays, into new
/// d/dinput and d/dtarget arrays of the input's shape.
func ndarrayGradients<S: BCEScalar>(
    logits: Bool, _ input: NDArray<S>, _ target: NDArray<S>, _ weight: NDArray<S>?, _ posWeight: NDArray<S>?,
    reduction: Reduction, gradOutput: NDArray<S>
) throws(BCEError) -> BCEGradients<S> {
    try withViews(input, target, weight, posWeight, gradOutput) { x, y, w, p, g throws(BCEError) in
        let count = x.elements.count
        var failure: BCEError?
        var targetGradient: [S] = []
        let inputGradient = [S](unsafeUninitializedCapacity: count) { dx, initializedX in
            targetGradient = [S](unsafeUninitializedCapacity: count) { dy, initializedY in
                do throws(BCEError) {
                    _ = try performBufferCall(BufferCall(
                        logits: logits, input: x, target: y, weight: w, posWeight: p, gradOutput: g,
                        reduction: reduction, execution: .defaults, inputGradient: dx, targetGradient: dy))
                    initializedY = count
                } catch {
                    failure = error
                }
            }
            initializedX = failure == nil ? count : 0
        }
        if let failure { throw failure }
        return BCEGradients(
            input: NDArray(uncheckedShape: x.shape, scalars: inputGradient),
            target: NDArray(uncheckedShape: x.shape, scalars: targetGradient))
    }
}
