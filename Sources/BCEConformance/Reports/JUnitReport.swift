import SwiftBCEShared

/// `run --junit PATH`: one <testcase> per golden case, one <testsuite> per golden file, for CI dashboards.
/// Expected failures are <skipped> with the known-failure reason; unexpected passes pass with a note.
public enum JUnitReport {
    public static func render(_ report: RunReport) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let impl = report.implementation
        out += "<testsuites name=\"\(escape("bce-conformance: \(impl.name) \(impl.version)"))\" tests=\"\(report.results.count)\""
        out += " failures=\"\(report.count(.failed))\" errors=\"\(report.implementationFailure == nil ? 0 : 1)\" skipped=\"\(report.count(.notCovered) + report.count(.expectedFailure))\""
        out += " time=\"\(seconds(report.seconds))\">\n"
        let breakdown = breakdownProperties(RunBreakdown(report))
        var order = [String]()
        var byFile = [String: [CaseResult]]()
        for r in report.results {
            if byFile[r.file] == nil { order.append(r.file) }
            byFile[r.file, default: []].append(r)
        }
        for file in order {
            let results = byFile[file] ?? []
            let failures = results.filter { $0.status == .failed }.count
            let skipped = results.filter { $0.status == .notCovered || $0.status == .expectedFailure }.count
            let time = results.reduce(0) { $0 + $1.seconds }
            out += "  <testsuite name=\"\(escape(file))\" tests=\"\(results.count)\" failures=\"\(failures)\" errors=\"0\""
            out += " skipped=\"\(skipped)\" time=\"\(seconds(time))\">\n"
            out += "    <properties>\n"
            out += "      <property name=\"runner_version\" value=\"\(escape(SwiftBCEVersion.current))\"/>\n"
            out += "      <property name=\"suite_version\" value=\"\(escape(report.suite.suiteVersion))\"/>\n"
            out += "      <property name=\"manifest_sha256\" value=\"\(escape(report.suite.manifestSHA256))\"/>\n"
            for (name, value) in breakdown { out += "      <property name=\"\(name)\" value=\"\(escape(value))\"/>\n" }
            out += "    </properties>\n"
            for r in results {
                let classname = "\(r.loss.rawValue).\(r.dtype.rawValue).\(r.reduction.rawValue)"
                out += "    <testcase classname=\"\(escape(classname))\" name=\"\(escape(r.id))\" time=\"\(seconds(r.seconds))\""
                switch r.status {
                case .passed:
                    out += "/>\n"
                case .unexpectedPass:
                    out += ">\n      <system-out>\(escape("listed in --known-failures (\(r.knownFailureReason ?? "")) but passed"))</system-out>\n    </testcase>\n"
                case .failed:
                    let details = FailureDetail.of(r)
                    let first = details.first?.lines.first ?? "failed"
                    let body = TextReport.failureBlock(r, invocation: report.invocation)
                    out += ">\n      <failure message=\"\(escape(first))\" type=\"\(escape(details.first?.kind.rawValue ?? "conformance"))\">"
                    out += "\(escape(body))</failure>\n    </testcase>\n"
                case .expectedFailure:
                    out += ">\n      <skipped message=\"\(escape("expected failure: \(r.knownFailureReason ?? "")"))\"/>\n    </testcase>\n"
                case .notCovered:
                    out += ">\n      <skipped message=\"\(escape("not covered: \(r.notCoveredReason ?? "skipped")"))\"/>\n    </testcase>\n"
                }
            }
            out += "  </testsuite>\n"
        }
        if let failure = report.implementationFailure {
            out += "  <testsuite name=\"implementation\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0.000000\">\n"
            out += "    <testcase classname=\"implementation\" name=\"\(escape(failure.caseID ?? "start-up"))\" time=\"0.000000\">\n"
            out += "      <error message=\"\(escape(failure.message))\" type=\"implementation-broke\">\(escape(failure.description))</error>\n"
            out += "    </testcase>\n  </testsuite>\n"
        }
        out += "</testsuites>\n"
        return out
    }

    /// The whole run's failures by kind, flag and loss/dtype/reduction ("name=count ..."; empty
    /// when nothing failed), as properties of every test suite (JUnit has no run-level properties).
    static func breakdownProperties(_ b: RunBreakdown) -> [(String, String)] {
        let kinds = b.byKind.map { "\($0.kind.rawValue)=\($0.cases)" }
        let flags = b.byFlag.filter { $0.failed > 0 }.map { "\($0.name)=\($0.failed)" }
        let configurations = b.byConfiguration.filter { $0.failed > 0 }.map { "\($0.name)=\($0.failed)" }
        return [("failed_cases_by_kind", kinds.joined(separator: " ")), ("failed_cases_by_flag", flags.joined(separator: " ")),
                ("failed_cases_by_configuration", configurations.joined(separator: " "))]
    }

    /// Seconds as plain decimals (JUnit consumers reject exponents such as 1.2e-05).
    package static func seconds(_ t: Double) -> String {
        let micro = Int((max(t, 0) * 1e6).rounded())
        let fraction = String(micro % 1_000_000)
        return "\(micro / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    /// XML attribute/text escaping; control characters XML 1.0 forbids are replaced.
    package static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF { out += "?" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
