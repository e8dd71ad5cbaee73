internal import BCESIMDKernels

// The vectorised forward passes of both losses for Double without weight or pos_weight: eight
// elements at a time as double-double values (DoubleDoubleMath.swift), each term's relative error
// near 2^-55, so the loss rounded once stays within 1 ULP of the exact value (the bound promised
// is 2). A group whose lanes are not all in the fast domain runs the scalar path (Float80 on
// x86_64), element by element, with its range checks in index order.

/// A Double loss whose terms are evaluated eight at a time as `hi + lo`.
protocol DoubleDoubleLoss: BlockLossEvaluator where Scalar == Double {
    /// The terms of elements `i ..< i + 8`.
    func terms(at i: Int) throws(BCEError) -> DoubleDouble
    /// The scalar path's term of element `i`, with its range checks.
    func exactTerm(_ i: Int) throws(BCEError) -> Double.WideScalar
    /// Evaluates and accumulates the groups of eight from `i` with the C kernels (the same
    /// arithmetic as ``terms(at:)``) while they are in the fast domain; returns the index of the
    /// first group not evaluated (`i` itself when the C kernels are not in use).
    func acceleratedSum(
        from i: Int, to end: Int, _ sum: inout DDLanes, _ compensation: inout DDLanes) -> Int
    /// As ``acceleratedSum(from:to:_:_:)``, storing each term rounded once to `output`.
    func acceleratedStore(from i: Int, to end: Int, into output: UnsafeMutablePointer<Double>) -> Int
}

extension DoubleDoubleLoss {
    @inline(__always)
    func exactTerms(at i: Int) throws(BCEError) -> DoubleDouble {
        var value = DoubleDouble(hi: .zero, lo: .zero)
        for lane in 0 ..< DDLanes.scalarCount {
            let term = try exactTerm(i + lane)
            value.hi[lane] = Double(term)
            value.lo[lane] = term.isFinite ? Double(term - Double.WideScalar(value.hi[lane])) : 0
        }
        return value
    }

    func sum(_ range: Range<Int>) throws(BCEError) -> CompensatedSum<Double.WideScalar> {
        var sum = DDLanes.zero, compensation = DDLanes.zero
        @inline(__always) func add(_ v: DoubleDouble) {
            let t = DD.twoSum(sum, v.hi)
            compensation += t.lo + v.lo
            sum = t.hi
        }
        var i = range.lowerBound
        while i + DDLanes.scalarCount <= range.upperBound {
            i = acceleratedSum(from: i, to: range.upperBound, &sum, &compensation)
            guard i + DDLanes.scalarCount <= range.upperBound else { break }
            add(try terms(at: i))
            i += DDLanes.scalarCount
        }
        var total = CompensatedSum<Double.WideScalar>()
        for lane in 0 ..< DDLanes.scalarCount {
            total.add(Double.WideScalar(sum[lane]))
            total.compensation += Double.WideScalar(compensation[lane])
        }
        for j in i ..< range.upperBound { total.add(try exactTerm(j)) }
        return total
    }

    func store(_ range: Range<Int>, into output: UnsafeMutablePointer<Double>) throws(BCEError) {
        var i = range.lowerBound
        while i + DDLanes.scalarCount <= range.upperBound {
            i = acceleratedStore(from: i, to: range.upperBound, into: output)
            guard i + DDLanes.scalarCount <= range.upperBound else { break }
            let v = try terms(at: i)
            UnsafeMutableRawPointer(output + i).storeBytes(of: v.hi + v.lo, as: DDLanes.self)
            i += DDLanes.scalarCount
        }
        for j in i ..< range.upperBound { output[j] = Double(bceRounding: try exactTerm(j)) }
    }
}

@inline(__always)
private func load(_ pointer: UnsafePointer<Double>) -> DDLanes {
    UnsafeRawPointer(pointer).loadUnaligned(as: DDLanes.self)
}

/// BCELoss without weight, for Double: `(y - 1) * log1p(-x) - y * log(x)` in double-double.
struct DoubleDoubleBCELoss: DoubleDoubleLoss {
    let input: UnsafePointer<Double>, target: UnsafePointer<Double>, count: Int

