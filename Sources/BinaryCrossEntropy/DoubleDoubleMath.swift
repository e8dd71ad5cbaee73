// Double-double arithmetic and a double-double log and exp on eight Double lanes, for the fast
// paths of the Double losses, which must be within 2 ULP of the exact value: each elementwise
// loss is formed as an unevaluated sum hi + lo with a relative error near 2^-56 and rounded once.
//
// Without FMA (baseline x86-64 has none, and addingProduct would be a library call), exact
// products use Veltkamp's split and Dekker's product. The algorithms: Dekker (1971), Knuth's
// TwoSum; the log is fdlibm's (e_log.c) with its leading terms carried exactly; the exp is a Taylor
// series of degree 14 after Cody-Waite reduction, its quadratic term carried exactly.

typealias DDLanes = SIMD8<Double>
typealias DDBits = SIMD8<UInt64>

/// A vector of unevaluated sums `hi + lo`.
struct DoubleDouble {
    var hi: DDLanes
    var lo: DDLanes
}

enum DD {
    @inline(__always) static func bits(_ v: DDLanes) -> DDBits { unsafeBitCast(v, to: DDBits.self) }
    @inline(__always) static func double(_ b: DDBits) -> DDLanes { unsafeBitCast(b, to: DDLanes.self) }
    @inline(__always) static func magnitude(_ v: DDLanes) -> DDLanes { double(bits(v) & 0x7FFF_FFFF_FFFF_FFFF) }

    /// `a + b` exactly as `s + e` (Knuth).
    @inline(__always)
    static func twoSum(_ a: DDLanes, _ b: DDLanes) -> DoubleDouble {
        let s = a + b
        let bb = s - a
        return DoubleDouble(hi: s, lo: (a - (s - bb)) + (b - bb))
    }

    /// `a + b` exactly as `s + e`, when |a| ≥ |b| or a = 0 (Dekker).
    @inline(__always)
    static func fastTwoSum(_ a: DDLanes, _ b: DDLanes) -> DoubleDouble {
        let s = a + b
        return DoubleDouble(hi: s, lo: b - (s - a))
    }

    /// Veltkamp's split: `a = hi + lo`, each with at most 26 significant bits (|a| < 2^995).
    @inline(__always)
    static func split(_ a: DDLanes) -> (hi: DDLanes, lo: DDLanes) {
        let c = 134_217_729 * a   // 2^27 + 1
        let hi = c - (c - a)
        return (hi, a - hi)
    }

    /// `a * b` exactly as `p + e` (Dekker), without FMA.
    @inline(__always)
    static func twoProduct(_ a: DDLanes, _ b: DDLanes) -> DoubleDouble {
        let p = a * b
        let (ah, al) = split(a), (bh, bl) = split(b)
        return DoubleDouble(hi: p, lo: ((ah * bh - p) + ah * bl + al * bh) + al * bl)
    }

    /// `log(v)` for positive normal finite `v`, relative error below 2^-55.
    ///
    /// fdlibm: v = 2^k (1 + f), log(v) = k ln2 + f - f²/2 + s (f²/2 + R(s²)), s = f / (2 + f).
    /// k ln2Hi, f and f²/2 (Dekker's square) are exact and summed exactly; only the last term,
    /// at most 5% of log(1 + f), is rounded (with 3 roundings: 2^-55.6 of the result).
    @inline(__always)
    static func log(_ v: DDLanes) -> DoubleDouble {
        let b = bits(v)
        let t = b &- 0x3FE6_A09E_667F_3BCD
        let biasedK = (t &+ 0x3FF0_0000_0000_0000) &>> 52
        let m = double(b &- (t & 0xFFF0_0000_0000_0000))
        let k = double(biasedK | 0x4330_0000_0000_0000) - (0x1p52 + 1023)
        let f = m - 1
        let s = f / (2 + f)
        let z = s * s, w = z * z
        let t1 = w * (VectorMath.lg2 + w * (VectorMath.lg4 + w * VectorMath.lg6))
        let t2 = z * (VectorMath.lg1 + w * (VectorMath.lg3 + w * (VectorMath.lg5 + w * VectorMath.lg7)))
        let square = twoProduct(f, f)
        let halfSquare = 0.5 * square.hi, halfSquareLo = 0.5 * square.lo
        let tail = s * (halfSquare + (t2 + t1))
        let a = fastTwoSum(f, -halfSquare)                       // |f| > f²/2
        let h = twoSum(k * VectorMath.ln2Hi, a.hi)
        let lo = tail + (((h.lo + a.lo) - halfSquareLo) + k * VectorMath.ln2Lo)
        return fastTwoSum(h.hi, lo)
    }

