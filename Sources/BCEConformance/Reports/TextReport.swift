import BinaryCrossEntropy

/// The readable report `run` prints by default: one block per case that needs attention, then a summary.
public enum TextReport {
    public static func render(_ report: RunReport, verbose: Bool = false) -> String {
        var out = ""
        for r in report.results {
            switch r.status {
            case .failed:
                out += "FAIL \(r.id)\n" + indent(r.comparison.summary)
            case .expectedFailure:
                if verbose { out += "XFAIL \(r.id) (known failure: \(r.knownFailureReason ?? ""))\n" + indent(r.comparison.summary) }
            case .unexpectedPass:
                out += "XPASS \(r.id): listed in --known-failures (\(r.knownFailureReason ?? "")) but passed; remove the entry\n"
            case .notCovered:
                if verbose { out += "NOT COVERED \(r.id): \(r.notCoveredReason ?? "")\n" }
            case .passed:
                if verbose {
                    let accepted = r.comparison.acceptedElements
                    out += "ok   \(r.id)  (max \(format(r.comparison.stats.maxULP)) ULP"
                    out += accepted > 0 ? ", \(accepted) by an acceptable alternative)\n" : ")\n"
                }
            }
        }
        out += summary(report)
        return out
    }

    public static func summary(_ report: RunReport) -> String {
        let impl = report.implementation
        var out = "\n\(impl.name) \(impl.version) (\(impl.language)) against golden suite \(report.suite.suiteVersion)"
        out += " (manifest sha256 \(report.suite.manifestSHA256.prefix(12))), runner bce-conformance \(SwiftBCEVersion.current)"
        if let maxULP = report.maxULP { out += ", strict mode --max-ulp \(format(maxULP))" }
        out += "\n\(report.results.count) cases: \(report.count(.passed)) passed, \(report.count(.failed)) failed, \(report.count(.notCovered)) not covered"
        let xfail = report.count(.expectedFailure), xpass = report.count(.unexpectedPass)
        if xfail > 0 { out += ", \(xfail) expected failures" }
        if xpass > 0 { out += ", \(xpass) known failures passed" }
        out += " in \(format(report.seconds, digits: 3)) s\n"
        let accepted = report.results.filter { $0.status == .passed && $0.comparison.acceptedElements > 0 }
        if !accepted.isEmpty {
            let elements = accepted.reduce(0) { $0 + $1.comparison.acceptedElements }
            out += "\(accepted.count) of the passed cases passed through acceptable alternatives (\(elements) "
            out += elements == 1 ? "element matches" : "elements match"
            out += " an alternative, such as PyTorch's own arithmetic, not the exact value)\n"
        }
        if let worst = report.worstULP, let at = worst.comparison.stats.worstULPAt {
            out += "worst: \(format(worst.comparison.stats.maxULP)) ULP at \(worst.id) \(at.output)[\(at.index)]"
            out += " (expected \(Comparison.format(at.expected)), got \(Comparison.format(at.actual)))\n"
        }
        if let failure = report.implementationFailure {
            out += "the implementation broke\(failure.caseID.map { " on case \($0)" } ?? ""): \(failure.message)\n"
        }
        out += coverageLines(report)
        out += report.verdict.rawValue + "\n"
        return out
    }

    /// "conformant for: ..." (when CONFORMANT) and "not covered: N cases (by reason)" (CONTRACTS 5.1).
    public static func coverageLines(_ report: RunReport) -> String {
        let coverage = report.coverage
        var out = ""
        if report.verdict == .conformant { out += "conformant for: \(report.implementation.capabilities.conformantFor)\n" }
        if coverage.notCovered > 0 {
            out += "not covered: \(coverage.notCoveredSummary)"
            out += report.requireFullCoverage ? " (--require-full-coverage: not conformant)\n" : "\n"
        }
        if !coverage.outputsNotCovered.isEmpty {
            out += "outputs not compared (not declared): "
            out += coverage.outputsNotCovered.sorted { $0.key < $1.key }.map { "\($0.key) on \($0.value) cases" }.joined(separator: ", ")
            out += report.requireFullCoverage ? " (--require-full-coverage: not conformant)\n" : "\n"
        }
        if let notes = report.implementation.capabilities.notes { out += "port notes: \(notes)\n" }
        if report.verdict == .nothingCompared { out += "no case was compared: a run that compares nothing is never conformant\n" }
        return out
    }

    public static func indent(_ text: String) -> String {
        text.isEmpty ? "" : text.split(separator: "\n", omittingEmptySubsequences: false).map { "    \($0)\n" }.joined()
    }

    public static func format(_ x: Double, digits: Int = 2) -> String {
        guard x.isFinite else { return Comparison.format(x) }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        return "\((x * scale).rounded() / scale)"
    }
}
