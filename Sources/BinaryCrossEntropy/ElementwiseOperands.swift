internal import BCESIMDKernels

// Argument validation shared by both losses, and the single loop every kernel runs: input and
// target walked contiguously, weight, pos_weight and grad_output by broadcast index arithmetic.

/// Validated operands of one loss or gradient call.
struct ElementwiseOperands<Scalar: BCEScalar> {
    let input: NDArray<Scalar>
    let target: NDArray<Scalar>
    /// Scalars of each broadcast operand; `[1]` (0-d) when it is absent.
    let weight: [Scalar]
    let posWeight: [Scalar]
    let gradOutput: [Scalar]
    let hasPosWeight: Bool
    /// Whether a weight was given (`weight` is `[1]` when not).
    let weightGiven: Bool
    /// How weight (operand 0), pos_weight (1) and grad_output (2) broadcast to the input.
    let plan: BroadcastPlan

    /// Validates in the documented order (docs/CONTRACTS.md): array consistency, input vs target
    /// shape, weight broadcast, pos_weight broadcast, grad_output shape. Ranges are checked by
    /// the kernels as they go.
    ///
    /// - Parameter gradOutput: `nil` for a forward call. For `.none` it must have the input's
    ///   shape exactly; for `.mean` and `.sum` it must have one element (0-d, or a shape of ones).
    init(
        input: NDArray<Scalar>, target: NDArray<Scalar>, weight: NDArray<Scalar>?,
        posWeight: NDArray<Scalar>?, gradOutput: NDArray<Scalar>?, reduction: Reduction
    ) throws(BCEError) {
        self.input = try input.validated()
        self.target = try target.validated()
        let weight = try weight?.validated()
        let posWeight = try posWeight?.validated()
        let gradOutput = try gradOutput?.validated()
        guard input.shape == target.shape else {
            throw .shapeMismatch(input: input.shape, target: target.shape)
        }
        if let weight { try checkBroadcast(weight.shape, to: input.shape, argument: "weight") }
        if let posWeight { try checkBroadcast(posWeight.shape, to: input.shape, argument: "pos_weight") }
        var gradShape: [Int] = []
        if let gradOutput {
            switch reduction {
            case .none:
                guard gradOutput.shape == input.shape else {
                    throw .notBroadcastable(argument: "grad_output", shape: gradOutput.shape, to: input.shape)
                }
                gradShape = input.shape
            case .mean, .sum:
                guard gradOutput.count == 1 else {
                    throw .notBroadcastable(argument: "grad_output", shape: gradOutput.shape, to: [])
                }
            }
        }
        self.weight = weight?.scalars ?? [1]
        self.posWeight = posWeight?.scalars ?? [1]
        self.gradOutput = gradOutput?.scalars ?? [1]
        self.hasPosWeight = posWeight != nil
        self.weightGiven = weight != nil
        plan = BroadcastPlan(
            output: input.shape,
            operands: (weight?.shape ?? [], posWeight?.shape ?? [], gradShape))
    }

    /// The number of output elements (the input's).
    var count: Int { input.count }

    /// Calls `body(index, x, y, w, p, g)` for every output element in ascending flat index order,
    /// until it returns false. Absent operands read as 1.
    @inline(__always)
    func forEach(_ body: (_ index: Int, _ x: Scalar, _ y: Scalar, _ w: Scalar, _ p: Scalar, _ g: Scalar) -> Bool) {
        input.scalars.withUnsafeBufferPointer { x in
        target.scalars.withUnsafeBufferPointer { y in
        weight.withUnsafeBufferPointer { w in
        posWeight.withUnsafeBufferPointer { p in
        gradOutput.withUnsafeBufferPointer { g in
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
        }}}}}
    }

    /// Runs `element` over every output position and applies `reduction`; each wide value is
    /// rounded to `Scalar` once (`.none`) or summed in the wide type and rounded once (`.mean`,
    /// `.sum`). The first error `element` throws stops the loop and is rethrown.
    func reduce(
        _ reduction: Reduction,
        _ element: (_ index: Int, _ x: Scalar, _ y: Scalar, _ w: Scalar, _ p: Scalar, _ g: Scalar)
            throws(BCEError) -> Scalar.WideScalar
    ) throws(BCEError) -> NDArray<Scalar> {
        var failure: BCEError?
        switch reduction {
        case .none:
            let scalars = [Scalar](unsafeUninitializedCapacity: count) { out, initialized in
                forEach { i, x, y, w, p, g in
                    do throws(BCEError) {
                        out[i] = Scalar(bceRounding: try element(i, x, y, w, p, g))
                        return true
                    } catch {
                        failure = error
                        return false
                    }
                }
                initialized = failure == nil ? count : 0
            }
            if let failure { throw failure }
            return NDArray(uncheckedShape: input.shape, scalars: scalars)
        case .mean, .sum:
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
            if reduction == .mean { total /= Scalar.WideScalar(count) }   // 0 / 0 = NaN when empty
            return NDArray(scalar: Scalar(bceRounding: total))
        }
    }