    /// `exp(-a)` for `a` in [0, 700], relative error below 2^-57.
    ///
    /// -a = k ln2 + r0 + r1 with k ln2Hi exact (Cody-Waite) and |r0| ≤ ln2/2; exp(r) = 1 + r0 +
    /// r0²/2 + r1 + r0 r1 + r0³ P(r0), P the Taylor series to degree 14 (truncation 2^-63, Estrin), the
    /// first two terms and r0²/2 (rounded once) summed exactly, then scaled by 2^k exactly.
    @inline(__always)
    static func exp(negated a: DDLanes) -> DoubleDouble {
        let shifted = -a * VectorMath.invLn2 + 0x1.8p52
        let kBits = bits(shifted)
        let k = shifted - 0x1.8p52
        let rHi = -a - k * VectorMath.ln2Hi          // exact (Sterbenz; k ln2Hi has ≤ 43 bits)
        let rLo = -(k * VectorMath.ln2Lo)
        let r = fastTwoSum(rHi, rLo)
        let r0 = r.hi, r1 = r.lo
        // 1/3! + r0/4! + ... + r0^11/14!, by Estrin's scheme (pairs, then powers r0², r0⁴, r0⁸):
        // a dependency chain of 5 multiply-adds instead of Horner's 11.
        let r2 = r0 * r0, r4 = r2 * r2
        let (s0, s1, s2) = VectorMath.estrinQuarters(VectorMath.factorials(from: 1), r0, r2)   // 1/3! ... 1/14!
        let p = s0 + r4 * (s1 + s2 * r4)
        let square = r2        // rounded: 2^-53 of r0²/2 ≤ 0.06 is 2^-57 of the result
        let cubic = square * r0 * p
        let one = fastTwoSum(DDLanes(repeating: 1), r0)
        let sum = twoSum(one.hi, 0.5 * square)
        let lo = cubic + ((one.lo + sum.lo) + (r1 + r0 * r1))
        let value = fastTwoSum(sum.hi, lo)
        let scale = double(((kBits &+ 1023) & 0x7FF) &<< 52)   // 2^k, k in [-1010, 0]
        return DoubleDouble(hi: value.hi * scale, lo: value.lo * scale)
    }

    /// `log1p(e)` for `e = e.hi + e.lo` in (0, 1].
    ///
    /// From 2^-26: log(u) for u = 1 + e.hi rounded, plus log1p(δ) ≈ δ - δ²/2 for the rest
    /// δ = (1 + e - u) / u; |δ| ≤ 2^-53 while log(u) > 2^-27, so δ's rounding is negligible.
    /// Below 2^-26 (where δ would be as large as the result): e - e²/2 + e³/3, truncated at 2^-78.
    @inline(__always)
    static func log1p(unit e: DoubleDouble) -> DoubleDouble {
        let u = fastTwoSum(DDLanes(repeating: 1), e.hi)
        let delta = (u.lo + e.lo) / u.hi
        let l = log(u.hi)
        var result = fastTwoSum(l.hi, l.lo + (delta - 0.5 * delta * delta))
        let small = e.hi .< 0x1p-26
        if any(small) {
            let square = e.hi * e.hi
            result.hi.replace(with: e.hi, where: small)
            result.lo.replace(with: e.lo - (0.5 * square - square * e.hi * (1.0 / 3)), where: small)
        }
        return result
    }
}
