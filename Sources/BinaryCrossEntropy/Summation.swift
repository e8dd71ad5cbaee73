// Deterministic, accurate summation for `.sum` and `.mean`.
//
// The elements are cut into fixed blocks of `blockSize` in index order; each block is summed with
// Neumaier's compensated summation in the wide type, and the block sums are combined pairwise in
// a tree fixed by the element count alone (a binary counter over the blocks, compensated too).
// Because the tree does not depend on how the work is split, a multi-threaded version that sums
// blocks in parallel and combines them with the same tree gives bit-identical results.
//
// Error: each block sum is within about 2u of the exact block sum (u the wide type's unit
// roundoff) relative to the sum of magnitudes, and the tree adds O(u * log2(n / blockSize) * u)
// more, so the error does not grow with n the way naive summation's n * u does. For the losses
// (non-negative terms when targets are in [0, 1] and weights are non-negative) the relative error
// of the sum is about 2u: 2^-52 for Double and 2^-63 for Float80, far below the element type's ULP.

/// A sum carried as a value plus the accumulated rounding error of forming it (Neumaier).
package struct CompensatedSum<Value: FloatingPoint> {
    package var sum: Value = 0
    package var compensation: Value = 0

    package init() {}

    @inline(__always)
    package mutating func add(_ x: Value) {
        let t = sum + x
        if sum.magnitude >= x.magnitude {
            compensation += (sum - t) + x
        } else {
            compensation += (x - t) + sum
        }
        sum = t
    }

    mutating func add(_ other: CompensatedSum) {
        add(other.sum)
        compensation += other.compensation
    }

    /// The compensated total; an infinite or NaN running sum is returned as is (its compensation
    /// terms are meaningless, `inf - inf`).
    package var value: Value { sum.isFinite ? sum + compensation : sum }
}

/// Sums a stream of values in fixed blocks and combines the block sums pairwise.
package struct BlockedSummation<Value: FloatingPoint> {
    /// Elements per block. Part of the result's definition: changing it changes low-order bits.
    /// Also the unit of work shared among threads (``BlockPartition``): 1024 elements (a few
    /// microseconds each) let two threads split a 10,000-element call evenly.
    package static var blockSize: Int { 1024 }

    private var block = CompensatedSum<Value>()
    private var inBlock = 0
    /// The binary counter of whole trees: bit h of `blocks` is set when `pending[h]` holds a tree
    /// of height h (2^h block sums); heights beyond 63 cannot occur (2^64 blocks). Kept inline, so
    /// that a sum allocates nothing.
    private var blocks: UInt64 = 0
    private var pending = Inline64(repeating: CompensatedSum<Value>())

    package init() {}

    @inline(__always)
    package mutating func add(_ x: Value) {
        block.add(x)
        inBlock += 1
        if inBlock == Self.blockSize { closeBlock() }
    }

    private mutating func closeBlock() {
        add(blockSum: block)
        block = CompensatedSum()
        inBlock = 0
    }

    /// Adds the sum of the next whole block (or of the final partial block). This is the seam
    /// for a parallel version: workers sum blocks independently with ``CompensatedSum``, and the
    /// block sums are fed here in index order, giving the same bits as the serial `add(_:)`.
    package mutating func add(blockSum: CompensatedSum<Value>) {
        var node = blockSum
        var height = 0
        while blocks & (1 << UInt64(height)) != 0 {   // an earlier tree of the same height: merge
            var merged = pending[height]
            merged.add(node)
            node = merged
            height += 1
        }
        pending[height] = node
        blocks &+= 1
    }

    /// The total: the last partial block, then the pending trees from the smallest up.
    consuming package func total() -> Value {
        if inBlock > 0 { closeBlock() }
        var result: CompensatedSum<Value>?
        for height in 0 ..< 64 where blocks & (1 << UInt64(height)) != 0 {
            if let later = result {
                var merged = pending[height]
                merged.add(later)
                result = merged
            } else {
                result = pending[height]
            }
        }
        return result?.value ?? 0
    }
}