    /// Runs `element` over every output position and returns the two gradients, each rounded
    /// once. The first error `element` throws is rethrown (the lowest index's).
    ///
    /// The fixed blocks of ``BlockPartition``, shared among threads; weight and pos_weight are read
    /// per block through ``withBlockOperands`` (in place, or expanded into a stack buffer), and
    /// grad_output has one element or one per element (validated). Each value is computed and
    /// rounded as by `element`, so the result does not depend on the thread count.
    ///
    /// - Parameter group: the eight-lane evaluation of the same gradients, where there is one;
    ///   groups it declines, and the tail, take `element`.
    func gradients(
        group: GradientGroups? = nil,
        _ element: (_ index: Int, _ x: Scalar, _ y: Scalar, _ w: Scalar, _ p: Scalar, _ g: Scalar)
            throws(BCEError) -> (input: Scalar.WideScalar, target: Scalar.WideScalar)
    ) throws(BCEError) -> BCEGradients<Scalar> {
        let partition = BlockPartition(count: count)
        let failure = FirstBlockError()
        let perElementGradOutput = gradOutput.count == count && count != 1
        if count == 0 {
            return BCEGradients(input: NDArray(uncheckedShape: input.shape, scalars: []),
                                target: NDArray(uncheckedShape: input.shape, scalars: []))
        }
        let plan = self.plan
        var targetGradient: [Scalar] = []
        let inputGradient = [Scalar](unsafeUninitializedCapacity: count) { gradX, initializedX in
            targetGradient = [Scalar](unsafeUninitializedCapacity: count) { gradY, initializedY in
                try? withSources(hasWeight: weightGiven) { (x, y, ws, ps) throws(BCEError) in
                gradOutput.withUnsafeBufferPointer { g in
                    withoutActuallyEscaping(element) { element in
                        let shared = UncheckedSendable((element, x, y, g.baseAddress!, gradX.baseAddress, gradY.baseAddress))
                        partition.forEachBlock(0 ..< partition.blockCount, threads: partition.threadCount) { b in
                            if failure.failed(before: b) { return }
                            let (element, x, y, g, outX, outY) = shared.value
                            let (gradX, gradY) = (outX!, outY!)
                            let range = partition.range(ofBlock: b)
                            do throws(BCEError) {
                                try withBlockOperands(range, elements: count, plan: plan, ws, ps) { (w, p) throws(BCEError) in
                                    @inline(__always) func scalar(_ i: Int) throws(BCEError) {
                                        let value = try element(
                                            i, x[i], y[i], w?[i] ?? 1, p?[i] ?? 1, g[perElementGradOutput ? i : 0])
                                        gradX[i] = Scalar(bceRounding: value.input)
                                        gradY[i] = Scalar(bceRounding: value.target)
                                    }
                                    var i = range.lowerBound
                                    if let group {
                                        let weights: BCEWeights? = w == nil && p == nil ? nil : kernelWeights(w, p)
                                        while range.upperBound - i >= 8 {
                                            i = group(i, range.upperBound, UnsafeRawPointer(x), UnsafeRawPointer(y),
                                                      UnsafeRawPointer(g), perElementGradOutput ? 1 : 0, weights,
                                                      UnsafeMutableRawPointer(gradX), UnsafeMutableRawPointer(gradY))
                                            guard range.upperBound - i >= 8 else { break }
                                            for j in i ..< i + 8 { try scalar(j) }   // a group the lanes declined
                                            i += 8
                                        }
                                    }
                                    for j in i ..< range.upperBound { try scalar(j) }
                                }
                            } catch {
                                failure.record(block: b, error)
                            }
                        }
                    }
                }}
                initializedY = failure.error == nil ? count : 0
            }
            initializedX = failure.error == nil ? count : 0
        }
        if let error = failure.error { throw error }
        return BCEGradients(
            input: NDArray(uncheckedShape: input.shape, scalars: inputGradient),
            target: NDArray(uncheckedShape: input.shape, scalars: targetGradient))
    }
}

extension NDArray {
    /// For results whose scalar count is known to match `shape`.
    init(uncheckedShape shape: [Int], scalars: [Scalar]) {
        self.shape = shape
        self.scalars = scalars
    }
}
