import RealModule

// Double is evaluated in Float80 where the platform has it (x86_64 Linux and Intel macOS):
// 11 guard bits, and glibc's long double exp/log/log1p are accurate to a couple of Float80 ULP,
// so every loss is within 1 Double ULP of the exact value (measured: see the accuracy tests).
//
// Elsewhere (arm64) Double is evaluated in Double. The formulas are the same cancellation-free
// ones, so the loss stays within a few ULP (measured: 3.5 for results whose unweighted value is
// a normal number; worse where exp(-|x|) underflows before a large weight scales it back up),
// but the 2-ULP bound is only claimed for x86_64.
// The vectorised forward passes without weights (DoubleDoubleLosses.swift) are double-double on
// every platform; weighted calls and gradients still take this path.
extension Double: BCEScalar {
    public static var bceScalarKind: BCEScalarKind { BCEScalarKind(.double) }
}

extension Double: BCEArithmetic {
    #if (arch(i386) || arch(x86_64)) && !os(Windows) && !os(Android)
    /// `Float80` on x86_64 (`Double` elsewhere): see `BCEArithmetic`.
    package typealias WideScalar = Float80
    #else
    /// `Double` here (`Float80` on x86_64): see `BCEArithmetic`.
    package typealias WideScalar = Double
    #endif

    /// `Double(Float(1e-12))` = 9.999999960041972e-13: PyTorch's constant is a `float`, widened
    /// (torch 2.15 float64: x = 1e-20, y = 0 gives d/dx = 1.0000000039958028e-08).
    package static var bceGradientEpsilon: Double { Double(Float(1e-12 as Double)) }

    /// `WideScalar(self)`, exact.
    @inline(__always) package var bceWide: WideScalar { WideScalar(self) }

    /// `Double(x)`, rounded once to nearest even (the identity where `WideScalar` is `Double`).
    @inline(__always) package init(bceRounding x: WideScalar) { self.init(x) }
}
