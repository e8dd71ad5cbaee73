// Rounding a Double once to a 16-bit IEEE-style binary format: one sign bit, 15 - fractionBits
// exponent bits (bias 2^(14 - fractionBits) - 1) and `fractionBits` stored significand bits, with
// subnormals, infinities and NaN. Float16 is the case fractionBits = 10 (5 exponent bits, bias 15),
// BrainFloat16 fractionBits = 7 (8 exponent bits, bias 127). One implementation for both, so the
// two element types that are evaluated in Double and rounded once share their rounding, and for the
// conformance library's golden values (BCEConformance's `BFloat16Bits`), which must round as the
// loss library does without depending on it. `@inlinable`: the loss library's kernels inline it.

/// `x` rounded once to the nearest value of the 16-bit format with `fractionBits` stored
/// significand bits, ties to even; ±infinity from the format's overflow threshold (its largest
/// finite value plus half an ULP) on, signed zero kept, NaN as the quiet NaN without payload
/// with `x`'s sign bit. Returns the bit pattern.
///
/// A few additions instead of a software conversion: Float16(_:) on x86_64 is `__truncdfhf2`, which
/// took 60% of a Float16 gradient pass. Every constant is integer arithmetic on `fractionBits`, so
/// callers that pass a literal get straight-line code.
@inlinable @inline(__always)
public func binary16Bits(rounding x: Double, fractionBits m: Int) -> UInt16 {
    let bias = (1 << (14 - m)) - 1                       // 15 for Float16, 127 for BrainFloat16
    let infinity = UInt16(truncatingIfNeeded: ((1 << (15 - m)) - 1) << m)   // exponent field all ones
    /// 2^e for the Double exponent e (normal range), exactly.
    func power(_ e: Int) -> Double { Double(bitPattern: UInt64(1023 + e) << 52) }
    let sign: UInt16 = x.sign == .minus ? 0x8000 : 0
    let a = x.magnitude
    guard a < power(bias + 1) else {   // +infinity, NaN, or rounds to infinity
        return sign | (a.isNaN ? infinity | UInt16(1 << (m - 1)) : infinity)
    }
    // Adding and subtracting 2^52 rounds a non-negative Double below 2^52 to an integer, to
    // nearest even, in the default rounding mode.
    let magic = 0x1p52 as Double
    let bits: UInt16
    if a < power(1 - bias) {
        // Subnormal range: multiples of 2^(1 - bias - m). A result of 2^m is the smallest normal.
        bits = UInt16((a * power(bias - 1 + m) + magic) - magic)
    } else {
        // Normal range: m + 1 significant bits. A significand that rounds up to 2^(m+1) carries
        // into the exponent field, and at the top binade that gives the infinity pattern.
        let significand = UInt16((a.significand * power(m) + magic) - magic)   // 2^m ... 2^(m+1)
        bits = UInt16(a.exponent + bias - 1) << m + significand
    }
    return sign | bits
}
