import SwiftBCEShared

/// The readable report `run` prints by default: one block per case that needs attention, then a summary.
public enum TextReport {
    public static func render(_ report: RunReport, verbose: Bool = false) -> String {
        var out = ""
        for r in report.results {
            switch r.status {
            case .failed:
                out += "FAIL \(r.id)\n" + indent(failureBlock(r, invocation: report.invocation))
            case .expectedFailure:
                if verbose { out += "XFAIL \(r.id) (known failure: \(r.knownFailureReason ?? ""))\n" + indent(failureBlock(r, invocation: report.invocation)) }
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
        out += summary(report, verbose: verbose)
        return out
    }

    public static func summary(_ report: RunReport, verbose: Bool = false) -> String {
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
        out += breakdown(report, verbose: verbose)
        out += worstLines(report)
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

    /// A failing case: its flags and comment, each problem with the inputs at the failing
    /// element and its kind, and how to reproduce it.
    public static func failureBlock(_ r: CaseResult, invocation: Invocation?) -> String {
        var lines = ["flags: " + (r.flags.isEmpty ? "(none)" : r.flags.joined(separator: ", "))]
        if !r.golden.comment.isEmpty { lines.append("comment: " + r.golden.comment) }
        for detail in FailureDetail.of(r) { lines += detail.lines }
        if r.comparison.mismatchCount > r.comparison.mismatches.count {
            lines.append("... \(r.comparison.mismatchCount - r.comparison.mismatches.count) more mismatching elements")
        }
        if let invocation {
            lines.append("reproduce: " + invocation.command(for: r.id))
            lines.append("request:   " + invocation.requestCommand(for: r.id))
        }
        return lines.joined(separator: "\n")
    }

    /// The breakdown of the failures by kind of problem, by flag and by loss/dtype/reduction
    /// (rows with a failure; with `verbose`, every row).
    public static func breakdown(_ report: RunReport, verbose: Bool) -> String {
        let b = RunBreakdown(report)
        var out = ""
        if !b.byKind.isEmpty {
            out += "failures by kind of problem (failing cases; problems among the reported elements; an example):\n"
            for k in b.byKind {
                out += "  " + pad(k.kind.title, 34) + pad("\(k.cases) cases", 12) + pad("\(k.problems) problems", 14) + k.example + "\n"
            }
        }
        for (title, rows) in [("by flag", b.byFlag), ("by loss/dtype/reduction", b.byConfiguration)] {
            let shown = verbose ? rows : rows.filter { $0.failed > 0 }
            guard !shown.isEmpty else { continue }
            out += "failures \(title):\n"
            for row in shown { out += "  " + pad(row.name, 34) + row.description + "\n" }
        }
        return out
    }

    /// "worst failure: ..." among the failing elements (the most tolerances off the exact value;
    /// a NaN or infinity that should not be one first); when nothing failed, the worst passing
    /// distance in ULP where ULPs mean something, and the largest absolute error elsewhere.
    public static func worstLines(_ report: RunReport) -> String {
        var worstFailure: (CaseResult, Mismatch)?
        for r in report.results where r.status == .failed {
            for m in r.comparison.mismatches where worstFailure == nil || m.toleranceMultiple > worstFailure!.1.toleranceMultiple {
                worstFailure = (r, m)
            }
        }
        if let (r, m) = worstFailure {
            return "worst failure: \(r.id) \(m.output)[\(m.index)]: expected \(Comparison.format(m.expected)), got \(Comparison.format(m.actual))"
                + "\(m.errorsDescription): \(m.problem)\n"
        }
        if report.results.contains(where: { $0.status == .failed }) { return "" }
        var out = ""
        let passing = report.results.filter { $0.status == .passed || $0.status == .unexpectedPass }
        if let worst = passing.filter({ $0.comparison.stats.worstULPAt != nil }).max(by: { $0.comparison.stats.maxULP < $1.comparison.stats.maxULP }),
           let at = worst.comparison.stats.worstULPAt {
            out += "worst passing distance: \(format(worst.comparison.stats.maxULP)) ULP at \(worst.id) \(at.output)[\(at.index)]"
            out += " (expected \(Comparison.format(at.expected)), got \(Comparison.format(at.actual)))\n"
        }
        if let worst = passing.max(by: { $0.comparison.stats.maxAbsoluteWithoutULP < $1.comparison.stats.maxAbsoluteWithoutULP }),
           let at = worst.comparison.stats.worstAbsoluteWithoutULPAt {
            out += "largest passing absolute error where the tolerance is absolute (atol) or the exact value 0: "
            out += "\(Comparison.short(worst.comparison.stats.maxAbsoluteWithoutULP)) at \(worst.id) \(at.output)[\(at.index)]"
            out += " (expected \(Comparison.format(at.expected)), got \(Comparison.format(at.actual)))\n"
        }
        return out
    }

    /// The runner's version, as `--version` prints it (for the reports that do not import it themselves).
    public static var runnerVersion: String { SwiftBCEVersion.current }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
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
