internal import BCESIMDKernels

// The vectorised forward passes of both losses for Float, Float16 and BrainFloat16 without weight
// or pos_weight (the common case): the C kernels (BCESIMDKernels) evaluate eight elements at a time
// in Double lanes with fdlibm's log and exp, then round once, as the scalar path does. A group of
// eight whose lanes are not all in the fast domain (x tiny, 0 or 1, out of range, non-finite,
// |logit| > 700) is evaluated here by the scalar formulas instead, element by element, with their
// range checks in index order; so is the tail of fewer than eight.
//
// Accuracy: the lane formulas are the scalar ones (same order of operations) with log and exp
// within 1 Double ULP instead of correctly rounded, so each term is within a few 2^-53 relative of
// the scalar path's, 2^-29 of a Float ULP, and the Float or Float16 result is the same except
// within that distance of a rounding tie. Sums use lane-wise compensated (TwoSum) accumulation.

/// Eight Double lanes: the C kernels' running sums and compensations.
package typealias Lanes = SIMD8<Double>

/// Float, Float16 and BrainFloat16: evaluated in Double lanes by the C kernels.
package protocol DoubleLaneScalar: BCEArithmetic where WideScalar == Double {
    /// Which of the C kernels' Double-lane element types this is.
    static var laneType: LaneType { get }
}

/// The element types of the C kernels' Double lanes (`float`, Float16 and BrainFloat16 bit patterns).
package enum LaneType { case float, float16, brainFloat16 }

/// `pointer` as the C kernels read a Double-lane type: `float` or 16-bit patterns.
@inline(__always) private func floats(_ p: UnsafeRawPointer) -> UnsafePointer<Float> { p.assumingMemoryBound(to: Float.self) }
@inline(__always) private func halves(_ p: UnsafeRawPointer) -> UnsafePointer<UInt16> { p.assumingMemoryBound(to: UInt16.self) }

extension DoubleLaneScalar {
    /// The C kernel's forward sum (see BCESIMDKernels.h) of the groups from `i`.
    @inline(__always)
    static func kernelSum(
        withLogits: Bool, _ x: UnsafeRawPointer, _ y: UnsafeRawPointer, _ weights: UnsafePointer<BCEWeights>?,
        _ i: Int, _ end: Int, _ s: UnsafeMutablePointer<Double>, _ c: UnsafeMutablePointer<Double>
    ) -> Int {
        switch (laneType, withLogits, weights) {
        case (.float, false, nil): bce_f32_sum(floats(x), floats(y), i, end, s, c)
        case (.float, true, nil): bce_logits_f32_sum(floats(x), floats(y), i, end, s, c)
        case (.float, false, let w?): bce_f32_weighted_sum(floats(x), floats(y), w, i, end, s, c)
        case (.float, true, let w?): bce_logits_f32_weighted_sum(floats(x), floats(y), w, i, end, s, c)
        case (.float16, false, nil): bce_f16_sum(halves(x), halves(y), i, end, s, c)
        case (.float16, true, nil): bce_logits_f16_sum(halves(x), halves(y), i, end, s, c)
        case (.float16, false, let w?): bce_f16_weighted_sum(halves(x), halves(y), w, i, end, s, c)
        case (.float16, true, let w?): bce_logits_f16_weighted_sum(halves(x), halves(y), w, i, end, s, c)
        case (.brainFloat16, false, nil): bce_bf16_sum(halves(x), halves(y), i, end, s, c)
        case (.brainFloat16, true, nil): bce_logits_bf16_sum(halves(x), halves(y), i, end, s, c)
        case (.brainFloat16, false, let w?): bce_bf16_weighted_sum(halves(x), halves(y), w, i, end, s, c)
        case (.brainFloat16, true, let w?): bce_logits_bf16_weighted_sum(halves(x), halves(y), w, i, end, s, c)
        }
    }

