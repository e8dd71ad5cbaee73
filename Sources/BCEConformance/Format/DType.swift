/// The element types the golden files and the library share, named as PyTorch and NumPy name them.
public enum DType: String, Sendable, CaseIterable, Codable, Comparable {
    case float16, float32, float64

    /// Hex characters per element in a golden TENSOR's `hex` field (the IEEE-754 bit width / 4).
    public var hexWidth: Int {
        switch self {
        case .float16: 4
        case .float32: 8
        case .float64: 16
        }
    }

    /// torch.testing.assert_close's default tolerance for this dtype (CONTRACTS section 3).
    public var defaultTolerance: Tolerance {
        switch self {
        case .float16: Tolerance(rtol: 1e-3, atol: 1e-5)
        case .float32: Tolerance(rtol: 1.3e-6, atol: 1e-5)
        case .float64: Tolerance(rtol: 1e-7, atol: 1e-7)
        }
    }

    /// The value `bits` encodes in this dtype, widened exactly to Double (NaN stays NaN, -0 stays -0).
    @inlinable
    public func value(fromBits bits: UInt64) -> Double {
        switch self {
        case .float16: Double(Float16(bitPattern: UInt16(truncatingIfNeeded: bits)))
        case .float32: Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
        case .float64: Double(bitPattern: bits)
        }
    }

    /// The bits of `value` rounded to this dtype (exact for values that came from this dtype).
    @inlinable
    public func bits(of value: Double) -> UInt64 {
        switch self {
        case .float16: UInt64(Float16(value).bitPattern)
        case .float32: UInt64(Float(value).bitPattern)
        case .float64: value.bitPattern
        }
    }

    /// `value` rounded to this dtype and widened back: what a port computing in this dtype can return.
    @inlinable
    public func rounded(_ value: Double) -> Double {
        switch self {
        case .float16: Double(Float16(value))
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
        case .float32: Double(Float(m).ulp)
        case .float64: m.ulp
        }
    }

    public static func < (lhs: DType, rhs: DType) -> Bool {
        lhs.hexWidth < rhs.hexWidth
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
