internal import BCESIMDKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The forward passes with `weight` and/or `pos_weight`, in every broadcast pattern: the fixed
// blocks of BlockPartition on the worker pool (so results do not depend on the thread count),
// each block through the C kernels' weighted loops (every element type, at every level), with the
// scalar formulas for the groups of eight they decline and the tail (and every group without the
// kernels: the tests' reference). A broadcast operand is read in place when it has
// one element (stride 0) or the input's shape (stride 1); any other pattern (per class `(C,)`,
// per channel `(C, 1, 1)`, ...) is expanded per block into a buffer of one block, so the
// kernels only ever see those two strides; the buffer is the thread's own (BlockScratch), so
// nothing is allocated on the heap after a thread's first such call.

/// One broadcast operand as a kernel reads it: `base[0]` for every element or `base[i]`.
struct OperandView<Scalar> {
    var base: UnsafePointer<Scalar>
    var stride: Int
    @inline(__always) subscript(i: Int) -> Scalar { base[i &* stride] }
}

/// Where a broadcast operand's scalars are and how they map to the input's elements.
struct BroadcastSource<Scalar> {
    let scalars: UnsafePointer<Scalar>
    let count: Int
    /// The operand's index in ``BroadcastPlan`` (0 weight, 1 pos_weight).
    let operand: Int

    /// Whether the operand must be expanded per block (neither one element nor one per element).
    func needsGather(elements: Int) -> Bool { count != 1 && count != elements }

    /// The view of the operand for the elements of `range`, expanded into `scratch` (room for one
    /// block) when it is neither one element nor one per element. Indexed by element index.
    @inline(__always)
    func view(
        _ range: Range<Int>, elements: Int, plan: BroadcastPlan?, scratch: UnsafeMutablePointer<Scalar>?
    ) -> OperandView<Scalar> {
        if count == 1 { return OperandView(base: scalars, stride: 0) }
        if count == elements { return OperandView(base: scalars, stride: 1) }
        // withBlockOperands provides scratch whenever needsGather; ElementwiseOperands has a plan
        // whenever an operand has more than one element.
        let scratch = scratch!
        plan!.gather(operand: operand, range, from: scalars, into: scratch)
        return OperandView(base: UnsafePointer(scratch - range.lowerBound), stride: 1)
    }
}

/// `body` with a view of `weight` and of `posWeight` (each nil when absent) for `range`.
@inline(__always)
func withBlockOperands<Scalar, R>(
    _ range: Range<Int>, elements: Int, plan: BroadcastPlan?,
    _ weight: BroadcastSource<Scalar>?, _ posWeight: BroadcastSource<Scalar>?,
    _ body: (OperandView<Scalar>?, OperandView<Scalar>?) throws(BCEError) -> R
) throws(BCEError) -> R {
    let gathers = (weight?.needsGather(elements: elements) ?? false ? 1 : 0)
        + (posWeight?.needsGather(elements: elements) ?? false ? 1 : 0)
    if gathers == 0 {
        return try body(weight?.view(range, elements: elements, plan: plan, scratch: nil),
                        posWeight?.view(range, elements: elements, plan: plan, scratch: nil))
    }
    func run(_ base: UnsafeMutablePointer<Scalar>) -> Result<R, BCEError> {
        do throws(BCEError) {
            return .success(try body(
                weight?.view(range, elements: elements, plan: plan, scratch: base),
                posWeight?.view(range, elements: elements, plan: plan, scratch: base + BlockPartition.blockSize)))
        } catch {
            return .failure(error)
        }
    }
    if let scratch = BlockScratch.current(for: Scalar.self) { return try run(scratch).get() }
    let result = withUnsafeTemporaryAllocation(of: Scalar.self, capacity: 2 * BlockPartition.blockSize) {
        run($0.baseAddress!)
    }
    return try result.get()
}

/// Each thread's scratch memory for one block's two expanded operands: allocated on the thread's
/// first call that expands an operand, kept until the thread exits (the key's destructor frees
/// it), so later calls allocate nothing. (A block-sized buffer is too large for
/// `withUnsafeTemporaryAllocation`'s stack, which then takes the heap on every block.) Only
/// ``withBlockOperands`` uses it, and nothing it calls uses it again.
enum BlockScratch {
    /// Room for two blocks of 8-byte scalars, 64-byte aligned.
    static let byteCount = 2 * BlockPartition.blockSize * 8
    private static let alignment = 64

