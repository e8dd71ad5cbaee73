// The parallel driver of the vectorised loss paths: the elements are cut into the fixed blocks of
// BlockPartition; each block is evaluated (and summed) on its own, on any thread; the block sums
// are fed to BlockedSummation in index order. The result therefore depends on the element count
// only, never on the thread count.

/// The elementwise loss terms of one call, evaluated a block at a time.
protocol BlockLossEvaluator {
    associatedtype Scalar: BCEScalar
    /// The number of elements.
    var count: Int { get }
    /// The compensated sum, in the wide type, of the terms of the elements in `range` (one block);
    /// throws the error of the first invalid element.
    func sum(_ range: Range<Int>) throws(BCEError) -> CompensatedSum<Scalar.WideScalar>
    /// Writes the terms of the elements in `range`, each rounded once, to `output[range]`.
    func store(_ range: Range<Int>, into output: UnsafeMutablePointer<Scalar>) throws(BCEError)
}

/// Blocks evaluated per round of a `.mean` or `.sum`: the memory of a reduction is this many
/// block sums (8 KiB for Float80), whatever the element count; each round is one job for the
/// worker pool, so 256 blocks of 1024 elements keep hand-offs rare.
private let blocksPerRound = 256

/// Applies `reduction` to the terms of `evaluator`, in `shape` (the input's).
func evaluateLoss<E: BlockLossEvaluator>(
    _ evaluator: E, shape: [Int], reduction: Reduction
) throws(BCEError) -> NDArray<E.Scalar> {
    let partition = BlockPartition(count: evaluator.count)
    let threads = partition.threadCount
    let failure = FirstBlockError()
    let shared = UncheckedSendable(evaluator)
    switch reduction {
    case .none:
        let scalars = [E.Scalar](unsafeUninitializedCapacity: partition.count) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            let output = UncheckedSendable(base)
            partition.forEachBlock(0 ..< partition.blockCount, threads: threads) { b in
                if failure.failed(before: b) { return }
                do throws(BCEError) {
                    try shared.value.store(partition.range(ofBlock: b), into: output.value)
                } catch {
                    failure.record(block: b, error)
                }
            }
            initialized = failure.error == nil ? partition.count : 0
        }
        if let error = failure.error { throw error }
        return NDArray(uncheckedShape: shape, scalars: scalars)
    case .mean, .sum:
        var summation = BlockedSummation<E.Scalar.WideScalar>()
        var sums = [CompensatedSum<E.Scalar.WideScalar>](
            repeating: CompensatedSum(), count: min(blocksPerRound, partition.blockCount))
        var start = 0
        while start < partition.blockCount {
            let end = min(partition.blockCount, start + blocksPerRound)
            sums.withUnsafeMutableBufferPointer { buffer in
                let roundSums = UncheckedSendable(buffer)
                partition.forEachBlock(start ..< end, threads: threads) { b in
                    if failure.failed(before: b) { return }
                    do throws(BCEError) {
                        roundSums.value[b - start] = try shared.value.sum(partition.range(ofBlock: b))
                    } catch {
                        failure.record(block: b, error)
                    }
                }
            }
            if let error = failure.error { throw error }
            for b in start ..< end { summation.add(blockSum: sums[b - start]) }
            start = end
        }
        var total = summation.total()
        if reduction == .mean { total /= E.Scalar.WideScalar(partition.count) }   // 0 / 0 = NaN when empty
        return NDArray(scalar: E.Scalar(bceRounding: total))
    }
}

/// `body` with the base addresses of two non-empty arrays' storage.
@inline(__always)
func withBasePointers<S, R>(
    _ a: [S], _ b: [S], _ body: (UnsafePointer<S>, UnsafePointer<S>) throws(BCEError) -> R
) throws(BCEError) -> R {
    let result: Result<R, BCEError> = a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            do throws(BCEError) { return .success(try body(a.baseAddress!, b.baseAddress!)) } catch {
                return .failure(error)
            }
        }
    }
    return try result.get()
}
