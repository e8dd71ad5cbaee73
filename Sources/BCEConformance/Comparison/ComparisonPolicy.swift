import Foundation

/// The comparison policy (CONTRACTS sections 0 and 3), in one place. docs/RUNNER.md describes it.
///
/// - Shapes must be exactly equal.
/// - An element *matches* a reference element r when: r NaN and it is NaN (any payload); r
///   infinite and it is the same infinity; on cases flagged "signed-zero", r a zero and it a zero
///   of r's sign; otherwise |actual − r| ≤ atol + rtol·|r|, with the case's tolerance or the dtype
///   default (`matchProblem`).
/// - Default mode: each element passes when it matches the exact expected element or the same
///   element of any `acceptable` alternative that has that output (format version 2; e.g. PyTorch's
///   own CPU arithmetic). Each element on its own: one may match the exact value, the next an
///   alternative's.
/// - Strict mode (`maxULP`) ignores the alternatives: every element must match the exact value and
///   also |actual − expected| / ulp(max(|expected|, scale)) ≤ maxULP, where scale is the matching
///   `grad_*_scale` element (0 for the loss or when absent). The strict bound is the library's
///   accuracy promise, so it skips the bce_with_logits loss elements outside it: those whose two
///   terms (1 − y)·softplus(x) and p·y·softplus(−x) have opposite signs (`lossTermsMayCancel`); a
///   mean or sum skips it if any of its elements does. The match still applies.
/// - Errors and statistics are always measured against the exact value; a mismatch names the
///   exact value and every acceptable value it was compared with.
/// - An expected error needs an error of that kind; outputs where an error was expected fail, and
///   an error where outputs were expected fails.
public struct ComparisonPolicy: Sendable {
    /// Strict mode's bound in ULP, or nil for tolerance only.
    public var maxULP: Double?

    public init(maxULP: Double? = nil) {
        self.maxULP = maxULP
    }

    /// How many element mismatches a comparison keeps for the report (the count is always exact).
    public static let keptMismatches = 5

    public func compare(_ golden: GoldenCase, _ outcome: CaseOutcome) -> Comparison {
        var result = Comparison()
        switch (golden.expectation, outcome) {
        case (_, .skipped(let reason)):
            result.status = .skipped
            result.messages = [reason]
        case (.error(let expectedKind), .error(let kind, let message)):
            if kind != expectedKind {
                result.fail("expected error \(expectedKind), got error \(kind): \(message)")
            }
        case (.error(let expectedKind), .outputs):
            result.fail("expected error \(expectedKind), got a result")
        case (.outputs, .error(let kind, let message)):
            result.fail("expected a result, got error \(kind): \(message)")
        case (.outputs(let expected), .outputs(let actual)):
            compareTensor("loss", expected.loss, actual.loss, scale: nil, golden,
                          strict: Self.strictLossElements(golden, count: expected.loss.count), into: &result)
            if let e = expected.gradInput {
                if let a = actual.gradInput {
                    compareTensor("grad_input", e, a, scale: expected.gradInputScale, golden, into: &result)
                } else {
                    result.fail("grad_input is missing")
                }
            }
            if let e = expected.gradTarget {
                if let a = actual.gradTarget {
                    compareTensor("grad_target", e, a, scale: expected.gradTargetScale, golden, into: &result)
                } else {
                    result.fail("grad_target is missing")
                }
            }
        }
        return result
    }

    /// Why `actual` does not match the reference element `reference` (nil: it matches). The one
    /// definition of "matches", used against the exact value and against every alternative.
    static func matchProblem(_ actual: Double, _ reference: Double, tolerance: Tolerance, signedZero: Bool) -> String? {
        if reference.isNaN { return actual.isNaN ? nil : "not NaN" }
        if actual.isNaN { return "NaN instead of a number" }
        if reference.isInfinite || actual.isInfinite { return actual == reference ? nil : "infinities must match exactly" }
        if signedZero, reference == 0, !(actual == 0 && actual.sign == reference.sign) {
            return "sign of zero differs (case flagged signed-zero)"
        }
        if abs(actual - reference) > tolerance.atol + tolerance.rtol * abs(reference) {
            return "outside tolerance rtol \(tolerance.rtol) atol \(tolerance.atol)"
        }
        return nil
    }

    /// The flag a case carries exactly when its acceptance widens the verdict (CONTRACTS section 0).
    public static let widenedFlag = "pytorch-arithmetic"

