/// `live --port A --against B`: two implementations judged against each other (docs/RUNNER.md).
///
/// An element *disagrees* when A and B differ beyond the default tolerance of each other (neither
/// matches the other as its reference) and not both are acceptable by the default verdict (within
/// the default tolerance of the exact value or, when the judge has them, of PyTorch's CPU arithmetic); the report names which one is farther from the exact value. Error cases disagree when
/// one raises and the other does not, or the kinds differ. A case either skipped is not covered.
public struct PairOutcome: Sendable {
    public var a: CaseOutcome
    public var b: CaseOutcome
    public init(a: CaseOutcome, b: CaseOutcome) {
        self.a = a
        self.b = b
    }
}

public enum PairJudge {
    /// With `alternatives` (default mode), an element on which A and B disagree is judged again
    /// with the verdict's acceptance (CONTRACTS section 0): when each is within the default
    /// tolerance of the exact value or of PyTorch's CPU arithmetic, they do not disagree (e.g. a
    /// port against `torch_port.py` where PyTorch's float16 rounding is far from the exact value).
    public static func judge(capabilities: Capabilities, names: (a: String, b: String),
                             alternatives: PortFuzzer<PairOutcome>.Alternatives? = nil) -> PortFuzzer<PairOutcome>.Judge {
        { golden, pair throws(PortFuzzFailure) in
            if case .skipped(let reason) = pair.a { return .notCovered("\(names.a) skipped: \(reason)") }
            if case .skipped(let reason) = pair.b { return .notCovered("\(names.b) skipped: \(reason)") }
            let comparison = compare(capabilities.restricted(golden), pair, names: names)
            guard comparison.status == .failed, let alternatives, case .outputs = golden.expectation else {
                return .compared(golden, comparison)
            }
            let widened: GoldenCase
            do {
                widened = golden.with(acceptable: try alternatives(golden))
            } catch {
                throw .oracle(LiveFuzzer.OracleFailure(caseID: golden.id, message: "PyTorch's arithmetic: \(error)"))
            }
            return .compared(widened, compare(capabilities.restricted(widened), pair, names: names))
        }
    }

    static func describe(_ o: CaseOutcome) -> String {
        switch o {
        case .outputs: "a result"
        case .error(let kind, _): "error \(kind)"
        case .skipped(let reason): "skipped (\(reason))"
        }
    }

    package static func compare(_ golden: GoldenCase, _ pair: PairOutcome, names: (a: String, b: String)) -> Comparison {
        var result = Comparison()
        let exact: String
        switch golden.expectation {
        case .error(let kind): exact = "error \(kind)"
        case .outputs: exact = "a result"
        }
        switch (pair.a, pair.b) {
        case (.outputs(let a), .outputs(let b)):
            guard case .outputs(let e) = golden.expectation else {
                result.fail("both give a result where the reference raises \(exact)")
                return result
            }
            let fields: [(String, GoldenTensor?, GoldenTensor?, GoldenTensor?)] = [
                ("loss", e.loss, a.loss, b.loss), ("grad_input", e.gradInput, a.gradInput, b.gradInput),
                ("grad_target", e.gradTarget, a.gradTarget, b.gradTarget)]
            for (name, expected, av, bv) in fields {
                guard let expected else { continue }
                guard let av, let bv else {
                    result.fail("\(name) is missing from \(av == nil ? names.a : names.b)")
                    continue
                }
                guard av.shape == expected.shape, bv.shape == expected.shape else {
                    result.fail("\(name): shapes \(av.shape) (\(names.a)) and \(bv.shape) (\(names.b)), expected \(expected.shape)")
                    continue
                }
                compareElements(name, expected, av, bv, golden, names: names, into: &result)
            }
        case (.error(let ka, _), .error(let kb, _)):
            if ka != kb { result.fail("\(names.a) raises \(ka), \(names.b) raises \(kb); the reference: \(exact)") }
        default:
            let farther = describe(pair.a) == exact ? names.b : (describe(pair.b) == exact ? names.a : "both")
            result.fail("\(names.a) gives \(describe(pair.a)), \(names.b) gives \(describe(pair.b)); the reference: \(exact) "
                        + "(\(farther == "both" ? "neither matches it" : "\(farther) is wrong"))")
        }
        return result
    }

    static func compareElements(_ name: String, _ e: GoldenTensor, _ a: GoldenTensor, _ b: GoldenTensor, _ golden: GoldenCase,
                                names: (a: String, b: String), into result: inout Comparison) {
        let tol = golden.dtype.defaultTolerance
        let signed = golden.checksSignedZero
        // The exact value and each acceptable alternative's value of this output.
        let references = [e.values] + golden.acceptable.compactMap { $0.output(name) }.filter { $0.count == e.count }.map(\.values)
        for i in 0..<e.count {
            let x = a.values[i], y = b.values[i], r = e.values[i]
            func acceptable(_ v: Double) -> Bool {
                references.contains { ComparisonPolicy.matchProblem(v, $0[i], tolerance: tol, signedZero: signed) == nil }
            }
            let agree = ComparisonPolicy.matchProblem(x, y, tolerance: tol, signedZero: signed) == nil
                || ComparisonPolicy.matchProblem(y, x, tolerance: tol, signedZero: signed) == nil
            guard !agree, !(acceptable(x) && acceptable(y)) else { continue }
            let da = distance(x, r), db = distance(y, r)
            let farther = da == db ? "both equally far" : (da > db ? "\(names.a) is farther" : "\(names.b) is farther")
            result.addMismatch(Mismatch(output: name, index: i, expected: r, actual: x,
                                        problem: "\(names.a) \(Comparison.format(x)), \(names.b) \(Comparison.format(y)): "
                                            + "they disagree; \(farther) from the exact value"))
        }
    }

    /// How far `x` is from the exact `r` (NaN or a wrong infinity: infinitely far).
    static func distance(_ x: Double, _ r: Double) -> Double {
        if r.isNaN { return x.isNaN ? 0 : .infinity }
        if x.isNaN { return .infinity }
        if x == r { return 0 }
        if x.isInfinite || r.isInfinite { return .infinity }
        return abs(x - r)
    }
}
