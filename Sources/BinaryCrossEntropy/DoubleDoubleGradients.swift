internal import BCESIMDKernels

// The vectorised gradients of both losses for Double without weight or pos_weight: eight elements
// at a time in double-double lanes (DoubleDoubleMath.swift), each gradient's relative error near
// 2^-55 before it is rounded once, as the scalar path's Float80 value is. Groups with a lane
// outside the fast domain run the scalar formulas element by element.
//
// The fast domain keeps every value a nonzero normal number, so no signed zero or underflow can
// be lost in a low part: BCELoss x in [2^-26, 1 - 2^-26], x ≠ y, x ≠ 1/2; BCEWithLogitsLoss hard
// labels, 0 < |x| ≤ 700; grad_output 2^-400 ≤ |g| ≤ 2^400 (Dekker's product needs |g| < 2^995).

extension DD {
    /// `a / b`, relative error about 2^-103, for normal nonzero `b.hi` (long division with one
    /// division: a first quotient digit from the reciprocal of `b.hi`, within 2^-52; the remainder,
    /// exactly; a second digit). Division is the slowest vector operation, so one, not two.
    @inline(__always)
    static func divide(_ a: DoubleDouble, _ b: DoubleDouble) -> DoubleDouble {
        let inverse = 1 / b.hi
        let q1 = a.hi * inverse
        let p = twoProduct(q1, b.hi)
        let r = (((a.hi - p.hi) - p.lo) + a.lo) - q1 * b.lo   // a.hi - p.hi is exact (Sterbenz)
        return fastTwoSum(q1, r * inverse)
    }

    /// `1 / d` as hi + lo (relative error about 2^-104), for a positive normal `d`.
    @inline(__always)
    static func reciprocal(_ d: Double) -> DoubleDouble {
        let dv = DDLanes(repeating: d)
        let hi = 1 / dv
        let e = twoProduct(hi, dv)
        return DoubleDouble(hi: hi, lo: ((1 - e.hi) - e.lo) / dv)
    }

    /// `a * b` for double-doubles.
    @inline(__always)
    static func multiply(_ a: DoubleDouble, _ b: DoubleDouble) -> DoubleDouble {
        let p = twoProduct(a.hi, b.hi)
        return fastTwoSum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi))
    }

    /// `a * b` for a double-double `a` and a Double `b`.
    @inline(__always)
    static func multiply(_ a: DoubleDouble, _ b: DDLanes) -> DoubleDouble {
        let p = twoProduct(a.hi, b)
        return fastTwoSum(p.hi, p.lo + a.lo * b)
    }

    /// `-v` by flipping the sign bits (SIMD's prefix minus is `0 - v`).
    @inline(__always)
    static func negate(_ v: DDLanes) -> DDLanes { double(bits(v) ^ 0x8000_0000_0000_0000) }

    /// `a` where `mask`, else `b`, by bit masks.
    @inline(__always)
    static func select(_ mask: SIMDMask<SIMD8<Int64>>, _ a: DDLanes, _ b: DDLanes) -> DDLanes {
        let m = unsafeBitCast(mask, to: DDBits.self)
        return double((bits(a) & m) | (bits(b) & ~m))
    }
}

/// The double-double gradient factors, scaled by grad_output and divided by the reduction's
/// divisor, rounded once.
enum DoubleDoubleGradientLanes {
    /// BCELoss: `(x - y) / ((1 - x) x)` (the epsilon clamp is never reached in the domain) and
    /// `-logit(x) = -log(x / (1 - x))`, the quotient carried as hi + lo (so x near 1/2, where
    /// log(x) and log(1 - x) cancel, keeps its relative accuracy); nil outside the fast domain.
    @inline(__always)
    static func bce(_ x: DDLanes, _ y: DDLanes) -> (DoubleDouble, DoubleDouble)? {
        let fast = (x .>= 0x1p-26) .& (x .<= 1 - 0x1p-26) .& (y .>= 0) .& (y .<= 1) .& (x .!= y) .& (x .!= 0.5)
        guard all(fast) else { return nil }
        let difference = DD.twoSum(x, DD.negate(y))                     // x - y, exactly
        let oneMinusX = DD.fastTwoSum(DDLanes(repeating: 1), DD.negate(x))   // 1 - x, exactly
        let product = DD.twoProduct(oneMinusX.hi, x)
        let denominator = DD.fastTwoSum(product.hi, product.lo + oneMinusX.lo * x)
        let inputFactor = DD.divide(difference, denominator)
        let odds = DD.divide(DoubleDouble(hi: x, lo: .zero), oneMinusX)
        // log(odds.hi + odds.lo) = log(odds.hi) + log1p(δ), δ = odds.lo / odds.hi ≤ 2^-53.
        let l = DD.log(odds.hi)
        let logit = DD.fastTwoSum(l.hi, l.lo + odds.lo / odds.hi)
        return (inputFactor, DoubleDouble(hi: DD.negate(logit.hi), lo: DD.negate(logit.lo)))
    }