    /// The C kernel's forward store of the groups from `i`, each term rounded once into `o`.
    @inline(__always)
    static func kernelStore(
        withLogits: Bool, _ x: UnsafeRawPointer, _ y: UnsafeRawPointer, _ weights: UnsafePointer<BCEWeights>?,
        _ i: Int, _ end: Int, _ o: UnsafeMutableRawPointer
    ) -> Int {
        let (f, h) = (o.assumingMemoryBound(to: Float.self), o.assumingMemoryBound(to: UInt16.self))
        switch (laneType, withLogits, weights) {
        case (.float, false, nil): return bce_f32_store(floats(x), floats(y), i, end, f)
        case (.float, true, nil): return bce_logits_f32_store(floats(x), floats(y), i, end, f)
        case (.float, false, let w?): return bce_f32_weighted_store(floats(x), floats(y), w, i, end, f)
        case (.float, true, let w?): return bce_logits_f32_weighted_store(floats(x), floats(y), w, i, end, f)
        case (.float16, false, nil): return bce_f16_store(halves(x), halves(y), i, end, h)
        case (.float16, true, nil): return bce_logits_f16_store(halves(x), halves(y), i, end, h)
        case (.float16, false, let w?): return bce_f16_weighted_store(halves(x), halves(y), w, i, end, h)
        case (.float16, true, let w?): return bce_logits_f16_weighted_store(halves(x), halves(y), w, i, end, h)
        case (.brainFloat16, false, nil): return bce_bf16_store(halves(x), halves(y), i, end, h)
        case (.brainFloat16, true, nil): return bce_logits_bf16_store(halves(x), halves(y), i, end, h)
        case (.brainFloat16, false, let w?): return bce_bf16_weighted_store(halves(x), halves(y), w, i, end, h)
        case (.brainFloat16, true, let w?): return bce_logits_bf16_weighted_store(halves(x), halves(y), w, i, end, h)
        }
    }
}

extension LaneType {
    /// The C kernel's gradients (see BCESIMDKernels.h) of the groups from `i`, weighted when
    /// `weights` is given.
    @inline(__always)
    func kernelGradients(
        withLogits: Bool, _ x: UnsafeRawPointer, _ y: UnsafeRawPointer, _ g: UnsafeRawPointer, _ gStride: Int,
        _ weights: UnsafePointer<BCEWeights>?, divisor: Double, epsilon: Double, _ i: Int, _ end: Int,
        _ dx: UnsafeMutableRawPointer, _ dy: UnsafeMutableRawPointer?
    ) -> Int {
        // dy nil: the kernels neither compute nor store d/dtarget.
        let (fx, fy) = (dx.assumingMemoryBound(to: Float.self), dy?.assumingMemoryBound(to: Float.self))
        let (hx, hy) = (dx.assumingMemoryBound(to: UInt16.self), dy?.assumingMemoryBound(to: UInt16.self))
        let (d, e) = (divisor, epsilon)
        switch (self, withLogits, weights) {
        case (.float, false, nil): return bce_gradients_f32(floats(x), floats(y), floats(g), gStride, d, e, i, end, fx, fy)
        case (.float, true, nil): return bce_logits_gradients_f32(floats(x), floats(y), floats(g), gStride, d, e, i, end, fx, fy)
        case (.float, false, let w?):
            return bce_gradients_f32_weighted(floats(x), floats(y), floats(g), gStride, w, d, e, i, end, fx, fy)
        case (.float, true, let w?):
            return bce_logits_gradients_f32_weighted(floats(x), floats(y), floats(g), gStride, w, d, e, i, end, fx, fy)
        case (.float16, false, nil): return bce_gradients_f16(halves(x), halves(y), halves(g), gStride, d, e, i, end, hx, hy)
        case (.float16, true, nil): return bce_logits_gradients_f16(halves(x), halves(y), halves(g), gStride, d, e, i, end, hx, hy)
        case (.float16, false, let w?):
            return bce_gradients_f16_weighted(halves(x), halves(y), halves(g), gStride, w, d, e, i, end, hx, hy)
        case (.float16, true, let w?):
            return bce_logits_gradients_f16_weighted(halves(x), halves(y), halves(g), gStride, w, d, e, i, end, hx, hy)
        case (.brainFloat16, false, nil): return bce_gradients_bf16(halves(x), halves(y), halves(g), gStride, d, e, i, end, hx, hy)
        case (.brainFloat16, true, nil):
            return bce_logits_gradients_bf16(halves(x), halves(y), halves(g), gStride, d, e, i, end, hx, hy)
        case (.brainFloat16, false, let w?):
            return bce_gradients_bf16_weighted(halves(x), halves(y), halves(g), gStride, w, d, e, i, end, hx, hy)
        case (.brainFloat16, true, let w?):
            return bce_logits_gradients_bf16_weighted(halves(x), halves(y), halves(g), gStride, w, d, e, i, end, hx, hy)
        }
    }
}

extension Float: DoubleLaneScalar {
    package static var laneType: LaneType { .float }
}