    private static let key: pthread_key_t? = {
        var key = pthread_key_t()
        return pthread_key_create(&key, { free($0) }) == 0 ? key : nil
    }()

    /// This thread's scratch as `2 * BlockPartition.blockSize` elements of `Scalar`, or nil when
    /// it cannot be had (then the caller takes temporary memory).
    static func current<Scalar>(for _: Scalar.Type) -> UnsafeMutablePointer<Scalar>? {
        guard let key, 2 * BlockPartition.blockSize * MemoryLayout<Scalar>.stride <= byteCount,
              MemoryLayout<Scalar>.alignment <= alignment else { return nil }
        var memory = pthread_getspecific(key)
        if memory == nil {
            guard posix_memalign(&memory, alignment, byteCount) == 0, let fresh = memory else { return nil }
            guard pthread_setspecific(key, fresh) == 0 else {
                free(fresh)
                return nil
            }
        }
        return memory!.bindMemory(to: Scalar.self, capacity: 2 * BlockPartition.blockSize)
    }
}

/// The kernels' description of two operand views.
@inline(__always)
func kernelWeights<Scalar>(_ weight: OperandView<Scalar>?, _ posWeight: OperandView<Scalar>?) -> BCEWeights {
    BCEWeights(
        weight: weight.map { UnsafeRawPointer($0.base) }, weightStride: weight?.stride ?? 0,
        posWeight: posWeight.map { UnsafeRawPointer($0.base) }, posWeightStride: posWeight?.stride ?? 0)
}

/// BCELoss with a weight, or BCEWithLogitsLoss with a weight and/or a pos_weight.
struct WeightedLoss<Scalar: BCEArithmetic>: BlockLossEvaluator {
    let withLogits: Bool
    let input: UnsafePointer<Scalar>, target: UnsafePointer<Scalar>
    let count: Int
    let weight: BroadcastSource<Scalar>?
    let posWeight: BroadcastSource<Scalar>?
    let plan: BroadcastPlan?

    /// The scalar path's term of element `i` (the formula times the weight, in the wide type),
    /// with BCELoss's range checks.
    @inline(__always)
    func exactTerm(_ i: Int, _ w: OperandView<Scalar>?, _ p: OperandView<Scalar>?) throws(BCEError) -> Scalar.WideScalar {
        let (x, y) = (input[i], target[i])
        let term: Scalar.WideScalar
        if withLogits {
            term = BCEWithLogitsFormulas.loss(
                input: x.bceWide, target: y.bceWide, posWeight: p?[i].bceWide ?? 1, hasPosWeight: p != nil)
        } else {
            try checkProbabilities(index: i, input: x, target: y)
            term = BCEFormulas.loss(input: x.bceWide, target: y.bceWide)
        }
        guard let w else { return term }
        return term * w[i].bceWide
    }

    /// The C kernel's sum of the groups from `i` (see BCESIMDKernels.h), or `i` where there is none.
    @inline(__always)
    private func kernelSum(
        _ i: Int, _ end: Int, _ weights: inout BCEWeights, _ sums: UnsafeMutablePointer<Double>,
        _ compensations: UnsafeMutablePointer<Double>
    ) -> Int {
        guard BCEVectorKernels.useC else { return i }
        if let lanes = Scalar.self as? any DoubleLaneScalar.Type {
            return lanes.kernelSum(withLogits: withLogits, input, target, &weights, i, end, sums, compensations)
        }
        if Scalar.self == Double.self {
            let (x, y) = (rebound(input, Double.self), rebound(target, Double.self))
            return withLogits ? bce_logits_f64_weighted_sum(x, y, &weights, i, end, sums, compensations)
                              : bce_f64_weighted_sum(x, y, &weights, i, end, sums, compensations)
        }
        return i
    }

    @inline(__always)
    private func kernelStore(
        _ i: Int, _ end: Int, _ weights: inout BCEWeights, _ output: UnsafeMutablePointer<Scalar>
    ) -> Int {
        guard BCEVectorKernels.useC else { return i }
        if let lanes = Scalar.self as? any DoubleLaneScalar.Type {
            return lanes.kernelStore(withLogits: withLogits, input, target, &weights, i, end, output)
        }
        if Scalar.self == Double.self {
            let (x, y, o) = (rebound(input, Double.self), rebound(target, Double.self), rebound(output, Double.self))
            return withLogits ? bce_logits_f64_weighted_store(x, y, &weights, i, end, o)
                              : bce_f64_weighted_store(x, y, &weights, i, end, o)
        }
        return i
    }

