// Trailing ("NumPy") broadcasting of the per-element operands (weight, pos_weight, grad_output)
// against the output shape, done by index arithmetic: nothing is expanded in memory.

/// Throws unless `shape` broadcasts to `target` without enlarging it: aligned from the last
/// dimension, each dimension of `shape` is 1 or equal to `target`'s, and `shape` has no more
/// dimensions than `target` (PyTorch's in-place `loss.mul_(weight)` rejects even a leading 1).
func checkBroadcast(_ shape: [Int], to target: [Int], argument: String) throws(BCEError) {
    guard shape.count <= target.count else {
        throw .notBroadcastable(argument: argument, shape: shape, to: target)
    }
    for k in 0..<shape.count {
        let extent = shape[shape.count - 1 - k]
        if extent != 1 && extent != target[target.count - 1 - k] {
            throw .notBroadcastable(argument: argument, shape: shape, to: target)
        }
    }
}

/// One contiguous run of output elements and where the broadcast operands start and step in it.
package struct BroadcastRow {
    /// Flat index of the run's first output element; the run is `outputStart ..< outputStart + count`.
    package var outputStart: Int
    package var count: Int
    /// Flat index into each operand of the run's first element.
    package var operandStart: (Int, Int, Int)
    /// Step of each operand per output element inside the run (0 when it is broadcast).
    package var operandStride: (Int, Int, Int)
}

