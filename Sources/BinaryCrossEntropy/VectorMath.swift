// Vectorised log and exp on eight Double lanes, for the fast paths of the Float and Float16
// losses (evaluated in Double, rounded once to Float or Float16). Pure Swift SIMD, so they compile
// to SSE2 on baseline x86-64 and NEON on arm64.
//
// Both are fdlibm's algorithms (e_log.c, e_exp.c: Sun Microsystems, freely distributable), with the
// same polynomials and an error below 1 Double ULP. For a Float result that is 2^-29 of a Float
// ULP: the result rounded once is the correctly rounded value except within 2^-29 ULP of a tie.
// Each function states the domain it is called on; the callers route every other lane (zero,
// subnormal, infinite, NaN, clamped) to the scalar path.

typealias Lanes = SIMD8<Double>
typealias LaneBits = SIMD8<UInt64>

enum VectorMath {
    @inline(__always) static func bits(_ v: Lanes) -> LaneBits { unsafeBitCast(v, to: LaneBits.self) }
    @inline(__always) static func double(_ b: LaneBits) -> Lanes { unsafeBitCast(b, to: Lanes.self) }

    /// max(v, 0) for finite v, by masking (SIMD's replacing(with:where:) compiles to a per-lane
    /// loop); -0 gives +0.
    @inline(__always) static func positivePart(_ v: Lanes) -> Lanes {
        let b = bits(v)
        return double(b & ((b &>> 63) &- 1))   // all ones where the sign bit is clear
    }

    /// `a` where `mask` is true, else `b`, by bit masks (SIMD's replacing(with:where:) compiles to a
    /// per-lane loop).
    @inline(__always) static func select(_ mask: SIMDMask<SIMD8<Int64>>, _ a: Lanes, _ b: Lanes) -> Lanes {
        let m = unsafeBitCast(mask, to: LaneBits.self)
        return double((bits(a) & m) | (bits(b) & ~m))
    }

    /// `-v` by flipping the sign bits, as scalar negation does (SIMD's prefix minus is `0 - v`,
    /// which gives +0 for +0 where PyTorch's and the scalar path's `-x` give -0).
    @inline(__always) static func negate(_ v: Lanes) -> Lanes { double(bits(v) ^ 0x8000_0000_0000_0000) }

    /// |v|, by clearing the sign bits.
    @inline(__always) static func magnitude(_ v: Lanes) -> Lanes { double(bits(v) & 0x7FFF_FFFF_FFFF_FFFF) }

    // fdlibm e_log.c.
    static let ln2Hi = 6.93147180369123816490e-01   // 0x3fe62e42fee00000: k * ln2Hi is exact for |k| < 2^20
    static let ln2Lo = 1.90821492927058770002e-10   // 0x3dea39ef35793c76
    static let lg1 = 6.666666666666735130e-01, lg2 = 3.999999999940941908e-01
    static let lg3 = 2.857142874366239149e-01, lg4 = 2.222219843214978396e-01
    static let lg5 = 1.818357216161805012e-01, lg6 = 1.531383769920937332e-01
    static let lg7 = 1.479819860511658591e-01

    /// Splits positive normal `v` into `2^k * m` with m in [sqrt(1/2), sqrt(2)): returns k (as a
    /// Double) and f = m - 1 (exact). musl's reduction: subtracting the bits of sqrt(1/2) moves
    /// the exponent boundary there.
    @inline(__always)
    static func reduce(_ v: Lanes) -> (k: Lanes, f: Lanes) {
        let b = bits(v)
        let t = b &- 0x3FE6_A09E_667F_3BCD
        let biasedK = (t &+ 0x3FF0_0000_0000_0000) &>> 52              // k + 1023, in 1...2046
        let m = double(b &- (t & 0xFFF0_0000_0000_0000))
        let k = double(biasedK | 0x4330_0000_0000_0000) - (0x1p52 + 1023)
        return (k, m - 1)
    }