    func sum(_ range: Range<Int>) throws(BCEError) -> CompensatedSum<Scalar.WideScalar> {
        try withBlockOperands(range, elements: count, plan: plan, weight, posWeight) { (w, p) throws(BCEError) in
            var weights = kernelWeights(w, p)
            var lanes = (SIMD8<Double>(), SIMD8<Double>())   // the kernel's lane sums and compensations
            var scalarTerms = CompensatedSum<Scalar.WideScalar>()
            var i = range.lowerBound
            while range.upperBound - i >= 8 {
                i = withUnsafeMutableBytes(of: &lanes) { raw in
                    let lane = raw.baseAddress!.assumingMemoryBound(to: Double.self)
                    return kernelSum(i, range.upperBound, &weights, lane, lane + 8)
                }
                guard range.upperBound - i >= 8 else { break }
                for j in i ..< i + 8 { scalarTerms.add(try exactTerm(j, w, p)) }   // a group the kernel declined
                i += 8
            }
            for j in i ..< range.upperBound { scalarTerms.add(try exactTerm(j, w, p)) }
            var total = CompensatedSum<Scalar.WideScalar>()
            for lane in 0 ..< 8 {
                total.add(Scalar.WideScalar(lanes.0[lane]))
                total.compensation += Scalar.WideScalar(lanes.1[lane])
            }
            total.add(scalarTerms)
            return total
        }
    }

    func store(_ range: Range<Int>, into output: UnsafeMutablePointer<Scalar>) throws(BCEError) {
        try withBlockOperands(range, elements: count, plan: plan, weight, posWeight) { (w, p) throws(BCEError) in
            var weights = kernelWeights(w, p)
            var i = range.lowerBound
            while range.upperBound - i >= 8 {
                i = kernelStore(i, range.upperBound, &weights, output)
                guard range.upperBound - i >= 8 else { break }
                for j in i ..< i + 8 { output[j] = Scalar(bceRounding: try exactTerm(j, w, p)) }
                i += 8
            }
            for j in i ..< range.upperBound { output[j] = Scalar(bceRounding: try exactTerm(j, w, p)) }
        }
    }
}

/// `pointer` as a pointer to `T` (called only where the element type is `T`).
@inline(__always)
func rebound<S, T>(_ pointer: UnsafePointer<S>, _: T.Type) -> UnsafePointer<T> {
    UnsafeRawPointer(pointer).assumingMemoryBound(to: T.self)
}

@inline(__always)
func rebound<S, T>(_ pointer: UnsafeMutablePointer<S>, _: T.Type) -> UnsafeMutablePointer<T> {
    UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: T.self)
}

extension ElementwiseOperands {
    /// The broadcast sources of weight and pos_weight (nil when absent), views of the caller's
    /// storage like the operands themselves.
    var sources: (weight: BroadcastSource<Scalar>?, posWeight: BroadcastSource<Scalar>?) {
        (weight.flatMap { w in w.baseAddress.map { BroadcastSource(scalars: $0, count: w.count, operand: 0) } },
         posWeight.flatMap { p in p.baseAddress.map { BroadcastSource(scalars: $0, count: p.count, operand: 1) } })
    }

    /// The forward pass with a weight and/or pos_weight (see ``WeightedLoss``; also the element
    /// types without lanes), for a non-empty input, into `destination` (see
    /// ``evaluateLoss(_:into:execution:)``).
    func weightedLoss<C: BlockJob>(
        withLogits: Bool, into destination: LossDestination<Scalar>, execution: ResolvedExecution,
        alongside companion: C = NoCompanion()
    ) throws(BCEError) -> Scalar {
        let (w, p) = sources
        return try evaluateLoss(
            WeightedLoss(withLogits: withLogits, input: input.baseAddress!, target: target.baseAddress!, count: count,
                         weight: w, posWeight: p, plan: plan),
            into: destination, execution: execution, alongside: companion)
    }
}