    /// BCEWithLogitsLoss without pos_weight, hard labels: `sigmoid(x)` (y = 0) or `-sigmoid(-x)`
    /// (y = 1), as `1 / (1 + e)` or `e / (1 + e)` with `e = exp(-|x|)`, and `-x`; nil outside the
    /// fast domain.
    @inline(__always)
    static func logits(_ x: DDLanes, _ y: DDLanes) -> (DoubleDouble, DoubleDouble)? {
        let a = DD.magnitude(x)
        let one = y .== 1
        let fast = (a .<= 700) .& (a .> 0) .& (one .| (y .== 0))
        guard all(fast) else { return nil }
        let e = DD.exp(negated: a)
        let u = DD.fastTwoSum(DDLanes(repeating: 1), e.hi)
        let denominator = DD.fastTwoSum(u.hi, u.lo + e.lo)
        // The larger sigmoid value (numerator 1) where x ≥ 0 and y = 0, or x < 0 and y = 1.
        let big = (x .>= 0) .^ one
        let numerator = DoubleDouble(
            hi: DD.select(big, DDLanes(repeating: 1), e.hi), lo: DD.select(big, .zero, e.lo))
        let s = DD.divide(numerator, denominator)
        let inputFactor = DoubleDouble(hi: DD.select(one, DD.negate(s.hi), s.hi), lo: DD.select(one, DD.negate(s.lo), s.lo))
        return (inputFactor, DoubleDouble(hi: DD.negate(x), lo: .zero))
    }

    /// `factor * g / divisor`, rounded once; `inverse` is ``DD/reciprocal(_:)`` of the divisor,
    /// nil for 1.
    @inline(__always)
    static func scaled(_ factor: DoubleDouble, _ g: DDLanes, _ inverse: DoubleDouble?) -> DDLanes {
        let product = DD.multiply(factor, g)
        let value = inverse.map { DD.multiply(product, $0) } ?? product
        return value.hi + value.lo
    }
}

/// The double-double gradient groups for Double (see ``GradientGroups``).
func doubleGradientGroups(withLogits: Bool, divisor: Double) -> GradientGroups {
    let inverse = divisor == 1 ? nil : DD.reciprocal(divisor)   // once per call, not per block
    return { i, end, x, y, g, gStride, weights, dx, dy in
        let (x, y, g) = (x.assumingMemoryBound(to: Double.self), y.assumingMemoryBound(to: Double.self),
                         g.assumingMemoryBound(to: Double.self))
        let (dx, dy) = (dx.assumingMemoryBound(to: Double.self), dy.assumingMemoryBound(to: Double.self))
        if BCEVectorKernels.useC {
            // The same arithmetic in the C kernels (AVX2, AVX-512).
            if var weights {
                return withLogits
                    ? bce_logits_gradients_f64_weighted(x, y, g, gStride, &weights, divisor, i, end, dx, dy)
                    : bce_gradients_f64_weighted(x, y, g, gStride, &weights, divisor, i, end, dx, dy)
            }
            return withLogits
                ? bce_logits_gradients_f64(x, y, g, gStride, divisor, i, end, dx, dy)
                : bce_gradients_f64(x, y, g, gStride, divisor, i, end, dx, dy)
        }
        if weights != nil { return i }   // weighted: the C kernels only
        @inline(__always) func load(_ p: UnsafePointer<Double>) -> DDLanes {
            UnsafeRawPointer(p).loadUnaligned(as: DDLanes.self)
        }
        var i = i
        while end - i >= 8 {
            let scale = gStride == 0 ? DDLanes(repeating: g[0]) : load(g + i)
            let size = DD.magnitude(scale)
            guard all((size .>= 0x1p-400) .& (size .<= 0x1p400)) else { break }
            let xs = load(x + i), ys = load(y + i)
            guard let (inputFactor, targetFactor) = withLogits
                ? DoubleDoubleGradientLanes.logits(xs, ys) : DoubleDoubleGradientLanes.bce(xs, ys) else { break }
            UnsafeMutableRawPointer(dx + i).storeBytes(
                of: DoubleDoubleGradientLanes.scaled(inputFactor, scale, inverse), as: DDLanes.self)
            UnsafeMutableRawPointer(dy + i).storeBytes(
                of: DoubleDoubleGradientLanes.scaled(targetFactor, scale, inverse), as: DDLanes.self)
            i += 8
        }
        return i
    }
}
