import SwiftBCEShared

/// The element types the golden files and the library share, named as PyTorch and NumPy name them.
///
/// `allCases` is in the contract's order (float16, bfloat16, float32, float64), which is also
/// the `Comparable` order.
public enum DType: String, Sendable, CaseIterable, Codable, Comparable {
    case float16, bfloat16, float32, float64

    /// Hex characters per element in a golden TENSOR's `hex` field (the storage bit width / 4).
    public var hexWidth: Int {
        switch self {
        case .float16, .bfloat16: 4
        case .float32: 8
        case .float64: 16
        }
    }

    /// torch.testing.assert_close's default tolerance for this dtype, with float64 tightened
    /// (CONTRACTS sections 0 and 3). MANIFEST.json's `default_tolerance` must state the same.
    public var defaultTolerance: Tolerance {
        switch self {
        case .float16: Tolerance(rtol: 1e-3, atol: 1e-5)
        case .bfloat16: Tolerance(rtol: 1.6e-2, atol: 1e-5)
        case .float32: Tolerance(rtol: 1.3e-6, atol: 1e-5)
        case .float64: Tolerance(rtol: 1e-10, atol: 1e-12)
        }
    }

    /// The value `bits` encodes in this dtype, widened exactly to Double (NaN stays NaN, -0 stays -0).
    /// bfloat16 bits are the upper half of a float32's.
    @inlinable
    public func value(fromBits bits: UInt64) -> Double {
        switch self {
        case .float16: Double(Float16(bitPattern: UInt16(truncatingIfNeeded: bits)))
        case .bfloat16: Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits & 0xFFFF) << 16))
        case .float32: Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
        case .float64: Double(bitPattern: bits)
        }
    }

    /// The bits of `value` rounded to this dtype (exact for values that came from this dtype).
    /// A NaN becomes the canonical quiet NaN of the dtype for bfloat16 (`7fc0`).
    @inlinable
    public func bits(of value: Double) -> UInt64 {
        switch self {
        case .float16: UInt64(Float16(value).bitPattern)
        case .bfloat16: UInt64(BFloat16Bits.bits(of: value))
        case .float32: UInt64(Float(value).bitPattern)
        case .float64: value.bitPattern
        }
    }

    /// `value` rounded to this dtype and widened back: what a port computing in this dtype can return.
    @inlinable
    public func rounded(_ value: Double) -> Double {
        switch self {
        case .float16: Double(Float16(value))
        case .bfloat16: BFloat16Bits.rounded(value)
        case .float32: Double(Float(value))
        case .float64: value
        }
    }

    /// The spacing of this dtype's representable numbers at magnitude `m` (`m` >= 0, finite):
    /// the ULP of CONTRACTS section 3. At 0 it is the smallest subnormal.
    @inlinable
    public func ulp(atMagnitude m: Double) -> Double {
        switch self {
        case .float16: Double(Float16(m).ulp)
        case .bfloat16: BFloat16Bits.ulp(atMagnitude: m)
        case .float32: Double(Float(m).ulp)
        case .float64: m.ulp
        }
    }

    public static func < (lhs: DType, rhs: DType) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The two losses of the suite, named as the golden files name them.
public enum LossKind: String, Sendable, CaseIterable, Codable {
    case bce
    case bceWithLogits = "bce_with_logits"
}

/// PyTorch's `reduction` argument.
public enum ReductionKind: String, Sendable, CaseIterable, Codable {
    case none, mean, sum
}

/// The error kinds an implementation may raise (CONTRACTS sections 1 and 2). Kept as strings in
/// outcomes so a port that invents a kind is reported, not trapped on.
public enum ErrorKinds {
    public static let all: Set<String> = [
        "shape_mismatch", "input_out_of_range", "target_out_of_range", "not_broadcastable", "invalid_shape",
    ]
}

/// bfloat16 (1 sign, 8 exponent, 7 fraction bits: the upper half of a float32) as the golden
/// format needs it: rounding a Double to it once, to nearest even (not through Float, which
/// would round twice), its ULP, and its bits. The rounding is the loss library's own
/// (`binary16Bits(rounding:fractionBits:)` in SwiftBCEShared, which `BrainFloat16` uses too), so
/// the golden format and the library cannot round differently; the canonical NaN is the format's.
public enum BFloat16Bits {
    /// The largest finite bfloat16, 0x7f7f: (2 − 2^-7) · 2^127.
    public static let greatestFiniteMagnitude = Double(Float(bitPattern: 0x7F7F_0000))
    /// The smallest subnormal, 0x0001: 2^-133.
    public static let leastNonzeroMagnitude = 0x1p-133
    /// The canonical quiet NaN, as the golden format writes it.
    public static let canonicalNaN: UInt16 = 0x7FC0

    /// The spacing of bfloat16 numbers in the binade of `m` (2^-133 below 2^-126), for finite nonzero `m`.
    @usableFromInline
    static func spacing(_ m: Double) -> Double {
        let e = max(Int(abs(m).exponent), -126)
        return Double(sign: .plus, exponent: e - 7, significand: 1)
    }

    /// `value` rounded to nearest even bfloat16, widened back (overflow gives ±infinity, NaN stays NaN).
    @inlinable
    public static func rounded(_ value: Double) -> Double {
        guard !value.isNaN else { return value }
        // Every bfloat16 number is a float32 whose lower 16 bits are zero: widening is exact.
        return Double(Float(bitPattern: UInt32(binary16Bits(rounding: value, fractionBits: 7)) << 16))
    }

    /// The bits of `value` rounded to bfloat16 (NaN: the canonical quiet NaN).
    @inlinable
    public static func bits(of value: Double) -> UInt16 {
        value.isNaN ? canonicalNaN : binary16Bits(rounding: value, fractionBits: 7)
    }

    /// The spacing of bfloat16 numbers at magnitude `m` (`m` >= 0): of the bfloat16 number `m`
    /// rounds to; the smallest subnormal at 0; NaN where `m` rounds to infinity (as Float16's `ulp`).
    @inlinable
    public static func ulp(atMagnitude m: Double) -> Double {
        let r = rounded(m)
        if r == 0 { return leastNonzeroMagnitude }
        guard r.isFinite else { return .nan }
        return spacing(r)
    }
}
