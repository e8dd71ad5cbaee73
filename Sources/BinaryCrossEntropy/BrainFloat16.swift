import SwiftBCEShared

/// The bfloat16 ("brain floating point") format: a 16-bit binary floating-point type with one sign
/// bit, Float's 8 exponent bits and 7 stored significand bits — the upper half of a `Float`.
///
/// Swift has no bfloat16 of its own. This type exists so that ``BCELoss`` and
/// ``BCEWithLogitsLoss`` (and their gradients) can take and return bfloat16 data, the element
/// type of most mixed-precision training today; it is a storage and conversion type with correctly
/// rounded arithmetic, not a fast one (each operation converts to `Double` and back).
///
/// - Conversions from `Float`, `Double` and `Float80` round once to the nearest value, ties to
///   even (like PyTorch's `c10::BFloat16` from `float`); a value at or beyond the overflow
///   threshold becomes ±infinity; NaN becomes the quiet NaN `0x7FC0` with the sign kept and the
///   payload dropped. Conversion to `Float` and `Double` is exact (`Float(x)`, `Double(x)`).
/// - Full `BinaryFloatingPoint` conformance: IEEE comparisons (NaN unordered and unequal to itself,
///   `-0 == +0`, equal values hash equally), `ulp`, `nextUp`, the limits, `exponent` and
///   `significand`, literals, and `+ - * /`, `squareRoot()`, `remainder`, `addProduct`, each rounded
///   once from the exact result (evaluated in `Double`, which has more than 2 × 8 + 2 bits, so
///   rounding that result again to bfloat16 gives the correctly rounded result).
///
/// Why `BinaryFloatingPoint`: the losses are generic over ``BCEScalar``, which refines it (the
/// library and the conformance suite convert to and from `Double` through it), and users expect
/// generic numeric code written for `Float16` to work unchanged.
///
/// Why the name `BrainFloat16` and not `BFloat16`: the standard library may one day add a
/// `BFloat16` (as it added `Float16`), and a module type of the same name would then make every
/// unqualified `BFloat16` in client code ambiguous. The spelled-out name cannot collide; should
/// the standard library gain the type, the two convert through their bit patterns.
///
/// Float literals are first rounded to `Double` by the compiler, then once to bfloat16 (the same
/// result as a single rounding except for decimal literals within 2^-53 of a bfloat16 tie).
@frozen
public struct BrainFloat16: Sendable {
    /// The IEEE-style bits: sign (bit 15), biased exponent (bits 14–7), significand (bits 6–0).
    public var bitPattern: UInt16

    /// The value with these bits.
    @inlinable public init(bitPattern: UInt16) { self.bitPattern = bitPattern }

    /// `value` rounded to the nearest bfloat16, ties to even (exact for the upper halves of Float
    /// bit patterns); overflow gives ±infinity, NaN the quiet NaN with its sign.
    @inlinable public init(_ value: Float) {
        let bits = value.bitPattern
        guard !value.isNaN else {
            self.init(bitPattern: UInt16(truncatingIfNeeded: bits >> 16) & 0x8000 | 0x7FC0)
            return
        }
        // Adding 0x7FFF plus the lowest kept bit rounds the low 16 bits away to nearest even; a
        // carry out of the significand moves to the next binade, and past the largest finite value
        // to the infinity pattern 0x7F80.
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        self.init(bitPattern: UInt16(truncatingIfNeeded: rounded >> 16))
    }

    /// `value` rounded once to the nearest bfloat16, ties to even (not through `Float`, which would
    /// round twice); overflow gives ±infinity, NaN the quiet NaN with its sign.
    @inlinable public init(_ value: Double) {
        self.init(bitPattern: binary16Bits(rounding: value, fractionBits: 7))
    }

    #if (arch(i386) || arch(x86_64)) && !os(Windows) && !os(Android)
    /// `value` rounded once to the nearest bfloat16, ties to even.
    @inlinable public init(_ value: Float80) {
        let nearest = Double(value)
        let direction = value > Float80(nearest) ? 1 : value < Float80(nearest) ? -1 : 0
        self.init(Self.roundedToOdd(nearest, remainderSign: direction))
    }
    #endif

