import RealModule

// BrainFloat16 is evaluated in Double, as Float16 is: a bfloat16 value converts exactly, Double's
// 53-bit significand leaves 45 guard bits over bfloat16's 8, and the Double result is rounded once
// to bfloat16 with the rounding Float16 uses (binary16Bits), so the result is within 1 ULP (0.5 ULP
// plus the Double evaluation error, a few 2^-45 ULP). bfloat16 has Float's exponent range, so
// PyTorch's EPSILON = 1e-12 does not underflow as it does in Float16.
extension BrainFloat16: BCEScalar {
    public static var bceScalarKind: BCEScalarKind { BCEScalarKind(.bfloat16) }
}

extension BrainFloat16: BCEArithmetic {
    /// `Double`: see `BCEArithmetic`.
    package typealias WideScalar = Double

    /// PyTorch's `float` constant `1e-12` rounded to bfloat16: 1.0019e-12 (0x2B8D; rounding the
    /// Double 1e-12 directly gives the same bits), as torch 2.15 uses it.
    package static var bceGradientEpsilon: BrainFloat16 { BrainFloat16(Float(1e-12 as Double)) }

    /// `Double(self)`, exact.
    @inline(__always) package var bceWide: Double { Double(self) }

    /// `x` rounded once to the nearest bfloat16, ties to even; ±infinity from the overflow
    /// threshold on, signed zero and NaN kept (``BrainFloat16/init(_:)-(Double)``).
    @inline(__always) package init(bceRounding x: Double) { self.init(x) }
}
