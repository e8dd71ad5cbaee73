import ArgumentParser
import BCEConformance
import BCEConformanceSwiftLibrary
import Foundation
import Synchronization

/// `bce-conformance run` (the default): every selected golden case against one implementation.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the golden cases against the Swift library (default) or a port, then summarise.",
        discussion: """
            Exit codes: 0 conformant (known failures allowed), 1 some case failed, or no case was compared \
            (NOTHING COMPARED), or --require-full-coverage and a case was not covered, 2 usage error (also: no case \
            selected), 3 golden files corrupt or of an unknown format version, 4 the port crashed, hung or broke \
            the protocol, 5 a report could not be written; 128 + N when stopped by signal N (SIGINT, SIGTERM, \
            SIGHUP: the port's processes are killed and the partial report is written first).
            """)

    @OptionGroup var golden: GoldenOptions
    @OptionGroup var selection: SelectionOptions

    @Option(help: ArgumentHelp(
        "Check an external port instead of the Swift library: a shell command speaking the port protocol on stdin/stdout.",
        valueName: "command"))
    var port: String?

    @Option(help: ArgumentHelp("Seconds a port may take for one case (and for start-up) before it is killed (0.001 to 1000000).",
                               valueName: "seconds"), transform: { try NumericOption.double($0, "--timeout", Run.timeoutRange, unit: " of seconds") })
    var timeout: Double = 10

    static let timeoutRange: ClosedRange<Double> = 0.001...1_000_000

    @Option(name: .customLong("exit-grace"), help: ArgumentHelp(
        "Seconds the port may take to exit after \"stop\" before it is killed and the run is \"port broke\" (default: the --timeout).",
        valueName: "seconds"), transform: { try NumericOption.double($0, "--exit-grace", Run.timeoutRange, unit: " of seconds") })
    var exitGrace: Double?

    @Flag(name: .customLong("require-full-coverage"), help: "Fail the run (exit 1) if any case is not covered by the port's declared capabilities.")
    var requireFullCoverage = false

    @Option(name: .customLong("max-ulp"), help: ArgumentHelp(
        "Strict mode: also fail any value more than N ULP from the golden value (gradients measured at their grad_*_scale).",
        valueName: "N"), transform: NumericOption.maxULP)
    var maxULP: Double?

    @Option(name: .customLong("known-failures"), help: ArgumentHelp(
        "A file of known failures: one id pattern and a reason per line; such cases are reported as expected failures.",
        valueName: "file"))
    var knownFailuresPath: String?

    @Option(help: ArgumentHelp("Report format on stdout: text or json.", valueName: "format"))
    var format: ReportFormat = .text

    @Option(help: ArgumentHelp("Also write a JUnit XML report (one test case per golden case) to this path.", valueName: "path"))
    var junit: String?

    @Option(help: ArgumentHelp("Also write a self-contained HTML report (summary, flags × outcome heatmap, every failure with its inputs) to this path.",
                               valueName: "path"))
    var html: String?

    @Flag(name: .shortAndLong, help: "List every case in the text report, not only the failures.")
    var verbose = false

    enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    func validate() throws {
        if let port, port.allSatisfy(\.isWhitespace) { throw ValidationError("--port needs a command (got \"\(port)\")") }
    }

    func run() async throws {
        let knownFailures = try loadKnownFailures()
        let suite = try golden.loadSuite()
        let cases = try selection.selectChecked(suite)
        warnAboutUnusedKnownFailures(knownFailures, cases)
        var runner = ConformanceRunner(policy: ComparisonPolicy(maxULP: maxULP), knownFailures: knownFailures)
        runner.requireFullCoverage = requireFullCoverage
        let requireFullCoverage = self.requireFullCoverage
        let identity = SuiteIdentity(suite.manifest)
        // Results are collected as they come, so a port that breaks still leaves a partial report.
        let completed = Mutex([CaseResult]())
        let announced = Mutex<ImplementationInfo?>(nil)
        let progress: @Sendable (CaseResult) -> Void = { result in completed.withLock { $0.append(result) } }
        let invocation = self.invocation
        let clock = ContinuousClock()
        let start = clock.now
        @Sendable func partial(_ failure: ImplementationFailure) -> RunReport {
            let info = announced.withLock { $0 } ?? ImplementationInfo(name: port ?? "?", language: "unknown", version: "unknown")
            let elapsed = clock.now - start
            var report = RunReport(suite: identity, implementation: info, maxULP: maxULP, results: completed.withLock { $0 },
                                   seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
                                   implementationFailure: failure, requireFullCoverage: requireFullCoverage)
            report.invocation = invocation
            return report
        }
        if port != nil {
            // On SIGINT/SIGTERM/SIGHUP: the port tree is killed (Interrupts), then what was found is written.
            let format = self.format, verbose = self.verbose, junit = self.junit, html = self.html
            Interrupts.install { sig in
                let report = partial(ImplementationFailure(caseID: nil, message: "the run was interrupted by \(Interrupts.name(sig))"))
                try? Run.writeReports(report, format: format, verbose: verbose, junit: junit, html: html)
            }
        }
        var report: RunReport
        do {
            if let port {
                report = try await PortProcessImplementation.with(
                    command: port, timeout: .nanoseconds(Int64(timeout * 1e9)),
                    exitGrace: .nanoseconds(Int64((exitGrace ?? timeout) * 1e9))) {
                    implementation throws(ImplementationFailure) in
                    announced.withLock { $0 = implementation.info }
                    return try await runner.run(cases, on: implementation, suite: identity, progress: progress)
                }
            } else {
                report = try await runner.run(cases, on: SwiftLibraryImplementation(), suite: identity)
            }
        } catch {
            Interrupts.deferToHandlerIfInterrupted()
            printError("bce-conformance: the port `\(port ?? "")` broke: \(error)")
            // The partial report, in the requested format (text too), then exit 4.
            try Run.writeReports(partial(error), format: format, verbose: verbose, junit: junit, html: html)
            throw ExitStatus.portBroken.exitCode
        }
        Interrupts.deferToHandlerIfInterrupted()
        report.invocation = invocation
        try Run.writeReports(report, format: format, verbose: verbose, junit: junit, html: html)
        if !report.isConformant { throw ExitStatus.failures.exitCode }
    }

    /// The report on stdout and, with --junit, to its file (FileIO: written through FIFOs and devices).
    /// Written once: by the run, or by the signal handler (which waits for a write in progress).
    /// How this run was invoked, for the reports' reproduction commands: the port and the options
    /// that change a verdict (not the selection, which `--id =ID` replaces).
    var invocation: Invocation {
        var options = [String]()
        if let maxULP { options += ["--max-ulp", TextReport.format(maxULP, digits: 6)] }
        if timeout != 10 { options += ["--timeout", TextReport.format(timeout, digits: 6)] }
        if let directory = golden.directory { options += ["--golden", directory] }
        return Invocation(port: port, options: options)
    }

    static func writeReports(_ report: RunReport, format: ReportFormat, verbose: Bool, junit: String?, html: String?) throws {
        try reportWritten.withLock { written in
            guard !written else { return }
            written = true
            switch format {
            case .text: try writeOut(TextReport.render(report, verbose: verbose))
            case .json: try writeOut(JSONReport.render(report))
            }
            if let junit { try writeReportFile(JUnitReport.render(report), to: junit, option: "--junit") }
            if let html { try writeReportFile(HTMLReport.render(report), to: html, option: "--html") }
        }
    }

    private static let reportWritten = Mutex(false)

    /// Largest --known-failures file read (the suite has about a thousand cases; a line each is far less).
    static let knownFailuresLimit = 1 << 20

    private func loadKnownFailures() throws -> KnownFailures {
        guard let knownFailuresPath else { return KnownFailures() }
        let text: String
        do throws(FileIO.Failure) {
            text = String(decoding: try FileIO.readRegularFile(knownFailuresPath, limit: Self.knownFailuresLimit), as: UTF8.self)
        } catch {
            throw ValidationError("cannot read --known-failures: \(error)")
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