    /// `s` rounded to odd given the sign of what rounding to nearest left out (`s + e` exactly,
    /// `e` of that sign): `s` itself when exact or odd, else its odd neighbour towards `e`. A
    /// Double rounded to odd and then to nearest bfloat16 (53 ≥ 8 + 2 bits) is the correctly
    /// rounded bfloat16 of `s + e`.
    @usableFromInline
    static func roundedToOdd(_ s: Double, remainderSign: Int) -> Double {
        guard remainderSign != 0, s.isFinite, s.bitPattern & 1 == 0 else { return s }
        return remainderSign > 0 ? s.nextUp : s.nextDown
    }
}

extension Float {
    /// The bfloat16 value, exactly (its bits are the upper half of the result's).
    @inlinable public init(_ value: BrainFloat16) {
        self.init(bitPattern: UInt32(value.bitPattern) << 16)
    }
}

extension Double {
    /// The bfloat16 value, exactly.
    @inlinable public init(_ value: BrainFloat16) { self.init(Float(value)) }
}

// MARK: - Literals, equality, hashing, description

extension BrainFloat16: ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
    /// Rounded once from the Double the compiler made of the literal.
    @inlinable public init(floatLiteral value: Double) { self.init(value) }
    /// Rounded once to nearest even (integers above 256 need not be exact).
    @inlinable public init(integerLiteral value: Int) { self.init(Double(value)) }
}

extension BrainFloat16: Hashable, Comparable {
    /// IEEE equality: NaN is unequal to everything, itself included; `-0 == +0`.
    @inlinable public static func == (a: Self, b: Self) -> Bool { Float(a) == Float(b) }
    /// IEEE order: false whenever either is NaN.
    @inlinable public static func < (a: Self, b: Self) -> Bool { Float(a) < Float(b) }

    /// Consistent with `==`: both zeros hash alike.
    @inlinable public func hash(into hasher: inout Hasher) {
        hasher.combine(isZero ? 0 : bitPattern)
    }
}

extension BrainFloat16: CustomStringConvertible, CustomDebugStringConvertible, LosslessStringConvertible {
    /// The shortest decimal that rounds back to this value, in Python's `repr` style: `"0.1"`,
    /// `"-0.0"`, `"1e-05"`, `"3.39e+38"`, `"inf"`, `"nan"`.
    public var description: String {
        if isNaN { return "nan" }
        if isInfinite { return sign == .minus ? "-inf" : "inf" }
        let prefix = sign == .minus ? "-" : ""
        if isZero { return prefix + "0.0" }
        // Double's shortest digits of the exact value (exactly representable in Double), then
        // the fewest of their leading digits, rounded, that read back as this value.
        let (allDigits, pointPosition) = Self.decimalDigits(of: Double(magnitude))
        for count in 1 ... allDigits.count {
            var (digits, position) = Self.rounded(allDigits, to: count, pointPosition: pointPosition)
            while digits.count > 1 && digits.last == 0 { digits.removeLast() }
            let text = Self.format(digits, pointPosition: position)
            if let parsed = Double(text), Self(parsed) == magnitude { return prefix + text }
        }
        return prefix + Self.format(allDigits, pointPosition: pointPosition)
    }

    /// As ``description``.
    public var debugDescription: String { description }

    /// The decimal `text` (as `Double(_:)` reads it: `"0.1"`, `"-1e5"`, `"inf"`, `"nan"`) rounded
    /// to bfloat16; nil when it is not a number. Read as a Double first, so a decimal within 2^-53
    /// of a bfloat16 tie may round the other way.
    public init?(_ text: String) {
        guard let value = Double(text) else { return nil }
        self.init(value)
    }

    /// Digits of Double's shortest representation of `v > 0`, without leading zeros, and the
    /// position of the decimal point: v = 0.d₁d₂… × 10^pointPosition.
    private static func decimalDigits(of v: Double) -> (digits: [Int], pointPosition: Int) {
        let text = String(v)   // "0.10009765625", "1e-05", "3.3895313892515355e+38"
        var mantissa = Substring(text), exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        var digits = (parts[0] + (parts.count > 1 ? parts[1] : "")).compactMap(\.wholeNumberValue)
        var position = parts[0].count + exponent
        while digits.first == 0 { digits.removeFirst(); position -= 1 }
        return (digits, position)
    }

