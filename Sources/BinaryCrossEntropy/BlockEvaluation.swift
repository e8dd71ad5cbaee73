// The parallel driver of the vectorised loss paths: the elements are cut into the fixed blocks of
// BlockPartition; each block is evaluated (and summed) on its own, on any thread; the block sums
// are fed to BlockedSummation in index order. The result therefore depends on the element count
// only, never on the thread count.

/// The elementwise loss terms of one call, evaluated a block at a time.
package protocol BlockLossEvaluator {
    associatedtype Scalar: BCEArithmetic
    /// The number of elements.
    var count: Int { get }
    /// The compensated sum, in the wide type, of the terms of the elements in `range` (one block);
    /// throws the error of the first invalid element.
    func sum(_ range: Range<Int>) throws(BCEError) -> CompensatedSum<Scalar.WideScalar>
    /// Writes the terms of the elements in `range`, each rounded once, to `output[range]`.
    func store(_ range: Range<Int>, into output: UnsafeMutablePointer<Scalar>) throws(BCEError)
}

/// Blocks evaluated per round of a `.mean` or `.sum`: the memory of a reduction is this many
/// block sums (2 KiB for Float80), held inline on the stack, whatever the element count; each
/// round is one job for the worker pool (64 blocks of 1024 elements keep hand-offs rare; between
/// rounds of one call the workers spin briefly).
private let blocksPerRound = Inline64<Int>.capacity

/// Where a loss pass puts its result: the elementwise terms (`.none`) at a caller's pointer, or
/// the reduction, returned.
package enum LossDestination<Scalar> {
    case elements(UnsafeMutablePointer<Scalar>)
    case reduced(mean: Bool)

    init(_ reduction: Reduction, output: UnsafeMutablePointer<Scalar>?) {
        switch reduction {
        case .none: self = .elements(output!)
        case .mean: self = .reduced(mean: true)
        case .sum: self = .reduced(mean: false)
        }
    }
}

/// A pass's companion that does nothing: a loss pass run alone.
struct NoCompanion: BlockJob {
    func run(block b: Int) {}
}

/// Evaluates the terms of `evaluator` into `destination`: each term rounded once to its element,
/// or the mean or sum (returned; for `.elements` the return value is 0). Allocates nothing.
///
/// `companion` runs each block too, on the same thread right after the block's terms (a fused
/// call's gradients: one hand-off to the workers per call, not two, and the block's inputs still
/// in cache); it keeps its own results and errors. A block after the loss's first failed one may
/// skip both.
package func evaluateLoss<E: BlockLossEvaluator, C: BlockJob>(
    _ evaluator: E, into destination: LossDestination<E.Scalar>, execution: ResolvedExecution,
    alongside companion: C = NoCompanion()
) throws(BCEError) -> E.Scalar {
    let partition = BlockPartition(count: evaluator.count)
    let outcome: Result<E.Scalar, BCEError> = withFirstBlockError { failure in
        switch destination {
        case .elements(let output):
            partition.forEachBlock(
                0 ..< partition.blockCount, execution: execution,
                StoreTermsJob(evaluator: evaluator, partition: partition, output: output, failure: failure,
                              companion: companion))
            if let error = failure.error { return .failure(error) }
            return .success(0)
        case .reduced(let mean):
            var summation = BlockedSummation<E.Scalar.WideScalar>()
            var sums = Inline64(repeating: CompensatedSum<E.Scalar.WideScalar>())
            var start = 0
            while start < partition.blockCount {
                let end = min(partition.blockCount, start + blocksPerRound)
                sums.withUnsafeMutableBufferPointer { buffer in
                    partition.forEachBlock(
                        start ..< end, execution: execution, lastRound: end == partition.blockCount,
                        SumTermsJob(evaluator: evaluator, partition: partition, sums: buffer.baseAddress!,
                                    firstBlock: start, failure: failure, companion: companion))
                    if failure.error == nil {
                        for b in start ..< end { summation.add(blockSum: buffer[b - start]) }
                    }
                }
                if let error = failure.error { return .failure(error) }
                start = end
            }
            var total = summation.total()
            if mean { total /= E.Scalar.WideScalar(partition.count) }   // 0 / 0 = NaN when empty
            return .success(E.Scalar(bceRounding: total))
        }
    }
    return try outcome.get()
}

/// A `.none` pass's block: its terms stored at `output` (indexed by element), or its error
/// recorded; then the companion's block.
private struct StoreTermsJob<E: BlockLossEvaluator, C: BlockJob>: BlockJob {
    let evaluator: E
    let partition: BlockPartition
    let output: UnsafeMutablePointer<E.Scalar>
    let failure: FirstBlockError
    let companion: C

    func run(block b: Int) {
        if failure.failed(before: b) { return }
        do throws(BCEError) {
            try evaluator.store(partition.range(ofBlock: b), into: output)
        } catch {
            failure.record(block: b, error)
        }
        companion.run(block: b)
    }
}

/// A reduction round's block: its compensated sum stored at `sums[b - firstBlock]`, or its error
/// recorded; then the companion's block.
private struct SumTermsJob<E: BlockLossEvaluator, C: BlockJob>: BlockJob {
    let evaluator: E
    let partition: BlockPartition
    let sums: UnsafeMutablePointer<CompensatedSum<E.Scalar.WideScalar>>
    let firstBlock: Int
    let failure: FirstBlockError
    let companion: C

    func run(block b: Int) {
        if failure.failed(before: b) { return }
        do throws(BCEError) {
            sums[b - firstBlock] = try evaluator.sum(partition.range(ofBlock: b))
        } catch {
            failure.record(block: b, error)
        }
        companion.run(block: b)
    }
}