    /// Where the first element of an acceptable alternative is that does not match the exact
    /// value (so accepting it widens the verdict there), as "source: output[index]"; nil if none.
    public static func firstWidening(_ golden: GoldenCase) -> String? {
        guard case .outputs(let expected) = golden.expectation else { return nil }
        let exact = ["loss": expected.loss, "grad_input": expected.gradInput, "grad_target": expected.gradTarget]
        for a in golden.acceptable {
            for name in GoldenCase.Alternative.outputNames {
                guard let t = a.output(name), let e = exact[name] ?? nil, t.count == e.count else { continue }
                for i in 0..<t.count where matchProblem(t.values[i], e.values[i], tolerance: golden.effectiveTolerance,
                                                        signedZero: golden.checksSignedZero) != nil {
                    return "\(a.source): \(name)[\(i)]"
                }
            }
        }
        return nil
    }

    /// The alternatives with a value for output `name`, as (source, tensor), in the case's order.
    /// None in strict mode, which measures against the exact value only.
    func alternatives(_ name: String, _ golden: GoldenCase, count: Int) -> [(source: String, values: [Double])] {
        guard maxULP == nil else { return [] }
        return golden.acceptable.compactMap { a in
            // The reader checked the shape; a hand-built case that did not is ignored rather than trapped on.
            guard let t = a.output(name), t.count == count else { return nil }
            return (a.source, t.values)
        }
    }

    /// Whether the bce_with_logits loss of target `y` and pos_weight `p` (1 without one) is a
    /// difference: its terms (1 − y)·softplus(x) and p·y·softplus(−x) have opposite signs, so an
    /// implementation evaluating it in finite precision (the reference included) is accurate
    /// relative to the larger term, not to the result. That is sign(1 − y)·sign(p)·sign(y) < 0:
    /// y outside [0, 1] with p > 0, or 0 < y < 1 with p < 0. False for y in [0, 1] with p ≥ 0 (the
    /// library's accuracy promise), for y = 0, y = 1 or p = 0 whatever the other is (one term),
    /// for y outside [0, 1] with p < 0 (two terms of one sign), and for NaN.
    public static func lossTermsMayCancel(target y: Double, posWeight p: Double) -> Bool {
        func sign(_ v: Double) -> Int { v > 0 ? 1 : (v < 0 ? -1 : 0) }
        return sign(1 - y) * sign(p) * sign(y) < 0
    }

    /// Per loss element, whether strict mode's ULP bound applies (nil: everywhere). Only
    /// bce_with_logits has elements outside the accuracy promise; a reduced loss (one element) is
    /// strict only if none of the elements it sums may cancel.
    static func strictLossElements(_ golden: GoldenCase, count: Int) -> [Bool]? {
        guard golden.loss == .bceWithLogits else { return nil }
        let target = golden.inputs.target
        let posWeight = golden.inputs.posWeight
        var strict = [Bool]()
        strict.reserveCapacity(target.count)
        var anyCancels = false
        for i in 0..<target.count {
            let p = posWeight.map { $0.values[broadcastIndex(i, from: target.shape, to: $0.shape)] } ?? 1
            let cancels = lossTermsMayCancel(target: target.values[i], posWeight: p)
            anyCancels = anyCancels || cancels
            strict.append(!cancels)
        }
        guard anyCancels else { return nil }
        if golden.reduction == .none { return strict.count == count ? strict : nil }
        return [Bool](repeating: false, count: count)
    }

    /// The flat index into a tensor of shape `small` (broadcast by trailing alignment, dims of
    /// size 1 repeated) of flat index `flat` of a tensor of shape `large`.
    package static func broadcastIndex(_ flat: Int, from large: [Int], to small: [Int]) -> Int {
        var rest = flat, index = 0, step = 1
        for k in (0..<large.count).reversed() {
            let coordinate = rest % max(large[k], 1)
            rest /= max(large[k], 1)
            let j = k - (large.count - small.count)
            guard j >= 0 else { break }
            if small[j] != 1 { index += coordinate * step }
            step *= small[j]
        }
        return index
    }

    /// Whether a ULP distance at `magnitude` (max(|expected|, scale)) says something about an
    /// element: in strict mode wherever the bound applies and the magnitude is not 0 (at 0 the
    /// ULP is the smallest subnormal, and the absolute error is reported instead); in default mode
    /// only where the tolerance is relative (rtol·magnitude ≥ atol): an element the atol decides
    /// (expected 6.4e-18 in float64, got 0) is judged by its absolute error, and its ULP count
    /// (8e15) would mislead.
    static func ulpsAreMeaningful(atMagnitude magnitude: Double, tolerance: Tolerance, strict: Bool) -> Bool {
        guard magnitude > 0 else { return false }
        return strict || tolerance.rtol * magnitude >= tolerance.atol
    }

