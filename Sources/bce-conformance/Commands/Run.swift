import ArgumentParser
import BCEConformance
import Foundation
import Synchronization

/// `bce-conformance run` (the default): every selected golden case against one implementation.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the golden cases against the Swift library (default) or a port, then summarise.",
        discussion: """
            Exit codes: 0 conformant (known failures allowed), 1 some case failed, 2 usage error, \
            3 golden files corrupt or of an unknown format version, 4 the port crashed, hung or broke the protocol.
            """)

    @OptionGroup var golden: GoldenOptions
    @OptionGroup var selection: SelectionOptions

    @Option(help: ArgumentHelp(
        "Check an external port instead of the Swift library: a shell command speaking the port protocol on stdin/stdout.",
        valueName: "command"))
    var port: String?

    @Option(help: ArgumentHelp("Seconds a port may take for one case (and for start-up) before it is killed.", valueName: "seconds"))
    var timeout: Double = 10

    @Option(name: .customLong("max-ulp"), help: ArgumentHelp(
        "Strict mode: also fail any value more than N ULP from the golden value (gradients measured at their grad_*_scale).",
        valueName: "N"))
    var maxULP: Double?

    @Option(name: .customLong("known-failures"), help: ArgumentHelp(
        "A file of known failures: one id pattern and a reason per line; such cases are reported as expected failures.",
        valueName: "file"))
    var knownFailuresPath: String?

    @Option(help: ArgumentHelp("Report format on stdout: text or json.", valueName: "format"))
    var format: ReportFormat = .text

    @Option(help: ArgumentHelp("Also write a JUnit XML report (one test case per golden case) to this path.", valueName: "path"))
    var junit: String?

    @Flag(name: .shortAndLong, help: "List every case in the text report, not only the failures.")
    var verbose = false

    enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    func validate() throws {
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") }
        if let maxULP { guard maxULP >= 0, maxULP.isFinite else { throw ValidationError("--max-ulp must be ≥ 0") } }
    }

    func run() async throws {
        let knownFailures = try loadKnownFailures()
        let suite = try golden.loadSuite()
        let cases = try selection.selection().select(suite.cases)
        warnAboutUnusedKnownFailures(knownFailures, cases)
        let runner = ConformanceRunner(policy: ComparisonPolicy(maxULP: maxULP), knownFailures: knownFailures)
        let identity = SuiteIdentity(suite.manifest)
        // Results are collected as they come, so a port that breaks still leaves a partial report.
        let completed = Mutex([CaseResult]())
        let announced = Mutex<ImplementationInfo?>(nil)
        let progress: @Sendable (CaseResult) -> Void = { result in completed.withLock { $0.append(result) } }
        let clock = ContinuousClock()
        let start = clock.now
        var report: RunReport
        do {
            if let port {
                report = try await PortProcessImplementation.with(command: port, timeout: .milliseconds(Int64(timeout * 1000))) {
                    implementation throws(ImplementationFailure) in
                    announced.withLock { $0 = implementation.info }
                    return try await runner.run(cases, on: implementation, suite: identity, progress: progress)
                }
            } else {
                report = try await runner.run(cases, on: SwiftLibraryImplementation(), suite: identity)
            }
        } catch {
            printError("bce-conformance: the port `\(port ?? "")` broke: \(error)")
            let info = announced.withLock { $0 } ?? ImplementationInfo(name: port ?? "?", language: "unknown", version: "unknown")
            let elapsed = clock.now - start
            report = RunReport(suite: identity, implementation: info, maxULP: maxULP, results: completed.withLock { $0 },
                               seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
                               implementationFailure: error)
            if format == .json { writeOut(JSONReport.render(report)) }
            try writeJUnit(report)
            throw ExitStatus.portBroken.exitCode
        }
        switch format {
        case .text: writeOut(TextReport.render(report, verbose: verbose))
        case .json: writeOut(JSONReport.render(report))
        }
        try writeJUnit(report)
        if !report.isConformant { throw ExitStatus.failures.exitCode }
    }

    private func writeJUnit(_ report: RunReport) throws {
        guard let junit else { return }
        do {
            try Data(JUnitReport.render(report).utf8).write(to: URL(fileURLWithPath: junit), options: .atomic)
        } catch {
            throw ValidationError("cannot write the JUnit report to \(junit): \(error.localizedDescription)")
        }
    }

    private func loadKnownFailures() throws -> KnownFailures {
        guard let knownFailuresPath else { return KnownFailures() }
        let text: String
        do {
            text = try String(contentsOfFile: knownFailuresPath, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read --known-failures \(knownFailuresPath): \(error.localizedDescription)")
        }
        do {
            return try KnownFailures.parse(text)
        } catch {
            throw ValidationError("--known-failures \(knownFailuresPath): \(error)")
        }
    }

    private func warnAboutUnusedKnownFailures(_ known: KnownFailures, _ cases: [GoldenCase]) {
        for entry in known.entries where !cases.contains(where: { IDPattern.matches(entry.pattern, $0.id) }) {
            printError("bce-conformance: warning: known failure \"\(entry.pattern)\" (line \(entry.line)) matches no selected case")
        }
    }
}
