internal import BCESIMDKernels

// The vectorised forward passes of both losses for Double without weight or pos_weight: the C
// kernels evaluate eight elements at a time as double-double values, each term's relative error
// near 2^-55, so the loss rounded once stays within 1 ULP of the exact value (the bound promised
// is 2). A group whose lanes are not all in the fast domain runs the scalar path here (Float80 on
// x86_64), element by element, with its range checks in index order.

/// A Double loss whose terms the C kernels evaluate eight at a time as `hi + lo`.
protocol DoubleDoubleLoss: BlockLossEvaluator where Scalar == Double {
    /// The scalar path's term of element `i`, with its range checks.
    func exactTerm(_ i: Int) throws(BCEError) -> Double.WideScalar
    /// Evaluates and accumulates the groups of eight from `i` with the C kernels while they are in
    /// the fast domain; returns the index of the first group not evaluated (`i` itself when the C
    /// kernels are not in use).
    func acceleratedSum(
        from i: Int, to end: Int, _ sum: inout Lanes, _ compensation: inout Lanes) -> Int
    /// As ``acceleratedSum(from:to:_:_:)``, storing each term rounded once to `output`.
    func acceleratedStore(from i: Int, to end: Int, into output: UnsafeMutablePointer<Double>) -> Int
}

extension DoubleDoubleLoss {
    func sum(_ range: Range<Int>) throws(BCEError) -> CompensatedSum<Double.WideScalar> {
        var sum = Lanes.zero, compensation = Lanes.zero
        /// A group the kernels declined, each term split into `hi + lo` and added as they add theirs.
        @inline(__always) func add(_ i: Int) throws(BCEError) {
            var hi = Lanes.zero, lo = Lanes.zero
            for lane in 0 ..< Lanes.scalarCount {
                let term = try exactTerm(i + lane)
                hi[lane] = Double(term)
                lo[lane] = term.isFinite ? Double(term - Double.WideScalar(hi[lane])) : 0
            }
            // Knuth's TwoSum per lane.
            let t = sum + hi
            let bv = t - sum
            compensation += ((sum - (t - bv)) + (hi - bv)) + lo
            sum = t
        }
        var i = range.lowerBound
        while i + Lanes.scalarCount <= range.upperBound {
            i = acceleratedSum(from: i, to: range.upperBound, &sum, &compensation)
            guard i + Lanes.scalarCount <= range.upperBound else { break }
            try add(i)
            i += Lanes.scalarCount
        }
        var total = CompensatedSum<Double.WideScalar>()
        for lane in 0 ..< Lanes.scalarCount {
            total.add(Double.WideScalar(sum[lane]))
            total.compensation += Double.WideScalar(compensation[lane])
        }
        for j in i ..< range.upperBound { total.add(try exactTerm(j)) }
        return total
    }

    func store(_ range: Range<Int>, into output: UnsafeMutablePointer<Double>) throws(BCEError) {
        var i = range.lowerBound
        while i + Lanes.scalarCount <= range.upperBound {
            i = acceleratedStore(from: i, to: range.upperBound, into: output)
            guard i + Lanes.scalarCount <= range.upperBound else { break }
            for j in i ..< i + Lanes.scalarCount { output[j] = Double(bceRounding: try exactTerm(j)) }
            i += Lanes.scalarCount
        }
        for j in i ..< range.upperBound { output[j] = Double(bceRounding: try exactTerm(j)) }
    }
}

/// BCELoss without weight, for Double: `(y - 1) * log1p(-x) - y * log(x)` in double-double.
struct DoubleDoubleBCELoss: DoubleDoubleLoss {
    let input: UnsafePointer<Double>, target: UnsafePointer<Double>, count: Int

    @inline(__always)
    func exactTerm(_ i: Int) throws(BCEError) -> Double.WideScalar {
        try checkProbabilities(index: i, input: input[i], target: target[i])
        return BCEFormulas.loss(input: input[i].bceWide, target: target[i].bceWide)
    }

    @inline(__always)
    func acceleratedSum(from i: Int, to end: Int, _ sum: inout Lanes, _ compensation: inout Lanes) -> Int {
        guard BCEVectorKernels.useC else { return i }
        return withLanePointers(&sum, &compensation) { s, c in bce_f64_sum(input, target, i, end, s, c) }
    }

    @inline(__always)
    func acceleratedStore(from i: Int, to end: Int, into output: UnsafeMutablePointer<Double>) -> Int {
        guard BCEVectorKernels.useC else { return i }
        return bce_f64_store(input, target, i, end, output)
    }
}

/// BCEWithLogitsLoss without weight or pos_weight, for Double: with a = |x| and c = 1 - y for
/// x > 0, y otherwise, the loss `(1 - y) softplus(x) + y softplus(-x)` is `c a + log1p(exp(-a))`,
/// two non-negative terms, in double-double.
struct DoubleDoubleBCEWithLogitsLoss: DoubleDoubleLoss {
    let input: UnsafePointer<Double>, target: UnsafePointer<Double>, count: Int

    @inline(__always)
    func exactTerm(_ i: Int) throws(BCEError) -> Double.WideScalar {
        BCEWithLogitsFormulas.loss(
            input: input[i].bceWide, target: target[i].bceWide, posWeight: 1, hasPosWeight: false)
    }

    @inline(__always)
    func acceleratedSum(from i: Int, to end: Int, _ sum: inout Lanes, _ compensation: inout Lanes) -> Int {
        guard BCEVectorKernels.useC else { return i }
        return withLanePointers(&sum, &compensation) { s, c in bce_logits_f64_sum(input, target, i, end, s, c) }
    }

    @inline(__always)
    func acceleratedStore(from i: Int, to end: Int, into output: UnsafeMutablePointer<Double>) -> Int {
        guard BCEVectorKernels.useC else { return i }
        return bce_logits_f64_store(input, target, i, end, output)
    }
}
