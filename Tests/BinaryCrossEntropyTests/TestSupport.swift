import Foundation
import BinaryCrossEntropy

// Shared helpers: a seeded generator, ULP distances and higher-precision references.

/// SplitMix64: a small, seeded, reproducible generator (the same inputs on every run).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension NDArray {
    /// Test shorthand: an array of the given shape (the test fails loudly if it does not fit).
    static func of(_ shape: [Int], _ values: [Double]) -> NDArray {
        (try? NDArray(shape: shape, scalars: values.map { Scalar($0) }))!
    }
    /// The scalars widened to Double, for comparisons.
    var doubles: [Double] { scalars.map { Double($0) } }
}

/// |a - b| ≤ tolerance · max(|a|, |b|), with equal infinities and NaN == NaN accepted.
func close(_ a: Double, _ b: Double, relative tolerance: Double) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    if a.isInfinite || b.isInfinite { return a == b }
    return abs(a - b) <= tolerance * max(abs(a), abs(b))
}

func close(_ a: [Double], _ b: [Double], relative tolerance: Double) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { close($0, $1, relative: tolerance) }
}

#if arch(x86_64) && !os(Windows) && !os(Android)
/// The higher-precision type references are computed in (64-bit significand).
typealias Reference = Float80

/// The distance of `actual` from the exact value `exact`, in units of the spacing of `S` at
/// `max(|exact|, scale)` (the spacing of the binade the value lies in, below a power of two the finer one).
/// Matching infinities and NaNs are 0; any other non-finite mismatch is infinite.
func ulpError<S: BCEArithmetic>(_ actual: S, _ exact: Reference, scale: Reference = 0) -> Double {
    if exact.isNaN { return actual.isNaN ? 0 : .infinity }
    if !actual.isFinite || !exact.isFinite {
        // Correct only if it is what the exact value rounds to (an overflow to ±infinity).
        return actual == S(exact) ? 0 : .infinity
    }
    let magnitude = S(max(exact.magnitude, scale.magnitude)).magnitude
    let spacing: S
    if magnitude == 0 {
        spacing = S.leastNonzeroMagnitude
    } else if magnitude.isInfinite {
        spacing = S.greatestFiniteMagnitude.ulp
    } else if magnitude.significandBitPattern == 0 && Reference(magnitude) > exact.magnitude {
        spacing = magnitude.nextDown.ulp   // rounded up to a power of two: the spacing below it
    } else {
        spacing = magnitude.ulp
    }
    return Double((Reference(actual) - exact).magnitude / Reference(spacing))
}

/// Long-double libm (glibc's `expl`, `logl`, `log1pl`, accurate to about one Float80 ULP).
enum Wide {
    static func log(_ x: Reference) -> Reference { logl(x) }
    static func log1p(_ x: Reference) -> Reference { log1pl(x) }
    static func exp(_ x: Reference) -> Reference { expl(x) }
    /// log(1 + e^x), as a sum of non-negative terms.
    static func softplus(_ x: Reference) -> Reference { max(x, 0) + log1pl(expl(-x.magnitude)) }
    static func sigmoid(_ x: Reference) -> Reference {
        let e = expl(-x.magnitude)
        return x >= 0 ? 1 / (1 + e) : e / (1 + e)
    }
}

/// Reference values of the definitions in the issue, in Float80, written independently of the
/// library: BCE directly, BCE-with-logits in the equal softplus form (for y in [0, 1], p ≥ 0).
enum ReferenceBCE {
    static func loss(x: Reference, y: Reference, w: Reference) -> Reference {
        let a = Swift.max(Wide.log1p(-x), -100), b = Swift.max(Wide.log(x), -100)
        return ((y - 1) * a - y * b) * w
    }
    /// d/dx and its scale (the magnitude of the larger of x·g·w/d and y·g·w/d).
    static func inputGradient(x: Reference, y: Reference, w: Reference, g: Reference, epsilon: Reference)
        -> (value: Reference, scale: Reference) {
        let d = Swift.max((1 - x) * x, epsilon)
        return ((x - y) / d * g * w, Swift.max(x.magnitude, y.magnitude) / d * (g * w).magnitude)
    }
    static func targetGradient(x: Reference, w: Reference, g: Reference) -> (value: Reference, scale: Reference) {
        let a = Wide.log(x), b = Wide.log1p(-x)
        return ((b - a) * g * w, Swift.max(a.magnitude, b.magnitude) * (g * w).magnitude)
    }
}

