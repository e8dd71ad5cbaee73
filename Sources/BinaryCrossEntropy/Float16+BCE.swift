import RealModule
import SwiftBCEShared

// Float16 is evaluated in Double: a Float16 value converts exactly, Double's 53-bit significand
// leaves 42 guard bits, so rounding the Double result once to Float16 is within 1 ULP (the
// measured worst case is 0.5 ULP plus the Double evaluation error, a few 2^-42 ULP).
//
// Swift provides Float16 on every platform except macOS on x86_64.
#if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
extension Float16: BCEScalar {
    public static var bceScalarKind: BCEScalarKind { BCEScalarKind(.float16) }
}

extension Float16: BCEArithmetic {
    /// `Double`: see `BCEArithmetic`.
    package typealias WideScalar = Double

    /// `Float16(1e-12)`, which is 0 (the smallest positive Float16 is about 6e-8).
    package static var bceGradientEpsilon: Float16 { Float16(1e-12 as Double) }

    /// `Double(self)`, exact.
    @inline(__always) package var bceWide: Double { Double(self) }

    /// `x` rounded once to the nearest Float16, ties to even; ±infinity beyond 65520, signed
    /// zero and NaN kept. The same value as `Float16(x)`, whose software implementation on
    /// x86_64 (`__truncdfhf2`) took 60% of a Float16 gradient pass; ``binary16Bits(rounding:fractionBits:)``
    /// (shared with ``BrainFloat16``) takes a few additions.
    @inline(__always) package init(bceRounding x: Double) {
        self.init(bitPattern: binary16Bits(rounding: x, fractionBits: 10))
    }
}
#endif