/// The iteration of an output shape against three operands that broadcast to it, as contiguous
/// output rows. Dimensions of extent 1 are dropped and adjacent dimensions that every operand
/// steps through uniformly are merged, so the common cases are one long row (same shape or a
/// 0-d operand) or rows of the last dimension (a `(C,)` weight). Held inline (no allocation): a
/// shape whose element count fits in `Int` has at most 63 dimensions other than 0 and 1.
package struct BroadcastPlan {
    private var rank = 0
    private var empty = false
    private var extents = Inline64(repeating: 0)
    private var strides = (Inline64(repeating: 0), Inline64(repeating: 0), Inline64(repeating: 0))
    /// The last dimension's extent and each operand's stride in it, and whether the operand is
    /// broadcast along every other dimension (a per-class `(C,)` weight over `(N, C)`): read by
    /// ``gather(operand:_:from:into:)`` without copying the inline arrays.
    private var innerExtent = 1
    private var innerStrides = (0, 0, 0)
    private var onlyInnerVaries = (true, true, true)

    /// - Precondition (checked by the callers with ``checkBroadcast(_:to:argument:)``): each
    ///   operand shape broadcasts to `output`, and `output`'s element count fits in `Int`.
    package init(output: [Int], operands: ([Int], [Int], [Int])) {
        if output.contains(0) {
            empty = true
            return
        }
        let outputRank = output.count
        /// The stride of `shape`'s dimension aligned with output dimension `dim` (0 if broadcast).
        func stride(_ shape: [Int], _ dim: Int) -> Int {
            let operandDim = dim - (outputRank - shape.count)
            guard operandDim >= 0, shape[operandDim] != 1 else { return 0 }
            var product = 1
            for extent in shape[(operandDim + 1)...] { product *= extent }
            return product
        }
        for dim in 0..<outputRank where output[dim] != 1 {
            let dimStrides = (stride(operands.0, dim), stride(operands.1, dim), stride(operands.2, dim))
            if rank > 0,
               strides.0[rank - 1] == dimStrides.0 * output[dim], strides.1[rank - 1] == dimStrides.1 * output[dim],
               strides.2[rank - 1] == dimStrides.2 * output[dim] {
                // Merge with the previous dimension: every operand walks both as one.
                extents[rank - 1] *= output[dim]
                (strides.0[rank - 1], strides.1[rank - 1], strides.2[rank - 1]) = dimStrides
            } else {
                extents[rank] = output[dim]
                (strides.0[rank], strides.1[rank], strides.2[rank]) = dimStrides
                rank += 1
            }
        }
        if rank == 0 {   // 0-d output or all extents 1: one element
            extents[0] = 1
            rank = 1
        }
        innerExtent = extents[rank - 1]
        innerStrides = (strides.0[rank - 1], strides.1[rank - 1], strides.2[rank - 1])
        for dim in 0 ..< rank - 1 {
            if strides.0[dim] != 0 { onlyInnerVaries.0 = false }
            if strides.1[dim] != 0 { onlyInnerVaries.1 = false }
            if strides.2[dim] != 0 { onlyInnerVaries.2 = false }
        }
    }

    /// Writes operand `operand`'s value (from `source`, its scalars) at each output position of
    /// `range` to `destination[0 ..< range.count]`: the broadcast expanded for one block.
    package func gather<S>(
        operand: Int, _ range: Range<Int>, from source: UnsafePointer<S>, into destination: UnsafeMutablePointer<S>
    ) {
        if empty { return }
        /// The `n` output positions from `i` in one row of the last dimension, whose operand values
        /// start at `source[offset]` and step by `innerStride`.
        @inline(__always) func copyRow(from offset: Int, _ i: Int, _ n: Int, innerStride: Int) {
            let out = destination + (i - range.lowerBound)
            if innerStride == 0 {
                out.update(repeating: source[offset], count: n)
            } else if innerStride == 1 {   // a per-class row: one copy, not an element loop
                out.update(from: source + offset, count: n)
            } else {
                for j in 0 ..< n { out[j] = source[offset + j * innerStride] }
            }
        }
        if operand == 0 ? onlyInnerVaries.0 : operand == 1 ? onlyInnerVaries.1 : onlyInnerVaries.2 {
            // Rows of the last dimension, all alike (a per-class weight): the rows below, without
            // the index arithmetic of the outer dimensions (or the plan's copy).
            let innerStride = operand == 0 ? innerStrides.0 : operand == 1 ? innerStrides.1 : innerStrides.2
            var column = range.lowerBound % innerExtent
            var i = range.lowerBound
            while i < range.upperBound {
                let n = min(innerExtent - column, range.upperBound - i)
                copyRow(from: column * innerStride, i, n, innerStride: innerStride)
                i += n
                column = 0
            }
            return
        }
        var plan = self
        let inner = rank - 1
        let rowLength = plan.extents[inner]
        var operandStrides = operand == 0 ? plan.strides.0 : operand == 1 ? plan.strides.1 : plan.strides.2
        let innerStride = operandStrides[inner]
        var i = range.lowerBound
        while i < range.upperBound {
            let column = i % rowLength
            var row = i / rowLength
            var offset = column * innerStride
            var dim = inner - 1
            while dim >= 0 {   // the row's position in the outer dimensions, innermost first
                let extent = plan.extents[dim]
                offset += (row % extent) * operandStrides[dim]
                row /= extent
                dim -= 1
            }
            let n = min(rowLength - column, range.upperBound - i)
            copyRow(from: offset, i, n, innerStride: innerStride)
            i += n
        }
    }

    /// Calls `body` for each row in ascending output order; stops early when it returns false.
    package func forEachRow(_ body: (BroadcastRow) -> Bool) {
        if empty { return }
        var plan = self
        let inner = rank - 1
        let rowLength = plan.extents[inner]
        var row = BroadcastRow(
            outputStart: 0, count: rowLength, operandStart: (0, 0, 0),
            operandStride: (plan.strides.0[inner], plan.strides.1[inner], plan.strides.2[inner]))
        var counters = Inline64(repeating: 0)
        while true {
            if !body(row) { return }
            row.outputStart += rowLength
            // Odometer over the outer dimensions, innermost outer dimension fastest.
            var dim = inner - 1
            while dim >= 0 {
                counters[dim] += 1
                let (s0, s1, s2) = (plan.strides.0[dim], plan.strides.1[dim], plan.strides.2[dim])
                row.operandStart.0 += s0
                row.operandStart.1 += s1
                row.operandStart.2 += s2
                let extent = plan.extents[dim]
                if counters[dim] < extent { break }
                row.operandStart.0 -= s0 * extent
                row.operandStart.1 -= s1 * extent
                row.operandStart.2 -= s2 * extent
                counters[dim] = 0
                dim -= 1
            }
            if dim < 0 { return }
        }
    }
}
