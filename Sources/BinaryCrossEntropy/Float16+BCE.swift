import RealModule

// Float16 is evaluated in Double: a Float16 value converts exactly, Double's 53-bit significand
// leaves 42 guard bits, so rounding the Double result once to Float16 is within 1 ULP (the
// measured worst case is 0.5 ULP plus the Double evaluation error, a few 2^-42 ULP).
//
// Swift provides Float16 on every platform except macOS on x86_64.
#if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
extension Float16: BCEScalar {
    /// `Double`: see ``BCEScalar``.
    public typealias WideScalar = Double

    /// `Float16(1e-12)`, which is 0 (the smallest positive Float16 is about 6e-8).
    public static var bceGradientEpsilon: Float16 { Float16(1e-12 as Double) }

    /// `Double(self)`, exact.
    @inlinable public var bceWide: Double { Double(self) }

    /// `x` rounded once to the nearest Float16, ties to even; ±infinity beyond 65520, signed
    /// zero and NaN kept. The same value as `Float16(x)`, whose software implementation on
    /// x86_64 (`__truncdfhf2`) took 60% of a Float16 gradient pass; this takes a few additions.
    @inlinable public init(bceRounding x: Double) {
        let sign: UInt16 = x.sign == .minus ? 0x8000 : 0
        let a = x.magnitude
        guard a < 0x1p16 else {   // +infinity, NaN, or rounds to infinity
            self.init(bitPattern: sign | (a.isNaN ? 0x7E00 : 0x7C00))
            return
        }
        // Adding and subtracting 2^52 rounds a non-negative Double below 2^52 to an integer,
        // to nearest even, in the default rounding mode.
        let magic = 0x1p52 as Double
        let bits: UInt16
        if a < 0x1p-14 {
            // Subnormal range: multiples of 2^-24. A result of 1024 is the smallest normal, 0x0400.
            bits = UInt16((a * 0x1p24 + magic) - magic)
        } else {
            // Normal range: 11 significant bits. A significand that rounds up to 2048 carries
            // into the exponent field, and at 2^15 * 2048 / 1024 = 65536 that is 0x7C00, infinity.
            let significand = UInt16((a.significand * 1024 + magic) - magic)   // 1024...2048
            bits = UInt16(a.exponent + 14) << 10 + significand
        }
        self.init(bitPattern: sign | bits)
    }
}
#endif
