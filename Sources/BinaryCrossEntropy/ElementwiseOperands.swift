internal import BCESIMDKernels

// Argument validation shared by both losses, and the single loop every kernel runs: input and
// target walked contiguously, weight, pos_weight and grad_output by broadcast index arithmetic.
// The operands are the caller's buffers (views), never copied; results go to the caller's
// pointers.

/// Validated operands of one loss or gradient call: views of the caller's storage, valid while
/// that storage is.
struct ElementwiseOperands<Scalar: BCEArithmetic> {
    /// The input's shape (also the target's and the output's).
    let shape: [Int]
    let input: UnsafeBufferPointer<Scalar>
    let target: UnsafeBufferPointer<Scalar>
    /// Each broadcast operand; nil when it is absent (read as 1).
    let weight: UnsafeBufferPointer<Scalar>?
    let posWeight: UnsafeBufferPointer<Scalar>?
    let gradOutput: UnsafeBufferPointer<Scalar>?
    var hasWeight: Bool { weight != nil }
    var hasPosWeight: Bool { posWeight != nil }
    /// How weight (operand 0), pos_weight (1) and grad_output (2) broadcast to the input; nil
    /// when each has one element (grad_output: or one per element).
    let plan: BroadcastPlan?

    /// Validates in the documented order (docs/CONTRACTS.md): array consistency, input vs target
    /// shape, weight broadcast, pos_weight broadcast, grad_output shape. Ranges are checked by
    /// the kernels as they go.
    ///
    /// - Parameter gradOutput: `nil` for a forward call. For `.none` it must have the input's
    ///   shape exactly; for `.mean` and `.sum` it must have one element (0-d, or a shape of ones).
    init(
        input: BCETensorView<Scalar>, target: BCETensorView<Scalar>, weight: BCETensorView<Scalar>?,
        posWeight: BCETensorView<Scalar>?, gradOutput: BCETensorView<Scalar>?, reduction: Reduction
    ) throws(BCEError) {
        try input.validate()
        try target.validate()
        try weight?.validate()
        try posWeight?.validate()
        try gradOutput?.validate()
        guard input.shape == target.shape else {
            throw .shapeMismatch(input: input.shape, target: target.shape)
        }
        if let weight { try checkBroadcast(weight.shape, to: input.shape, argument: "weight") }
        if let posWeight { try checkBroadcast(posWeight.shape, to: input.shape, argument: "pos_weight") }
        var perElementGradOutput = false
        if let gradOutput {
            switch reduction {
            case .none:
                guard gradOutput.shape == input.shape else {
                    throw .notBroadcastable(argument: "grad_output", shape: gradOutput.shape, to: input.shape)
                }
                perElementGradOutput = true
            case .mean, .sum:
                guard gradOutput.elements.count == 1 else {
                    throw .notBroadcastable(argument: "grad_output", shape: gradOutput.shape, to: [])
                }
            }
        }
        shape = input.shape
        self.input = input.elements
        self.target = target.elements
        self.weight = weight?.elements
        self.posWeight = posWeight?.elements
        self.gradOutput = gradOutput?.elements
        // The broadcast plan (small arrays) only where an operand is broadcast element by
        // element; one-element operands and a per-element grad_output need none.
        let broadcast = (weight.map { $0.elements.count > 1 } ?? false)
            || (posWeight.map { $0.elements.count > 1 } ?? false)
        plan = broadcast
            ? BroadcastPlan(
                output: input.shape,
                operands: (weight?.shape ?? [], posWeight?.shape ?? [], perElementGradOutput ? input.shape : []))
            : nil
        self.perElementGradOutput = perElementGradOutput
    }

    /// Whether grad_output has one element per output element (`.none`), not one for all.
    let perElementGradOutput: Bool

    /// The number of output elements (the input's).
    var count: Int { input.count }

    /// Calls `body(index, x, y, w, p, g)` for every output element in ascending flat index order,
    /// until it returns false. Absent operands read as 1.
    @inline(__always)
    func forEach(_ body: (_ index: Int, _ x: Scalar, _ y: Scalar, _ w: Scalar, _ p: Scalar, _ g: Scalar) -> Bool) {
        guard count > 0 else { return }
        let x = input, y = target
        withUnsafeTemporaryAllocation(of: Scalar.self, capacity: 1) { one in
            one.initialize(repeating: 1)
            let w = weight ?? UnsafeBufferPointer(one), p = posWeight ?? UnsafeBufferPointer(one)
            let g = gradOutput ?? UnsafeBufferPointer(one)
            guard let plan else {
                // Every operand is one element, or (grad_output) one per element.
                let (w, p) = (w[0], p[0])
                let gStride = perElementGradOutput ? 1 : 0
                var gi = 0
                for i in 0 ..< count {
                    if !body(i, x[i], y[i], w, p, g[gi]) { return }
                    gi += gStride
                }
                return
            }
            plan.forEachRow { row in
                var wi = row.operandStart.0, pi = row.operandStart.1, gi = row.operandStart.2
                for i in row.outputStart ..< row.outputStart + row.count {
                    if !body(i, x[i], y[i], w[wi], p[pi], g[gi]) { return false }
                    wi += row.operandStride.0
                    pi += row.operandStride.1
                    gi += row.operandStride.2
                }
                return true
            }
        }
    }

