/// `run --html PATH`: one self-contained page (inline CSS and a few lines of inline JS, nothing
/// fetched): the verdict, the summary as a table, the breakdown by kind of problem and by
/// loss/dtype/reduction, a heatmap of flags × outcome, and every failing case as a <details>
/// element that opens to its comment, flags, failing elements with their inputs, and the commands
/// that reproduce it. The same model as the text report (`FailureDetail`, `RunBreakdown`).
///
/// Stable hooks for tests and scripts: `<table id="summary">` rows `tr[data-status]`,
/// `<table id="heatmap">` rows `tr[data-flag]` with cells `td[data-status]`, and each failure
/// `<details class="failure" data-case="ID">` with `tr.element` rows.
public enum HTMLReport {
    public static func render(_ report: RunReport) -> String {
        let b = RunBreakdown(report)
        let impl = report.implementation
        let verdict = report.verdict.rawValue
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e("bce-conformance: \(impl.name) \(impl.version): \(verdict)"))</title>
            <style>\(style)</style></head><body>
            <h1>\(e(impl.name)) \(e(impl.version)) <small>(\(e(impl.language)))</small></h1>
            <p>Golden suite \(e(report.suite.suiteVersion)) (manifest sha256 <code>\(e(String(report.suite.manifestSHA256.prefix(12))))</code>),
            runner bce-conformance \(e(TextReport.runnerVersion))\(report.maxULP.map { ", strict mode --max-ulp \(e(TextReport.format($0)))" } ?? ""),
            \(report.results.count) cases in \(e(TextReport.format(report.seconds, digits: 3))) s.</p>
            <p id="verdict" class="\(report.isConformant ? "ok" : "bad")">\(verdict)</p>