#if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
extension Float16: DoubleLaneScalar {
    package static var laneType: LaneType { .float16 }
}
#endif

extension BrainFloat16: DoubleLaneScalar {
    package static var laneType: LaneType { .brainFloat16 }
}

/// A loss whose terms are evaluated eight at a time in the C kernels' Double lanes.
package protocol DoubleLaneLoss: BlockLossEvaluator where Scalar: DoubleLaneScalar {
    /// Evaluates and accumulates the groups of eight from `i` with the C kernels while they are in
    /// the fast domain; returns the index of the first group not evaluated (`i` itself without
    /// the kernels: ``BCEVectorKernels/withLevel(_:_:)`` with nil).
    func acceleratedSum(
        from i: Int, to end: Int, _ sum: inout Lanes, _ compensation: inout Lanes) -> Int
    /// As ``acceleratedSum(from:to:_:_:)``, storing each term rounded once to `output`.
    func acceleratedStore(from i: Int, to end: Int, into output: UnsafeMutablePointer<Scalar>) -> Int
    /// The scalar path's term of element `i`, with its range checks.
    func exactTerm(_ i: Int) throws(BCEError) -> Double
}

extension DoubleLaneLoss {
    /// The scalar path's terms of the group of eight from `i` (one the kernels declined).
    @inline(__always)
    func exactTerms(at i: Int) throws(BCEError) -> Lanes {
        var value = Lanes.zero
        for lane in 0 ..< Lanes.scalarCount { value[lane] = try exactTerm(i + lane) }
        return value
    }

    package func sum(_ range: Range<Int>) throws(BCEError) -> CompensatedSum<Double> {
        var sum = Lanes.zero, compensation = Lanes.zero
        @inline(__always) func add(_ v: Lanes) {
            // Knuth's TwoSum per lane, as the kernels accumulate: the rounding error of sum + v.
            let t = sum + v
            let bv = t - sum
            compensation += (sum - (t - bv)) + (v - bv)
            sum = t
        }
        var i = range.lowerBound
        while i + Lanes.scalarCount <= range.upperBound {
            i = acceleratedSum(from: i, to: range.upperBound, &sum, &compensation)
            guard i + Lanes.scalarCount <= range.upperBound else { break }
            add(try exactTerms(at: i))
            i += Lanes.scalarCount
        }
        if i < range.upperBound {
            var tail = Lanes.zero
            for j in i ..< range.upperBound { tail[j - i] = try exactTerm(j) }
            add(tail)
        }
        var total = CompensatedSum<Double>()
        for lane in 0 ..< Lanes.scalarCount {
            total.add(sum[lane])
            total.compensation += compensation[lane]
        }
        return total
    }

    package func store(_ range: Range<Int>, into output: UnsafeMutablePointer<Scalar>) throws(BCEError) {
        var i = range.lowerBound
        while i + Lanes.scalarCount <= range.upperBound {
            i = acceleratedStore(from: i, to: range.upperBound, into: output)
            guard i + Lanes.scalarCount <= range.upperBound else { break }
            for j in i ..< i + Lanes.scalarCount { output[j] = Scalar(bceRounding: try exactTerm(j)) }
            i += Lanes.scalarCount
        }
        for j in i ..< range.upperBound { output[j] = Scalar(bceRounding: try exactTerm(j)) }
    }
}

/// BCELoss without weight: `(y - 1) * log1p(-x) - y * log(x)`, clamps never reached in the lanes.
package struct VectorBCELoss<Scalar: DoubleLaneScalar>: DoubleLaneLoss {
    package let input: UnsafePointer<Scalar>, target: UnsafePointer<Scalar>, count: Int

    package init(input: UnsafePointer<Scalar>, target: UnsafePointer<Scalar>, count: Int) {
        (self.input, self.target, self.count) = (input, target, count)
    }

    @inline(__always)
    package func exactTerm(_ i: Int) throws(BCEError) -> Double {
        try checkProbabilities(index: i, input: input[i], target: target[i])
        return BCEFormulas.loss(input: input[i].bceWide, target: target[i].bceWide)
    }

    @inline(__always)
    package func acceleratedSum(from i: Int, to end: Int, _ sum: inout Lanes, _ compensation: inout Lanes) -> Int {
        guard BCEVectorKernels.useC else { return i }
        return withLanePointers(&sum, &compensation) { s, c in
            Scalar.kernelSum(withLogits: false, input, target, nil, i, end, s, c)
        }
    }

    @inline(__always)
    package func acceleratedStore(from i: Int, to end: Int, into output: UnsafeMutablePointer<Scalar>) -> Int {
        guard BCEVectorKernels.useC else { return i }
        return Scalar.kernelStore(withLogits: false, input, target, nil, i, end, output)
    }
}