    /// Runs `element` over every output position into `destination`; each wide value is
    /// rounded to `Scalar` once (`.elements`) or summed in the wide type and rounded once
    /// (returned). The first error `element` throws stops the loop and is rethrown.
    func reduce(
        _ destination: LossDestination<Scalar>,
        _ element: (_ index: Int, _ x: Scalar, _ y: Scalar, _ w: Scalar, _ p: Scalar, _ g: Scalar)
            throws(BCEError) -> Scalar.WideScalar
    ) throws(BCEError) -> Scalar {
        var failure: BCEError?
        switch destination {
        case .elements(let out):
            forEach { i, x, y, w, p, g in
                do throws(BCEError) {
                    out[i] = Scalar(bceRounding: try element(i, x, y, w, p, g))
                    return true
                } catch {
                    failure = error
                    return false
                }
            }
            if let failure { throw failure }
            return 0
        case .reduced(let mean):
            var summation = BlockedSummation<Scalar.WideScalar>()
            forEach { i, x, y, w, p, g in
                do throws(BCEError) {
                    summation.add(try element(i, x, y, w, p, g))
                    return true
                } catch {
                    failure = error
                    return false
                }
            }
            if let failure { throw failure }
            var total = summation.total()
            if mean { total /= Scalar.WideScalar(count) }   // 0 / 0 = NaN when empty
            return Scalar(bceRounding: total)
        }
    }

    /// Runs `element` over every output position and writes the two gradients, each rounded
    /// once, to `inputGradient` and (when given) `targetGradient`. The first error `element`
    /// throws is rethrown (the lowest index's).
    ///
    /// The fixed blocks of ``BlockPartition`` are shared among threads (``GradientJob``), so the
    /// result does not depend on the thread count. Allocates nothing.
    ///
    /// The eight-lane evaluation of the same gradients, where there is one for the element type
    /// and loss (with or without weight and pos_weight), takes the groups of eight; the groups it
    /// declines, and the tail, take `element`.
    func gradients<F: ElementGradients>(
        into inputGradient: UnsafeMutablePointer<Scalar>?, _ targetGradient: UnsafeMutablePointer<Scalar>?,
        execution: ResolvedExecution, _ element: F
    ) throws(BCEError) where F.Scalar == Scalar {
        guard count > 0, let gradX = inputGradient else { return }
        let partition = BlockPartition(count: count)
        try withGradientJob(into: gradX, targetGradient, element) { job in
            partition.forEachBlock(0 ..< partition.blockCount, execution: execution, job)
        }
    }

    /// `body` with the job that computes the gradients of one block (``GradientJob``, for a
    /// non-empty input), as ``gradients(into:_:execution:_:)`` runs it on every block; a fused call
    /// runs it beside its loss's blocks. Rethrows `body`'s error, else the job's first (the lowest
    /// index's).
    func withGradientJob<F: ElementGradients>(
        into gradX: UnsafeMutablePointer<Scalar>, _ targetGradient: UnsafeMutablePointer<Scalar>?, _ element: F,
        _ body: (GradientJob<F>) throws(BCEError) -> Void
    ) throws(BCEError) where F.Scalar == Scalar {
        let group = vectorizedGradientGroups(Scalar.self, withLogits: F.withLogits, divisor: element.divisor)
        let outcome: BCEError? = withUnsafeTemporaryAllocation(of: Scalar.self, capacity: 1) { one in
            one.initialize(repeating: 1)
            let (ws, ps) = sources
            return withFirstBlockError { failure in
                do throws(BCEError) {
                    try body(GradientJob(
                        x: input.baseAddress!, y: target.baseAddress!,
                        g: gradOutput?.baseAddress ?? UnsafePointer(one.baseAddress!),
                        perElement: perElementGradOutput && count != 1, weight: ws, posWeight: ps, plan: plan,
                        count: count, gradX: gradX, gradY: targetGradient, group: group, element: element,
                        failure: failure))
                } catch {
                    return error
                }
                return failure.error
            }
        }
        if let outcome { throw outcome }
    }
}