            """
        if let failure = report.implementationFailure {
            out += "<p class=\"bad\" id=\"implementation-failure\">The implementation broke\(e(failure.caseID.map { " on case \($0)" } ?? "")): "
            out += "\(e(failure.message))</p>\n<pre>\(e(failure.stderrTail))</pre>\n"
        }

        out += "<h2>Summary</h2>\n<table id=\"summary\"><tr><th>outcome</th><th>cases</th></tr>\n"
        for status in CaseStatus.allCases {
            out += "<tr data-status=\"\(status.rawValue)\"><td>\(e(label(status.rawValue)))</td><td>\(report.count(status))</td></tr>\n"
        }
        out += "</table>\n"
        out += coverage(report)

        if !b.byKind.isEmpty {
            out += "<h2>Failures by kind of problem</h2>\n<table id=\"kinds\"><tr><th>kind</th><th>failing cases</th><th>problems</th><th>example</th></tr>\n"
            for k in b.byKind {
                out += "<tr data-kind=\"\(k.kind.rawValue)\"><td>\(e(k.kind.title))</td><td>\(k.cases)</td><td>\(k.problems)</td>"
                out += "<td><a href=\"#\(anchor(k.example))\">\(e(k.example))</a></td></tr>\n"
            }
            out += "</table>\n"
        }

        let statuses = CaseStatus.allCases.map(\.rawValue).filter { s in b.byConfiguration.contains { $0.statuses[s] != nil } }
        out += "<h2>By loss, dtype and reduction</h2>\n" + table(id: "configurations", rows: b.byConfiguration, statuses: statuses, attribute: "data-configuration")
        out += "<h2>Flags × outcome</h2>\n<p>Each cell: how many cases with the flag ended so; the colour is the share of the flag's cases.</p>\n"
        out += table(id: "heatmap", rows: b.byFlag, statuses: statuses, attribute: "data-flag")

        let failing = report.results.filter { $0.status == .failed }
        out += "<h2>Failures (\(failing.count))</h2>\n"
        if !failing.isEmpty { out += "<p><button type=\"button\" onclick=\"toggleAll(true)\">open all</button> <button type=\"button\" onclick=\"toggleAll(false)\">close all</button></p>\n" }
        for r in failing { out += failure(r, invocation: report.invocation) }
        out += "<script>function toggleAll(open) { document.querySelectorAll('details.failure').forEach(d => d.open = open); }</script>\n"
        out += "</body></html>\n"
        return out
    }

    /// What the verdict covers (CONTRACTS 5.1): "conformant for", and the cases and outputs not
    /// covered, by reason, as a table.
    static func coverage(_ report: RunReport) -> String {
        let c = report.coverage
        var out = ""
        if report.verdict == .conformant {
            out += "<p id=\"conformant-for\">conformant for: \(e(report.implementation.capabilities.conformantFor))</p>\n"
        }
        if report.verdict == .nothingCompared {
            out += "<p class=\"bad\">No case was compared: a run that compares nothing is never conformant.</p>\n"
        }
        if c.notCovered > 0 || !c.outputsNotCovered.isEmpty {
            out += "<h2>Not covered</h2>\n<table id=\"not-covered\"><tr><th>reason</th><th>cases</th></tr>\n"
            for (reason, n) in c.byReason.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                out += "<tr data-reason=\"\(e(reason))\"><td>\(e(reason))</td><td>\(n)</td></tr>\n"
            }
            for (output, n) in c.outputsNotCovered.sorted(by: { $0.key < $1.key }) {
                out += "<tr data-output=\"\(e(output))\"><td>\(e(output)) not compared (not declared)</td><td>\(n)</td></tr>\n"
            }
            out += "</table>\n"
            if report.requireFullCoverage { out += "<p class=\"bad\">--require-full-coverage: not conformant.</p>\n" }
        }
        if let notes = report.implementation.capabilities.notes { out += "<p>port notes: \(e(notes))</p>\n" }
        return out
    }

    /// A breakdown table whose cells are shaded by their share of the row (failures red, passes green).
    static func table(id: String, rows: [RunBreakdown.Row], statuses: [String], attribute: String) -> String {
        var out = "<table id=\"\(id)\" class=\"heat\"><tr><th></th>" + statuses.map { "<th>\(e(label($0)))</th>" }.joined() + "<th>cases</th></tr>\n"
        for row in rows {
            out += "<tr \(attribute)=\"\(e(row.name))\"><th>\(e(row.name))</th>"
            for s in statuses {
                let n = row.statuses[s] ?? 0
                let share = row.cases > 0 ? Double(n) / Double(row.cases) : 0
                let hue = s == CaseStatus.failed.rawValue ? 0 : (s == CaseStatus.passed.rawValue ? 120 : 220)
                let lightness = n == 0 ? 97 : Int(90 - 45 * share)
                out += "<td data-status=\"\(s)\" style=\"background:hsl(\(hue),70%,\(lightness)%)\">\(n)</td>"
            }
            out += "<td>\(row.cases)</td></tr>\n"
        }
        return out + "</table>\n"
    }

    static func failure(_ r: CaseResult, invocation: Invocation?) -> String {
        let details = FailureDetail.of(r)
        let headline = details.first.map { ($0.mismatch.map { "\($0.output)[\($0.index)]" } ?? $0.message ?? "") + " · " + $0.kind.title } ?? ""
        var out = "<details class=\"failure\" id=\"\(anchor(r.id))\" data-case=\"\(e(r.id))\"><summary><code>\(e(r.id))</code> \(e(headline))</summary>\n"
        out += "<p class=\"flags\">flags: " + r.flags.map { "<span class=\"flag\">\(e($0))</span>" }.joined(separator: " ") + "</p>\n"
        if !r.golden.comment.isEmpty { out += "<p class=\"comment\">\(e(r.golden.comment))</p>\n" }
        for d in details {
            out += "<div class=\"problem\" data-kind=\"\(d.kind.rawValue)\">"
            if let message = d.message { out += "<p>\(e(message))</p>" }
            if let m = d.mismatch {
                out += "<p><b>\(e(m.output))[\(m.index)]</b>: expected \(e(Comparison.format(m.expected)))"
                for a in m.acceptable { out += " or \(e(Comparison.format(a.value))) (acceptable: \(e(a.source)))" }
                out += ", got <b>\(e(Comparison.format(m.actual)))</b>\(e(m.errorsDescription)): \(e(m.problem))</p>"
            }
            out += "<p>kind: \(e(d.kind.title))\(e(d.note.map { " (\($0))" } ?? ""))"
            if let n = d.reducedOver { out += "; a reduction of \(n) element\(n == 1 ? "" : "s")\(d.elements.isEmpty ? "" : ", among them:")" }
            out += "</p>\n"
            if let first = d.elements.first {
                let names = first.named.map(\.name)
                out += "<table class=\"inputs\"><tr><th>element</th>" + names.map { "<th>\(e($0))</th>" }.joined() + "</tr>\n"
                for el in d.elements {
                    out += "<tr class=\"element\" data-element=\"\(el.element)\"><td>\(el.element)</td>"
                    for (_, v) in el.named { out += "<td>\(e(Comparison.format(v.value)))<sub>[\(v.index)]</sub></td>" }
                    out += "</tr>\n"
                }
                out += "</table>\n"
            }
            out += "</div>\n"
        }
        if r.comparison.mismatchCount > r.comparison.mismatches.count {
            out += "<p>… \(r.comparison.mismatchCount - r.comparison.mismatches.count) more mismatching elements</p>\n"
        }
        if let invocation {
            out += "<p>reproduce:</p><pre class=\"reproduce\">\(e(invocation.command(for: r.id)))</pre>\n"
            out += "<p>the request line:</p><pre class=\"request\">\(e(invocation.requestCommand(for: r.id)))</pre>\n"
        }
        return out + "</details>\n"
    }

    static func label(_ status: String) -> String { status.replacingOccurrences(of: "_", with: " ") }

    /// An id attribute for a case id (ids are printable ASCII; "/" and "." are fine in HTML5 ids).
    static func anchor(_ id: String) -> String { "case-" + e(id) }

    static func e(_ text: String) -> String { JUnitReport.escape(text) }

    static let style = """
        body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:80em}
        table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}
        th:first-child{text-align:left}.ok{color:#080;font-weight:bold}.bad{color:#b00;font-weight:bold}
        details.failure{border:1px solid #e0b0b0;border-radius:4px;margin:.4em 0;padding:.3em .6em}
        details.failure summary{cursor:pointer}pre{background:#f4f4f4;padding:.4em;overflow-x:auto;white-space:pre-wrap}
        .flag{background:#eef;border-radius:3px;padding:0 .3em;font-size:90%}.comment{font-style:italic}
        sub{color:#888}
        """
}