    /// `digits` rounded to `count` digits, half up (each candidate is verified by reading it back).
    private static func rounded(_ digits: [Int], to count: Int, pointPosition: Int) -> ([Int], Int) {
        guard count < digits.count else { return (digits, pointPosition) }
        var kept = Array(digits[..<count])
        if digits[count] >= 5 {
            var i = count - 1
            while i >= 0 && kept[i] == 9 { kept[i] = 0; i -= 1 }
            if i >= 0 { kept[i] += 1 } else { kept.insert(1, at: 0); kept.removeLast(); return (kept, pointPosition + 1) }
        }
        return (kept, pointPosition)
    }

    /// Python's `repr` layout of 0.d₁d₂… × 10^pointPosition: positional for 1e-4 ≤ v < 1e16,
    /// else `d.ddde±XX`.
    private static func format(_ digits: [Int], pointPosition: Int) -> String {
        let text = digits.map(String.init).joined()
        let exponent = pointPosition - 1
        if exponent < -4 || exponent >= 16 {
            let mantissa = digits.count == 1 ? text : String(text.prefix(1)) + "." + text.dropFirst()
            let magnitude = String(abs(exponent))
            return mantissa + "e" + (exponent < 0 ? "-" : "+") + (magnitude.count < 2 ? "0" : "") + magnitude
        }
        if pointPosition <= 0 { return "0." + String(repeating: "0", count: -pointPosition) + text }
        if pointPosition >= digits.count {
            return text + String(repeating: "0", count: pointPosition - digits.count) + ".0"
        }
        return String(text.prefix(pointPosition)) + "." + text.dropFirst(pointPosition)
    }
}

// MARK: - BinaryFloatingPoint

extension BrainFloat16: BinaryFloatingPoint {
    public typealias Exponent = Int
    public typealias RawSignificand = UInt16
    public typealias RawExponent = UInt
    public typealias Magnitude = BrainFloat16
    public typealias Stride = BrainFloat16

    @inlinable public static var exponentBitCount: Int { 8 }
    @inlinable public static var significandBitCount: Int { 7 }

    @inlinable public var exponentBitPattern: UInt { UInt(bitPattern >> 7 & 0xFF) }
    @inlinable public var significandBitPattern: UInt16 { bitPattern & 0x7F }

    @inlinable public init(sign: FloatingPointSign, exponentBitPattern: UInt, significandBitPattern: UInt16) {
        self.init(bitPattern: (sign == .minus ? 0x8000 : 0) | UInt16(truncatingIfNeeded: exponentBitPattern & 0xFF) << 7
                  | significandBitPattern & 0x7F)
    }

    @inlinable public init(sign: FloatingPointSign, exponent: Int, significand: BrainFloat16) {
        // Exact in Float, or below Float's and bfloat16's subnormals alike (8 significant bits).
        self.init(Float(sign: sign, exponent: exponent, significand: Float(significand)))
    }

    @inlinable public init(_ value: Int) { self.init(Double(value)) }

    // Limits.
    @inlinable public static var nan: Self { Self(bitPattern: 0x7FC0) }
    @inlinable public static var signalingNaN: Self { Self(bitPattern: 0x7FA0) }
    @inlinable public static var infinity: Self { Self(bitPattern: 0x7F80) }
    /// (2 − 2⁻⁷) × 2¹²⁷ ≈ 3.39e38.
    @inlinable public static var greatestFiniteMagnitude: Self { Self(bitPattern: 0x7F7F) }
    /// 2⁻¹²⁶, as Float's.
    @inlinable public static var leastNormalMagnitude: Self { Self(bitPattern: 0x0080) }
    /// 2⁻¹³³ ≈ 9.2e-41.
    @inlinable public static var leastNonzeroMagnitude: Self { Self(bitPattern: 0x0001) }
    /// 3.140625, π rounded toward zero (also the nearest).
    @inlinable public static var pi: Self { Self(bitPattern: 0x4049) }

    // Classification.
    @inlinable public var sign: FloatingPointSign { bitPattern & 0x8000 == 0 ? .plus : .minus }
    @inlinable public var isNaN: Bool { bitPattern & 0x7FFF > 0x7F80 }
    @inlinable public var isSignalingNaN: Bool { isNaN && bitPattern & 0x0040 == 0 }
    @inlinable public var isInfinite: Bool { bitPattern & 0x7FFF == 0x7F80 }
    @inlinable public var isFinite: Bool { bitPattern & 0x7F80 != 0x7F80 }
    @inlinable public var isZero: Bool { bitPattern & 0x7FFF == 0 }
    @inlinable public var isSubnormal: Bool { bitPattern & 0x7F80 == 0 && !isZero }
    @inlinable public var isNormal: Bool { isFinite && bitPattern & 0x7F80 != 0 }
    @inlinable public var isCanonical: Bool { true }