/// The scalar formulas of one loss's two gradients at one element, in the wide type before
/// rounding (the reference the eight-lane groups match); BCELoss's throw its range errors. A type
/// rather than a closure, so that a ``GradientJob`` holding it can be read by other threads
/// without an escaping copy.
protocol ElementGradients {
    associatedtype Scalar: BCEArithmetic
    /// Which loss's (the lanes' choice).
    static var withLogits: Bool { get }
    /// The reduction's divisor (the element count for `.mean`, else 1).
    var divisor: Scalar.WideScalar { get }
    /// d/dinput and (when `withTarget`; else 0, not evaluated) d/dtarget of element `index` with
    /// input `x`, target `y`, weight `w`, pos_weight `p` and grad_output `g` (absent operands are 1).
    func callAsFunction(_ index: Int, _ x: Scalar, _ y: Scalar, _ w: Scalar, _ p: Scalar, _ g: Scalar, withTarget: Bool)
        throws(BCEError) -> (input: Scalar.WideScalar, target: Scalar.WideScalar)
}

/// One block of a gradient pass: weight and pos_weight read through ``withBlockOperands`` (in
/// place, or expanded into the thread's scratch), grad_output one element or one per element
/// (`perElement`); d/dinput to `gradX`, d/dtarget to `gradY` when given. Each value is computed
/// and rounded as by `element`.
struct GradientJob<F: ElementGradients>: BlockJob {
    typealias Scalar = F.Scalar
    let x: UnsafePointer<Scalar>, y: UnsafePointer<Scalar>, g: UnsafePointer<Scalar>
    let perElement: Bool
    let weight: BroadcastSource<Scalar>?, posWeight: BroadcastSource<Scalar>?
    let plan: BroadcastPlan?
    let count: Int
    let gradX: UnsafeMutablePointer<Scalar>, gradY: UnsafeMutablePointer<Scalar>?
    let group: GradientGroups?
    let element: F
    let failure: FirstBlockError

    var partition: BlockPartition { BlockPartition(count: count) }

    func run(block b: Int) {
        if failure.failed(before: b) { return }
        do throws(BCEError) {
            let range = partition.range(ofBlock: b)
            try withBlockOperands(range, elements: count, plan: plan, weight, posWeight) { (w, p) throws(BCEError) in
                try gradientRange(range, w, p)
            }
        } catch {
            failure.record(block: b, error)
        }
    }

    /// The gradients of the elements in `range`: d/dinput to `gradX[i]`, d/dtarget to `gradY[i]`
    /// when given (without it, the lanes skip d/dtarget's arithmetic, not only its store).
    @inline(__always)
    private func gradientRange(
        _ range: Range<Int>, _ w: OperandView<Scalar>?, _ p: OperandView<Scalar>?
    ) throws(BCEError) {
        @inline(__always) func scalar(_ i: Int) throws(BCEError) {
            let value = try element(i, x[i], y[i], w?[i] ?? 1, p?[i] ?? 1, g[perElement ? i : 0], withTarget: gradY != nil)
            gradX[i] = Scalar(bceRounding: value.input)
            gradY?[i] = Scalar(bceRounding: value.target)
        }
        var i = range.lowerBound
        if let group {
            let (px, py, pg) = (UnsafeRawPointer(x), UnsafeRawPointer(y), UnsafeRawPointer(g))
            let (dx, dy) = (UnsafeMutableRawPointer(gradX), gradY.map(UnsafeMutableRawPointer.init))
            let weights: BCEWeights? = w == nil && p == nil ? nil : kernelWeights(w, p)
            var scalarLanes: UInt32 = 0xFF
            while range.upperBound - i >= 8 {
                i = group(i, range.upperBound, px, py, pg, perElement ? 1 : 0, weights, dx, dy, scalarLanes: &scalarLanes)
                guard range.upperBound - i >= 8 else { break }
                // A group the lanes declined, or the lanes of it they left to the scalar formulas.
                for k in 0 ..< 8 where scalarLanes >> UInt32(k) & 1 != 0 { try scalar(i + k) }
                i += 8
            }
        }
        for j in i ..< range.upperBound { try scalar(j) }
    }
}

extension NDArray {
    /// For results whose scalar count is known to match `shape`.
    init(uncheckedShape shape: [Int], scalars: [Scalar]) {
        self.shape = shape
        self.scalars = scalars
    }
}