    /// `log(v)` for positive normal finite `v`, within 1 ULP (fdlibm).
    @inline(__always)
    static func log(_ v: Lanes) -> Lanes {
        let (k, f) = reduce(v)
        let s = f / (2 + f)
        let z = s * s, w = z * z
        let t1 = w * (lg2 + w * (lg4 + w * lg6))
        let t2 = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)))
        let r = t2 + t1
        let hfsq = 0.5 * f * f
        return k * ln2Hi - ((hfsq - (s * (hfsq + r) + k * ln2Lo)) - f)
    }

    /// `log1p(e)` for `e` in [0, 1]: `log(1 + e)` plus the rounding error of `u = 1 + e` (exact,
    /// because |e| ≤ 1), so tiny `e` keeps its relative accuracy. The error term should be divided
    /// by `u`; leaving that out costs at most |error| · e ≤ 2^-53 · e, relative 2^-52 of the result.
    @inline(__always)
    static func log1p(unit e: Lanes) -> Lanes {
        let u = 1 + e
        let error = e - (u - 1)
        return log(u) + error
    }

    /// 1/2!, 1/3!, ..., 1/14!, each rounded to Double: the Taylor coefficients of expm1 here and of
    /// the double-double exp (DoubleDoubleMath.swift).
    static let inverseFactorials: (Double, Double, Double, Double, Double, Double, Double, Double, Double,
                                   Double, Double, Double, Double) = (
        1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320, 1.0 / 362_880,
        1.0 / 3_628_800, 1.0 / 39_916_800, 1.0 / 479_001_600, 1.0 / 6_227_020_800, 1.0 / 87_178_291_200)

    /// Twelve coefficients c0 ... c11 for Estrin's scheme.
    typealias Coefficients12 = (Double, Double, Double, Double, Double, Double, Double, Double, Double,
                                Double, Double, Double)

    /// The first twelve of ``inverseFactorials`` (1/2! ... 1/13!), or those from the second
    /// (1/3! ... 1/14!).
    @inline(__always) static func factorials(from offset: Int) -> Coefficients12 {
        let f = inverseFactorials
        return offset == 0
            ? (f.0, f.1, f.2, f.3, f.4, f.5, f.6, f.7, f.8, f.9, f.10, f.11)
            : (f.1, f.2, f.3, f.4, f.5, f.6, f.7, f.8, f.9, f.10, f.11, f.12)
    }

    /// `c0 + c1 r + ... + c11 r^11` as the three partial sums of Estrin's scheme, s0 = c0 + ... +
    /// c3 r^3, s1 = c4 + ... + c7 r^3, s2 = c8 + ... + c11 r^3 (pairs, then r² = `r2`); the caller
    /// combines them with r^4 and r^8 (a dependency chain of a few multiply-adds, not Horner's 11).
    @inline(__always)
    static func estrinQuarters(_ c: Coefficients12, _ r: Lanes, _ r2: Lanes) -> (Lanes, Lanes, Lanes) {
        let q0 = c.0 + c.1 * r, q1 = c.2 + c.3 * r, q2 = c.4 + c.5 * r
        let q3 = c.6 + c.7 * r, q4 = c.8 + c.9 * r, q5 = c.10 + c.11 * r
        return (q0 + q1 * r2, q2 + q3 * r2, q4 + q5 * r2)
    }

    /// `expm1(x)` for |x| < 1, relative error about 2^-52: x = k ln2 + r with k in {-1, 0, 1}
    /// (r exact for k = ±1 by Sterbenz, then ln2's low part), |r| ≤ 0.35; expm1(r) by its Taylor
    /// series to degree 13 (truncation below 2^-56 relative), Estrin's scheme; then 2 p + 1
    /// (k = 1) or (p - 1) / 2 (k = -1), neither of which cancels.
    @inline(__always)
    static func expm1(small x: Lanes) -> Lanes {
        let up = x .> 0.3466, down = x .< -0.3466
        let k = select(up, Lanes(repeating: 1), select(down, Lanes(repeating: -1), .zero))
        let r = (x - k * ln2Hi) - k * ln2Lo
        let r2 = r * r, r4 = r2 * r2, r8 = r4 * r4
        let (s0, s1, s2) = estrinQuarters(factorials(from: 0), r, r2)   // 1/2! ... 1/13!
        let p = r + r2 * ((s0 + s1 * r4) + s2 * r8)
        return select(up, 2 * p + 1, select(down, (p - 1) * 0.5, p))
    }

    // fdlibm e_exp.c.
    static let invLn2 = 1.44269504088896338700e+00
    static let p1 = 1.66666666666666019037e-01, p2 = -2.77777777770155933842e-03
    static let p3 = 6.61375632143793436117e-05, p4 = -1.65339022054652515390e-06
    static let p5 = 4.13813679705723846039e-08

    /// `exp(t)` for `t` in [-708, 0], within 1 ULP (fdlibm; the result is a normal number).
    @inline(__always)
    static func exp(nonPositive t: Lanes) -> Lanes {
        // k = round(t / ln2) with the 1.5 * 2^52 trick; its low bits are k in two's complement.
        let shifted = t * invLn2 + 0x1.8p52
        let kBits = bits(shifted)
        let k = shifted - 0x1.8p52
        let hi = t - k * ln2Hi
        let lo = k * ln2Lo
        let r = hi - lo
        let rr = r * r
        let c = r - rr * (p1 + rr * (p2 + rr * (p3 + rr * (p4 + rr * p5))))
        let y = 1 - ((lo - (r * c) / (2 - c)) - hi)
        // 2^k for k in [-1022, 0]: (k + 1023) << 52, with k taken from the low bits.
        let scale = double(((kBits &+ 1023) & 0x7FF) &<< 52)
        return y * scale
    }
}
