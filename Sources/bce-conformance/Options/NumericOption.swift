import ArgumentParser

/// The one parser of numeric command-line values: finite, in a stated range, no Int overflow, and a
/// message that names the option, the range and what was given (ArgumentParser's own conversion
/// accepts nan, inf and 1e400 for a Double, and the checks after it said "must be ≥ 0" for all three).
enum NumericOption {
    /// A Double in `range` (which is finite).
    static func double(_ text: String, _ option: String, _ range: ClosedRange<Double>, unit: String = "") throws -> Double {
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw ValidationError("\(option) must be a number\(unit) from \(show(range.lowerBound)) to \(show(range.upperBound)) (got \"\(text)\")")
        }
        return value
    }

    /// An Int in `range`, in decimal (no overflow: a value beyond Int's range is out of range).
    static func int(_ text: String, _ option: String, _ range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw ValidationError("\(option) must be a whole number from \(range.lowerBound) to \(range.upperBound) (got \"\(text)\")")
        }
        return value
    }

    static func show(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e18 ? String(Int(x)) : "\(x)"
    }

    /// `--max-ulp`: 0 to 10^15 ULP (beyond that nothing is strict; the reports print it exactly).
    static let maxULPRange: ClosedRange<Double> = 0...1e15

    static func maxULP(_ text: String) throws -> Double {
        try double(text, "--max-ulp", maxULPRange)
    }
}