    /// Compares one output element by element, accumulating the worst errors (against the exact
    /// value) and the mismatches. `strict` says per element whether strict mode's ULP bound
    /// applies (nil: everywhere).
    func compareTensor(_ name: String, _ expected: GoldenTensor, _ actual: GoldenTensor, scale: GoldenTensor?,
                       _ golden: GoldenCase, strict: [Bool]? = nil, into result: inout Comparison) {
        guard expected.shape == actual.shape, expected.count == actual.count else {
            result.fail("\(name): shape \(actual.shape), expected \(expected.shape)")
            return
        }
        let tolerance = golden.effectiveTolerance
        let signedZero = golden.checksSignedZero
        let dtype = golden.dtype
        let scales = scale.flatMap { $0.count == expected.count ? $0.values : nil }
        let others = alternatives(name, golden, count: expected.count)
        expected.values.withUnsafeBufferPointer { e in
            actual.values.withUnsafeBufferPointer { a in
                for i in 0..<e.count {
                    let ev = e[i], av = a[i]
                    var problem = Self.matchProblem(av, ev, tolerance: tolerance, signedZero: signedZero)
                    // ULPs reported for this element (nil where they mean nothing: see `ulpsAreMeaningful`).
                    var reportedULPs: Double?
                    var multiple = Double.infinity
                    if !ev.isNaN, !av.isNaN, !ev.isInfinite, !av.isInfinite {
                        let diff = abs(av - ev)
                        let magnitude = abs(ev)
                        let ulpMagnitude = max(magnitude, abs(scales?[i] ?? 0))
                        let ulps = diff / dtype.ulp(atMagnitude: ulpMagnitude)
                        let strictHere = maxULP != nil && (strict?[i] ?? true)
                        let meaningful = Self.ulpsAreMeaningful(atMagnitude: ulpMagnitude, tolerance: tolerance, strict: strictHere)
                        reportedULPs = meaningful ? ulps : nil
                        let allowed = tolerance.atol + tolerance.rtol * magnitude
                        multiple = allowed > 0 ? diff / allowed : (diff == 0 ? 0 : .infinity)
                        result.stats.record(output: name, index: i, expected: ev, actual: av,
                                            absolute: diff, ulps: meaningful ? ulps : nil)
                        if problem == nil, let maxULP, strictHere, ulps > maxULP {
                            problem = ulpMagnitude == 0
                                ? "abs error \(Comparison.format(diff)) where the exact value is 0: more than --max-ulp \(Comparison.format(maxULP)) × the smallest subnormal"
                                : "\(Comparison.format(ulps)) ULP > --max-ulp \(Comparison.format(maxULP))"
                        }
                    }
                    guard let exactProblem = problem else { continue }
                    if others.contains(where: { Self.matchProblem(av, $0.values[i], tolerance: tolerance, signedZero: signedZero) == nil }) {
                        result.acceptedElements += 1
                        continue
                    }
                    let acceptable = others.map { AcceptableValue(source: $0.source, value: $0.values[i]) }
                    result.addMismatch(Mismatch(output: name, index: i, expected: ev, actual: av,
                                                problem: acceptable.isEmpty ? exactProblem : exactProblem + ", and matches no acceptable value",
                                                acceptable: acceptable, ulps: reportedULPs, toleranceMultiple: multiple))
                }
            }
        }
    }
}

/// The result of comparing one case's outcome with its golden expectation.
public struct Comparison: Sendable {
    public enum Status: String, Sendable, Codable {
        case passed, failed, skipped
    }

    public var status: Status = .passed
    /// Case-level failure reasons (error kind mismatch, missing output, shape) or the skip reason.
    public var messages: [String] = []
    /// The first `ComparisonPolicy.keptMismatches` element mismatches.
    public var mismatches: [Mismatch] = []
    /// How many elements mismatched in all.
    public var mismatchCount = 0
    /// How many elements missed the exact value but matched an acceptable alternative (default mode).
    public var acceptedElements = 0
    public var stats = ErrorStats()

    mutating func fail(_ message: String) {
        status = .failed
        messages.append(message)
    }

    mutating func addMismatch(_ mismatch: Mismatch) {
        status = .failed
        mismatchCount += 1
        if mismatches.count < ComparisonPolicy.keptMismatches { mismatches.append(mismatch) }
    }

    /// One line per problem, for text reports, JUnit and test messages.
    public var summary: String {
        var lines = messages
        lines += mismatches.map(\.line)
        if mismatchCount > mismatches.count { lines.append("... \(mismatchCount - mismatches.count) more mismatching elements") }
        return lines.joined(separator: "\n")
    }

    static func format(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        return "\(x)"
    }