/// BCEWithLogitsLoss without weight or pos_weight: `(1 - y) * softplus(x) + softplus(-x) * y`.
package struct VectorBCEWithLogitsLoss<Scalar: DoubleLaneScalar>: DoubleLaneLoss {
    package let input: UnsafePointer<Scalar>, target: UnsafePointer<Scalar>, count: Int

    package init(input: UnsafePointer<Scalar>, target: UnsafePointer<Scalar>, count: Int) {
        (self.input, self.target, self.count) = (input, target, count)
    }

    @inline(__always)
    package func exactTerm(_ i: Int) throws(BCEError) -> Double {
        BCEWithLogitsFormulas.loss(
            input: input[i].bceWide, target: target[i].bceWide, posWeight: 1, hasPosWeight: false)
    }

    @inline(__always)
    package func acceleratedSum(from i: Int, to end: Int, _ sum: inout Lanes, _ compensation: inout Lanes) -> Int {
        guard BCEVectorKernels.useC else { return i }
        return withLanePointers(&sum, &compensation) { s, c in
            Scalar.kernelSum(withLogits: true, input, target, nil, i, end, s, c)
        }
    }

    @inline(__always)
    package func acceleratedStore(from i: Int, to end: Int, into output: UnsafeMutablePointer<Scalar>) -> Int {
        guard BCEVectorKernels.useC else { return i }
        return Scalar.kernelStore(withLogits: true, input, target, nil, i, end, output)
    }
}

/// `body` with the eight Doubles of `sum` and of `compensation` as C arrays.
@inline(__always)
func withLanePointers(
    _ sum: inout Lanes, _ compensation: inout Lanes,
    _ body: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>) -> Int
) -> Int {
    withUnsafeMutableBytes(of: &sum) { s in
        withUnsafeMutableBytes(of: &compensation) { c in
            body(s.baseAddress!.assumingMemoryBound(to: Double.self), c.baseAddress!.assumingMemoryBound(to: Double.self))
        }
    }
}

/// The vectorised forward pass for `S` (Float, Float16, BrainFloat16, Double) without weight or
/// pos_weight, into `destination` (see ``evaluateLoss(_:into:execution:)``), or nil where there
/// is none (empty inputs).
func vectorizedLoss<S: BCEArithmetic, C: BlockJob>(
    withLogits: Bool, _ input: UnsafeBufferPointer<S>, _ target: UnsafeBufferPointer<S>,
    into destination: LossDestination<S>, execution: ResolvedExecution, alongside companion: C = NoCompanion()
) throws(BCEError) -> S? {
    guard let x = input.baseAddress, let y = target.baseAddress, input.count > 0 else { return nil }
    let count = input.count
    /// The pass of `evaluator`, whose scalar type is `S`.
    func run<E: BlockLossEvaluator>(_ evaluator: E) throws(BCEError) -> S {
        unsafeBitCast(
            try evaluateLoss(evaluator, into: unsafeBitCast(destination, to: LossDestination<E.Scalar>.self),
                             execution: execution, alongside: companion),
            to: S.self)
    }
    func lanes<T: DoubleLaneScalar>(_: T.Type) throws(BCEError) -> S {
        let (x, y) = (UnsafeRawPointer(x).assumingMemoryBound(to: T.self), UnsafeRawPointer(y).assumingMemoryBound(to: T.self))
        return withLogits
            ? try run(VectorBCEWithLogitsLoss(input: x, target: y, count: count))
            : try run(VectorBCELoss(input: x, target: y, count: count))
    }
    if S.self == Float.self { return try lanes(Float.self) }
    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    if S.self == Float16.self { return try lanes(Float16.self) }
    #endif
    if S.self == BrainFloat16.self { return try lanes(BrainFloat16.self) }
    if S.self == Double.self {
        let (x, y) = (UnsafeRawPointer(x).assumingMemoryBound(to: Double.self),
                      UnsafeRawPointer(y).assumingMemoryBound(to: Double.self))
        return withLogits
            ? try run(DoubleDoubleBCEWithLogitsLoss(input: x, target: y, count: count))
            : try run(DoubleDoubleBCELoss(input: x, target: y, count: count))
    }
    return nil
}
