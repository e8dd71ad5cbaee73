import RealModule

// Float is evaluated in Double and rounded once: Double carries 29 guard bits, so the result is
// the correctly rounded value except in the rare cases that lie within a few 2^-29 ULP of a
// rounding boundary (then it is off by at most 1 ULP).
extension Float: BCEScalar {
    public static var bceScalarKind: BCEScalarKind { BCEScalarKind(.float) }
}

extension Float: BCEArithmetic {
    /// `Double`: see `BCEArithmetic`.
    package typealias WideScalar = Double

    /// `Float(1e-12)`, 9.99999996e-13.
    package static var bceGradientEpsilon: Float { Float(1e-12 as Double) }

    /// `Double(self)`, exact.
    @inline(__always) package var bceWide: Double { Double(self) }

    /// `Float(x)`, rounded once to nearest even.
    @inline(__always) package init(bceRounding x: Double) { self.init(x) }
}