    @inline(__always)
    func terms(at i: Int) throws(BCEError) -> DoubleDouble {
        let x = load(input + i), y = load(target + i)
        // x ≥ 2^-140: log(x) > -100 (no clamp); x < 1: log1p(-x) > -37.5.
        let fast = (x .>= 0x1p-140) .& (x .< 1) .& (y .>= 0) .& (y .<= 1)
        guard all(fast) else { return try exactTerms(at: i) }
        // 1 - x = u + error exactly; log1p(-x) = log(u) + log1p(δ), δ = error / u, |δ| ≤ 2^-53.
        // Below 2^-26, where δ is not small against the result: -x - x²/2 - x³/3 (to 2^-78).
        let u = 1 - x
        let delta = ((1 - u) - x) / u
        let correction = delta - 0.5 * delta * delta
        let small = x .< 0x1p-26
        let square = x * x
        let seriesLo = -(0.5 * square + square * x * (1.0 / 3))
        let one = y .== 1
        if all(one .| (y .== 0)) {
            // Hard labels: -log(x) where y = 1, -log1p(-x) where y = 0 (the formula's terms).
            // x where y = 1, u where y = 0, exactly (each product is by 0 or 1).
            let l = DD.log(x * y + u * (1 - y))
            var value = DoubleDouble(hi: -l.hi, lo: -(l.lo + correction * (1 - y)))
            let series = small .& .!one
            if any(series) {
                value.hi.replace(with: x, where: series)
                value.lo.replace(with: -seriesLo, where: series)
            }
            return value
        }
        // Soft labels: below 2^-52 the product with log1p(-x) ≈ -x would lose bits; scalar path.
        guard all(x .>= 0x1p-52) else { return try exactTerms(at: i) }
        let logX = DD.log(x)
        var log1mX = DD.log(u)
        var log1mXLo = log1mX.lo + correction
        if any(small) {
            log1mX.hi.replace(with: -x, where: small)
            log1mXLo.replace(with: seriesLo, where: small)
        }
        let yMinusOne = DD.fastTwoSum(DDLanes(repeating: -1), y)
        let p1 = DD.twoProduct(yMinusOne.hi, log1mX.hi)
        let e1 = p1.lo + (yMinusOne.hi * log1mXLo + yMinusOne.lo * log1mX.hi)
        let p2 = DD.twoProduct(y, logX.hi)
        let e2 = p2.lo + y * logX.lo
        let s = DD.twoSum(p1.hi, -p2.hi)   // both terms ≥ 0: no cancellation
        return DoubleDouble(hi: s.hi, lo: s.lo + (e1 - e2))
    }

    @inline(__always)
    func exactTerm(_ i: Int) throws(BCEError) -> Double.WideScalar {
        try checkProbabilities(index: i, input: input[i], target: target[i])
        return BCEFormulas.loss(input: input[i].bceWide, target: target[i].bceWide)
    }
    @inline(__always)
    func acceleratedSum(from i: Int, to end: Int, _ sum: inout DDLanes, _ compensation: inout DDLanes) -> Int {
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
    func terms(at i: Int) throws(BCEError) -> DoubleDouble {
        let x = load(input + i), y = load(target + i)
        let a = DD.magnitude(x)
        let fast = (a .<= 700) .& (y .>= 0) .& (y .<= 1)
        guard all(fast) else { return try exactTerms(at: i) }
        let tail = DD.log1p(unit: DD.exp(negated: a))
        // c = 1 - y (as hi + lo) where x ≥ 0, y where x < 0; blended by masks on x's sign bit
        // (at x = ±0, a = 0 and either c gives 0).
        let negative = 0 &- (DD.bits(x) &>> 63)   // all ones where x < 0
        let oneMinusY = DD.fastTwoSum(DDLanes(repeating: 1), -y)
        let c = DD.double((DD.bits(oneMinusY.hi) & ~negative) | (DD.bits(y) & negative))
        let cLo = DD.double(DD.bits(oneMinusY.lo) & ~negative)
        // c a is exact when every c is 0 or 1 (hard labels); otherwise Dekker's product.
        let q = all((c .== 0) .| (c .== 1)) ? DoubleDouble(hi: c * a, lo: .zero) : DD.twoProduct(c, a)
        let s = DD.twoSum(q.hi, tail.hi)
        return DoubleDouble(hi: s.hi, lo: s.lo + ((q.lo + cLo * a) + tail.lo))
    }

    @inline(__always)
    func exactTerm(_ i: Int) throws(BCEError) -> Double.WideScalar {
        BCEWithLogitsFormulas.loss(
            input: input[i].bceWide, target: target[i].bceWide, posWeight: 1, hasPosWeight: false)
    }
    @inline(__always)
    func acceleratedSum(from i: Int, to end: Int, _ sum: inout DDLanes, _ compensation: inout DDLanes) -> Int {
        guard BCEVectorKernels.useC else { return i }
        return withLanePointers(&sum, &compensation) { s, c in bce_logits_f64_sum(input, target, i, end, s, c) }
    }

    @inline(__always)
    func acceleratedStore(from i: Int, to end: Int, into output: UnsafeMutablePointer<Double>) -> Int {
        guard BCEVectorKernels.useC else { return i }
        return bce_logits_f64_store(input, target, i, end, output)
    }
}