    /// Four significant digits (errors and distances, where the exact value is not the point).
    static func short(_ x: Double) -> String {
        guard x.isFinite else { return format(x) }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
        var s = String(format: "%.4g", x)
        if let e = s.range(of: "e") {
            // 1.5e-05 -> 1.5e-5, as Swift prints doubles.
            var exponent = String(s[e.upperBound...])
            let sign = exponent.hasPrefix("-") ? "-" : ""
            exponent = String(exponent.drop { $0 == "-" || $0 == "+" || $0 == "0" })
            s = String(s[..<e.lowerBound]) + "e" + sign + (exponent.isEmpty ? "0" : exponent)
        }
        return s
    }
}

/// One element that broke the policy.
public struct Mismatch: Sendable, Equatable {
    public var output: String
    public var index: Int
    /// The exact value.
    public var expected: Double
    public var actual: Double
    public var problem: String
    /// The acceptable alternatives' values the element was also compared with (default mode).
    public var acceptable: [AcceptableValue] = []
    /// The distance in ULP, where it is meaningful (`ComparisonPolicy.ulpsAreMeaningful`).
    public var ulps: Double?
    /// |actual − expected| / (atol + rtol·|expected|): how many tolerances off the exact value
    /// (infinite for a NaN or infinity that does not match); ranks failures for the "worst" line.
    public var toleranceMultiple: Double = 0

    /// |actual − expected|, when both are finite.
    public var absoluteError: Double? {
        expected.isFinite && actual.isFinite ? abs(actual - expected) : nil
    }

    /// |actual − expected| / |expected|, when both are finite and the expected value is not 0.
    public var relativeError: Double? {
        guard let a = absoluteError, expected != 0 else { return nil }
        return a / abs(expected)
    }

    /// "output[i]: expected E (exact) or A (acceptable: source), got G (errors): problem".
    public var line: String {
        var line = "\(output)[\(index)]: expected \(Comparison.format(expected))"
        if !acceptable.isEmpty {
            line += " (exact)" + acceptable.map { " or \(Comparison.format($0.value)) (acceptable: \($0.source))" }.joined()
        }
        return line + ", got \(Comparison.format(actual))\(errorsDescription): \(problem)"
    }

    /// " (abs error X, rel error Y[, N ULP])", or with an expected 0 " (abs error X; the exact
    /// value is 0)"; empty when either value is not finite.
    public var errorsDescription: String {
        guard let a = absoluteError, a > 0 else { return "" }
        guard let r = relativeError else { return " (abs error \(Comparison.short(a)); the exact value is 0)" }
        return " (abs error \(Comparison.short(a)), rel error \(Comparison.short(r))\(ulps.map { ", \(Comparison.short($0)) ULP" } ?? ""))"
    }
}

/// One acceptable alternative's value for a mismatching element, and where it comes from.
public struct AcceptableValue: Sendable, Equatable, Codable {
    public var source: String
    public var value: Double
    package init(source: String, value: Double) { (self.source, self.value) = (source, value) }
}

/// The worst absolute, relative and ULP errors over the finite elements of a case, with where
/// the worst ULP distance is.
public struct ErrorStats: Sendable, Equatable {
    public var maxAbsolute: Double = 0
    /// Over the elements whose exact value is not 0 (relative error means nothing at 0).
    public var maxRelative: Double = 0
    /// Over the elements where a ULP distance is meaningful (`ComparisonPolicy.ulpsAreMeaningful`).
    public var maxULP: Double = 0
    /// Where `maxULP` is: output name and flat index, with the two values.
    public var worstULPAt: Mismatch?
    /// The largest absolute error among the elements where ULPs are not meaningful (exact value 0,
    /// or in default mode a tolerance decided by atol), and where it is.
    public var maxAbsoluteWithoutULP: Double = 0
    public var worstAbsoluteWithoutULPAt: Mismatch?
    public var comparedElements = 0

    mutating func record(output: String, index: Int, expected: Double, actual: Double, absolute: Double, ulps: Double?) {
        comparedElements += 1
        maxAbsolute = max(maxAbsolute, absolute)
        if expected != 0 { maxRelative = max(maxRelative, absolute / abs(expected)) }
        if let ulps {
            if ulps > maxULP || (worstULPAt == nil && ulps >= maxULP) {
                maxULP = ulps
                worstULPAt = Mismatch(output: output, index: index, expected: expected, actual: actual, problem: "", ulps: ulps)
            }
        } else if absolute > maxAbsoluteWithoutULP {
            maxAbsoluteWithoutULP = absolute
            worstAbsoluteWithoutULPAt = Mismatch(output: output, index: index, expected: expected, actual: actual, problem: "")
        }
    }
}