    @inlinable public var magnitude: Self { Self(bitPattern: bitPattern & 0x7FFF) }
    @inlinable public mutating func negate() { bitPattern ^= 0x8000 }

    /// Float's exponent of the same value (every bfloat16 is a Float).
    @inlinable public var exponent: Int { Float(self).exponent }
    @inlinable public var significand: Self { Self(Float(self).significand) }
    @inlinable public var binade: Self { Self(Float(self).binade) }
    @inlinable public var significandWidth: Int { Float(self).significandWidth }

    /// The spacing at this value's magnitude (NaN for infinity and NaN).
    @inlinable public var ulp: Self {
        guard isFinite else { return .nan }
        let e = Int(exponentBitPattern)
        return e == 0 ? .leastNonzeroMagnitude : Self(Float(sign: .plus, exponent: e - 127 - 7, significand: 1))
    }

    /// The next value towards +infinity (the least nonzero one from either zero).
    @inlinable public var nextUp: Self {
        if isNaN { return Self(bitPattern: bitPattern | 0x0040) }
        if bitPattern == 0x7F80 { return self }
        if bitPattern == 0x8000 { return .leastNonzeroMagnitude }
        return Self(bitPattern: sign == .minus ? bitPattern &- 1 : bitPattern &+ 1)
    }

    // Arithmetic: exact operands in Double, one rounding (see the type's documentation).
    @inlinable public static func + (a: Self, b: Self) -> Self { Self(Double(a) + Double(b)) }
    @inlinable public static func - (a: Self, b: Self) -> Self { Self(Double(a) - Double(b)) }
    @inlinable public static func * (a: Self, b: Self) -> Self { Self(Double(a) * Double(b)) }
    @inlinable public static func / (a: Self, b: Self) -> Self { Self(Double(a) / Double(b)) }
    @inlinable public static func += (a: inout Self, b: Self) { a = a + b }
    @inlinable public static func -= (a: inout Self, b: Self) { a = a - b }
    @inlinable public static func *= (a: inout Self, b: Self) { a = a * b }
    @inlinable public static func /= (a: inout Self, b: Self) { a = a / b }

    /// Exact, as IEEE remainders are.
    @inlinable public mutating func formRemainder(dividingBy other: Self) {
        self = Self(Double(self).remainder(dividingBy: Double(other)))
    }
    @inlinable public mutating func formTruncatingRemainder(dividingBy other: Self) {
        self = Self(Double(self).truncatingRemainder(dividingBy: Double(other)))
    }
    @inlinable public mutating func formSquareRoot() { self = Self(Double(self).squareRoot()) }

    /// `self + lhs * rhs` rounded once: the product is exact in Double, the sum rounded to odd.
    @inlinable public mutating func addProduct(_ lhs: Self, _ rhs: Self) {
        let product = Double(lhs) * Double(rhs), addend = Double(self)
        let sum = addend + product
        guard sum.isFinite else { self = Self(sum); return }
        // TwoSum: what rounding the sum left out, exactly.
        let b = sum - addend
        let error = (addend - (sum - b)) + (product - b)
        self = Self(Self.roundedToOdd(sum, remainderSign: error > 0 ? 1 : error < 0 ? -1 : 0))
    }

    @inlinable public mutating func round(_ rule: FloatingPointRoundingRule) {
        self = Self(Float(self).rounded(rule))
    }

    @inlinable public func isEqual(to other: Self) -> Bool { self == other }
    @inlinable public func isLess(than other: Self) -> Bool { self < other }
    @inlinable public func isLessThanOrEqualTo(_ other: Self) -> Bool { Float(self) <= Float(other) }
    @inlinable public func isTotallyOrdered(belowOrEqualTo other: Self) -> Bool {
        Float(self).isTotallyOrdered(belowOrEqualTo: Float(other))
    }

    @inlinable public func distance(to other: Self) -> Self { other - self }
    @inlinable public func advanced(by n: Self) -> Self { self + n }
}
