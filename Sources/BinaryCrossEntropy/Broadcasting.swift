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
struct BroadcastRow {
    /// Flat index of the run's first output element; the run is `outputStart ..< outputStart + count`.
    var outputStart: Int
    var count: Int
    /// Flat index into each operand of the run's first element.
    var operandStart: (Int, Int, Int)
    /// Step of each operand per output element inside the run (0 when it is broadcast).
    var operandStride: (Int, Int, Int)
}

/// The iteration of an output shape against three operands that broadcast to it, as contiguous
/// output rows. Dimensions of extent 1 are dropped and adjacent dimensions that every operand
/// steps through uniformly are merged, so the common cases are one long row (same shape or a
/// 0-d operand) or rows of the last dimension (a `(C,)` weight).
struct BroadcastPlan {
    private var extents: [Int] = []
    private var strides: [[Int]] = [[], [], []]   // per operand, per merged dimension

    /// - Precondition (checked by the callers with ``checkBroadcast(_:to:argument:)``): each
    ///   operand shape broadcasts to `output`.
    init(output: [Int], operands: ([Int], [Int], [Int])) {
        let operandShapes = [operands.0, operands.1, operands.2]
        let rank = output.count
        for dim in 0..<rank where output[dim] != 1 {
            var dimStrides = [0, 0, 0]
            for (index, shape) in operandShapes.enumerated() {
                let operandDim = dim - (rank - shape.count)
                guard operandDim >= 0, shape[operandDim] != 1 else { continue }
                dimStrides[index] = shape[(operandDim + 1)...].reduce(1, *)
            }
            if let lastExtent = extents.last,
               (0..<3).allSatisfy({ strides[$0].last! == dimStrides[$0] * output[dim] }) {
                // Merge with the previous dimension: every operand walks both as one.
                extents[extents.count - 1] = lastExtent * output[dim]
                for index in 0..<3 { strides[index][strides[index].count - 1] = dimStrides[index] }
            } else {
                extents.append(output[dim])
                for index in 0..<3 { strides[index].append(dimStrides[index]) }
            }
        }
        if extents.isEmpty {   // 0-d output or all extents 1: one element
            extents = [1]
            strides = [[0], [0], [0]]
        }
    }

    /// Writes operand `operand`'s value (from `source`, its scalars) at each output position of
    /// `range` to `destination[0 ..< range.count]`: the broadcast expanded for one block.
    func gather<S>(
        operand: Int, _ range: Range<Int>, from source: UnsafePointer<S>, into destination: UnsafeMutablePointer<S>
    ) {
        if extents.contains(0) { return }
        let inner = extents.count - 1
        let rowLength = extents[inner]
        let operandStrides = strides[operand]
        let innerStride = operandStrides[inner]
        var i = range.lowerBound
        while i < range.upperBound {
            let column = i % rowLength
            var row = i / rowLength
            var offset = column * innerStride
            var dim = inner - 1
            while dim >= 0 {   // the row's position in the outer dimensions, innermost first
                offset += (row % extents[dim]) * operandStrides[dim]
                row /= extents[dim]
                dim -= 1
            }
            let n = min(rowLength - column, range.upperBound - i)
            let out = destination + (i - range.lowerBound)
            if innerStride == 0 {
                out.update(repeating: source[offset], count: n)
            } else {
                for j in 0 ..< n { out[j] = source[offset + j * innerStride] }
            }
            i += n
        }
    }

    /// Calls `body` for each row in ascending output order; stops early when it returns false.
    func forEachRow(_ body: (BroadcastRow) -> Bool) {
        if extents.contains(0) { return }
        let inner = extents.count - 1
        let rowLength = extents[inner]
        var row = BroadcastRow(
            outputStart: 0, count: rowLength, operandStart: (0, 0, 0),
            operandStride: (strides[0][inner], strides[1][inner], strides[2][inner]))
        var counters = [Int](repeating: 0, count: inner)
        while true {
            if !body(row) { return }
            row.outputStart += rowLength
            // Odometer over the outer dimensions, innermost outer dimension fastest.
            var dim = inner - 1
            while dim >= 0 {
                counters[dim] += 1
                row.operandStart.0 += strides[0][dim]
                row.operandStart.1 += strides[1][dim]
                row.operandStart.2 += strides[2][dim]
                if counters[dim] < extents[dim] { break }
                row.operandStart.0 -= strides[0][dim] * extents[dim]
                row.operandStart.1 -= strides[1][dim] * extents[dim]
                row.operandStart.2 -= strides[2][dim] * extents[dim]
                counters[dim] = 0
                dim -= 1
            }
            if dim < 0 { return }
        }
    }
}