enum ReferenceLogits {
    static func loss(x: Reference, y: Reference, p: Reference?, w: Reference) -> Reference {
        ((1 - y) * Wide.softplus(x) + (p ?? 1) * y * Wide.softplus(-x)) * w
    }
    static func inputGradient(x: Reference, y: Reference, p: Reference?, w: Reference, g: Reference)
        -> (value: Reference, scale: Reference) {
        let a = (1 - y) * Wide.sigmoid(x), b = (p ?? 1) * y * Wide.sigmoid(-x)
        return ((a - b) * g * w, Swift.max(a.magnitude, b.magnitude) * (g * w).magnitude)
    }
    static func targetGradient(x: Reference, p: Reference?, w: Reference, g: Reference)
        -> (value: Reference, scale: Reference) {
        guard let p else { return (-x * g * w, 0) }
        let a = Wide.softplus(x), b = p * Wide.softplus(-x)
        return ((b - a) * g * w, Swift.max(a.magnitude, b.magnitude) * (g * w).magnitude)
    }
}
#endif

/// The bit patterns of `values` (NaN payloads included), for exact comparison.
func bitPatterns<S: BCEScalar>(_ values: [S]) -> [UInt64] {
    values.map { value in withUnsafeBytes(of: value) { $0.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } } }
}

func bitPatterns<S: BCEScalar>(_ value: S) -> [UInt64] { bitPatterns([value]) }

/// How many of `count` lane results may differ in their bits from the scalar formulas' (both
/// within the ULP bounds), for elements of `S` (`floatLanes`: a result the C kernels compute in
/// Float lanes: Float16 and BrainFloat16 BCEWithLogitsLoss terms and d/dinput). Double's
/// double-double lanes (about 2^-55) and Float80 round differently near ties (measured: 0.1% to
/// 2% of random inputs). The Float lanes' relative error is below 2^-20.9 for the terms, so they
/// may differ near a tie: about 0.1% to 0.4% of random inputs (d/dinput reads sigmoid(-|x|) from a
/// table of Doubles, below 2^-31 even where sigmoid(x) - y cancels: Kernels.c). Every other narrow
/// path carries 29 or more guard bits.
func allowedScalarDifferences<S>(_: S.Type, floatLanes: Bool, count: Int) -> Int {
    if S.self == Double.self { return count / 40 }
    if floatLanes && (S.self == Float16.self || S.self == BrainFloat16.self) { return count / 200 + 2 }
    return count / 100_000 + 2
}

/// `allowedScalarDifferences` for a result of the instruction-set tests, by its name: "<type>
/// logits=<Bool> ..." (VectorizedPathTests) or "<loss> <type> ..." (WeightedPathTests).
func allowedScalarDifferences(named name: String, count: Int) -> Int {
    let words = name.split(separator: " ")
    let floatLanes = words.contains("logits=true") || words.contains("bce_with_logits")
    if words.contains("Double") { return allowedScalarDifferences(Double.self, floatLanes: floatLanes, count: count) }
    if words.contains("Float16") { return allowedScalarDifferences(Float16.self, floatLanes: floatLanes, count: count) }
    if words.contains("BrainFloat16") { return allowedScalarDifferences(BrainFloat16.self, floatLanes: floatLanes, count: count) }
    return allowedScalarDifferences(Float.self, floatLanes: floatLanes, count: count)
}
