import ArgumentParser
import BCEConformance
import BCEConformanceSwiftLibrary
import Foundation
import Synchronization

/// `bce-conformance live`: differential fuzzing of the Swift library, or of a port, against the NumPy reference.
struct Live: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fuzz the Swift library (or --port) against the NumPy reference (scripts/bce_reference.py) in the embedded interpreter.",
        discussion: """
            Random shapes, dtypes, options and values, biased towards edges (0, 1, subnormals, huge logits). \
            A mismatch is shrunk to the smallest failing shape and printed as a ready-to-paste golden case, \
            with the command that reproduces it. With --port, the cases are drawn inside the port's declared \
            capabilities and judged as `run` judges them (the exact value or PyTorch's CPU arithmetic; \
            --max-ulp N: strict). Exit codes: 0 no mismatch, 1 mismatch (or nothing compared), 2 usage error, \
            4 the reference failed (a Python exception other than BCEReferenceError), or the port broke.
            """)

    @Option(help: ArgumentHelp("Fuzz an external port instead of the Swift library: a shell command speaking the port protocol.",
                               valueName: "command"))
    var port: String?

    @Option(help: ArgumentHelp(
        "With --port: fuzz the port against this second port (e.g. scripts/ports/torch_port.py) instead of only against the reference.",
        valueName: "command"))
    var against: String?

    @Option(help: ArgumentHelp("With --port: seconds a port may take for one batch reply (and start-up) before it is killed.",
                               valueName: "seconds"), transform: { try NumericOption.double($0, "--timeout", Run.timeoutRange, unit: " of seconds") })
    var timeout: Double = 10

    @Option(name: .customLong("exit-grace"), help: ArgumentHelp("With --port: seconds it may take to exit after \"stop\" (default: the --timeout).",
                                                               valueName: "seconds"),
            transform: { try NumericOption.double($0, "--exit-grace", Run.timeoutRange, unit: " of seconds") })
    var exitGrace: Double?

    @OptionGroup var scripts: ScriptsOptions

    @Option(help: "How many random cases to try (1 to 10^12).", transform: { try NumericOption.int($0, "--cases", 1...1_000_000_000_000) })
    var cases: Int = 1000

    @Option(help: "The random seed (default: from the clock; printed so a run can be repeated).")
    var seed: UInt64?

    @Option(help: "The index of the first case (case k of a seed is reproducible on its own: --first k --cases 1).",
            transform: { try NumericOption.int($0, "--first", 0...Int.max) })
    var first: Int = 0

    @Option(name: .customLong("max-ulp"), help: ArgumentHelp(
        "The strict ULP bound, as in run --max-ulp (default: 2 for the Swift library; none for --port, which is then judged as run judges it).",
        valueName: "N"), transform: NumericOption.maxULP)
    var maxULP: Double?

    @Option(help: "Stop after this many mismatches.", transform: { try NumericOption.int($0, "--max-mismatches", 1...Int.max) })
    var maxMismatches: Int = 1

    @Option(help: "Element types to draw cases from, comma-separated (default: all).")
    var dtypes: String?

    /// The parsed --dtypes (every dtype when absent).
    func dtypeList() throws -> [DType] {
        guard let dtypes else { return DType.allCases }
        return try DTypeList.parse(dtypes)
    }

    func validate() throws {
        // Case indices first ..< first + cases must exist (no overflow of first + cases).
        guard first <= Int.max - cases else {
            throw ValidationError("--first + --cases must be at most \(Int.max) (got --first \(first) --cases \(cases))")
        }
        _ = try dtypeList()  // a bad --dtypes is a usage error before anything starts
        if let port, port.allSatisfy(\.isWhitespace) { throw ValidationError("--port needs a command (got \"\(port)\")") }
        if let against, against.allSatisfy(\.isWhitespace) { throw ValidationError("--against needs a command (got \"\(against)\")") }
        if against != nil, port == nil { throw ValidationError("--against needs --port (the first implementation)") }
        if against != nil, maxULP != nil { throw ValidationError("--against judges by the default tolerance; --max-ulp does not apply") }
    }

    func run() async throws {
        if let port { return try await runPort(port) }
        let maxULP = self.maxULP ?? 2
        let scriptsDirectory = try scripts.locate()
        let reference: NumPyReference
        do {
            reference = try NumPyReference(scripts: scriptsDirectory)
        } catch {
            printError("bce-conformance live: cannot load \(scriptsDirectory.path)/bce_reference.py: \(error)")
            throw ExitStatus.portBroken.exitCode
        }
        let seed = self.seed ?? UInt64(Date().timeIntervalSince1970 * 1000)
        let fuzzer = LiveFuzzer(implementation: { SwiftLibraryImplementation.evaluateNow($0) },
                                oracle: { try reference.expectation($0) },
                                policy: ComparisonPolicy(maxULP: maxULP))
        let dtypes = try dtypeList()
        let dtypeOption = self.dtypes == nil ? "" : " --dtypes \(dtypes.map(\.rawValue).joined(separator: ","))"
        printError("live: seed \(seed), cases \(first)..<\(first + cases),\(dtypeOption) --max-ulp \(maxULP), oracle \(reference.describe())")
        // Interrupted (SIGINT, SIGTERM, SIGHUP), the run still prints what it found so far.
        let soFar = ReportSoFar()
        Interrupts.install { sig in
            let partial = soFar.report.withLock { $0 } ?? LiveFuzzer.Report()
            try? writeOut(Self.render(partial, dtypeOption: dtypeOption, interruptedBy: sig))
        }
        let report: LiveFuzzer.Report
        do {
            report = try fuzzer.run(seed: seed, first: first, count: cases, dtypes: dtypes, maxMismatches: maxMismatches,
                                    progress: { r in soFar.report.withLock { $0 = r } })
        } catch {
            printError("bce-conformance live: \(error)")
            throw ExitStatus.portBroken.exitCode
        }
        Interrupts.deferToHandlerIfInterrupted()
        try writeOut(Self.render(report, dtypeOption: dtypeOption, interruptedBy: nil))
        if !report.mismatches.isEmpty { throw ExitStatus.failures.exitCode }
    }

    /// The mismatches (each shrunk, with its reproduction command and golden case) and the count line.
    static func render(_ report: LiveFuzzer.Report, dtypeOption: String, interruptedBy signal: Int32?) -> String {
        var out = render(report.mismatches, reproduce: { "bce-conformance live --seed \($0.seed)" }, dtypeOption: dtypeOption)
        let rate = Int(report.casesPerSecond.rounded())
        if let signal { out += "interrupted by \(Interrupts.name(signal)) after " }
        out += "\(report.cases) cases in \(TextReport.format(report.seconds, digits: 3)) s (\(rate) cases/s): "
        out += report.mismatches.isEmpty ? "no mismatch\n" : "\(report.mismatches.count) mismatch(es)\n"
        return out
    }
}

/// The live run's report so far, for the signal handler (a class: a Mutex cannot be captured).
private final class ReportSoFar: Sendable {
    let report = Mutex<LiveFuzzer.Report?>(nil)
}

extension Live {
    /// `live --port CMD`: the port's batches in flight while the oracle computes the next.
    func runPort(_ port: String) async throws {
        let reference = try loadReference()
        let seed = self.seed ?? UInt64(Date().timeIntervalSince1970 * 1000)
        let requested = try dtypeList()
        let maxULP = self.maxULP
        let first = self.first, cases = self.cases, maxMismatches = self.maxMismatches
        let dtypeOption = self.dtypes == nil ? "" : " --dtypes \(requested.map(\.rawValue).joined(separator: ","))"
        let command = "bce-conformance live --port \(Self.shellQuoted(port))" + (against.map { " --against \(Self.shellQuoted($0))" } ?? "")
        let reproduce = command + " --seed \(seed)"
        let soFar = PortReportSoFar()
        Interrupts.install { sig in
            let partial = soFar.report.withLock { $0 } ?? PortFuzzReport()
            try? writeOut(Self.render(partial, reproduce: reproduce, dtypeOption: dtypeOption, interruptedBy: sig))
        }
        let ending: PortLiveEnding
        let settings = PortLiveSettings(seed: seed, first: first, cases: cases, maxMismatches: maxMismatches, maxULP: maxULP,
                                        requested: requested, dtypeOption: dtypeOption, command: command)
        let timeout = Duration.nanoseconds(Int64(self.timeout * 1e9))
        let exitGrace = Duration.nanoseconds(Int64((self.exitGrace ?? self.timeout) * 1e9))
        do {
            if let against {
                ending = try await PortProcessImplementation.with(command: port, timeout: timeout, exitGrace: exitGrace) {
                    a throws(ImplementationFailure) in
                    do throws(ImplementationFailure) {
                        return try await PortProcessImplementation.with(command: against, timeout: timeout, exitGrace: exitGrace) {
                            b throws(ImplementationFailure) in
                            try await Self.fuzz(a, against: b, settings, reference, soFar)
                        }
                    } catch {
                        var failure = error
                        failure.message = "the --against port `\(against)`: " + failure.message
                        throw failure
                    }
                }
            } else {
                ending = try await PortProcessImplementation.with(command: port, timeout: timeout, exitGrace: exitGrace) {
                    implementation throws(ImplementationFailure) in
                    try await Self.fuzz(implementation, settings, reference, soFar)
                }
            }
        } catch {
            Interrupts.deferToHandlerIfInterrupted()
            printError("bce-conformance live: the port `\(port)` broke: \(error)")
            throw ExitStatus.portBroken.exitCode
        }
        Interrupts.deferToHandlerIfInterrupted()
        switch ending {
        case .noDType(let why):
            printError("bce-conformance live: \(why)")
            throw ExitStatus.usage.exitCode
        case .oracle(let why):
            printError("bce-conformance live: \(why)")
            throw ExitStatus.portBroken.exitCode
        case .report(let report):
            try writeOut(Self.render(report, reproduce: reproduce, dtypeOption: dtypeOption, interruptedBy: nil))
            if !report.mismatches.isEmpty || report.compared == 0 { throw ExitStatus.failures.exitCode }
        }
    }

    static func fuzz(_ implementation: PortProcessImplementation, _ settings: PortLiveSettings, _ reference: NumPyReference,
                     _ soFar: PortReportSoFar) async throws(ImplementationFailure) -> PortLiveEnding {
        let s = settings
        let capabilities = implementation.info.capabilities
        let dtypes = s.requested.filter(capabilities.dtypes.contains)
        let judge = PortFuzzer<CaseOutcome>.judgingOne(policy: ComparisonPolicy(maxULP: s.maxULP), capabilities: capabilities,
                                                       alternatives: s.maxULP == nil ? { @Sendable c in try reference.alternatives(c) } : nil)
        guard !dtypes.isEmpty, !capabilities.losses.isEmpty, !capabilities.reductions.isEmpty else {
            let asked = s.requested.map(\.rawValue).joined(separator: ",")
            return .noDType("the port declares \(capabilities.conformantFor): no case of dtypes \(asked) is inside it")
        }
        let info = implementation.info
        let mode = s.maxULP.map { "--max-ulp \($0) (strict)" } ?? "default mode (exact value or PyTorch's CPU arithmetic)"
        printError("live: seed \(s.seed), cases \(s.first)..<\(s.first + s.cases),\(s.dtypeOption) \(mode), port \(info.name) "
                   + "\(info.version) (protocol \(info.protocolVersion ?? 1)), oracle \(reference.describe())")
        if !capabilities.isEverything { printError("live: drawing inside the port's capabilities: \(capabilities.conformantFor)") }
        var fuzzer = PortFuzzer<CaseOutcome>(oracle: { c in try reference.expectation(c) }, capabilities: capabilities, judge: judge)
        fuzzer.command = s.command
        let evaluate: PortFuzzer<CaseOutcome>.Batch = { cases throws(ImplementationFailure) in try await implementation.evaluate(batch: cases) }
        return try await finish(fuzzer, s, dtypes, evaluate, soFar)
    }

    /// Two ports on the same cases (both batches in flight at once), inside what both declare.
    static func fuzz(_ a: PortProcessImplementation, against b: PortProcessImplementation, _ settings: PortLiveSettings,
                     _ reference: NumPyReference, _ soFar: PortReportSoFar) async throws(ImplementationFailure) -> PortLiveEnding {
        let s = settings
        let capabilities = a.info.capabilities.intersection(b.info.capabilities)
        let dtypes = s.requested.filter(capabilities.dtypes.contains)
        guard !dtypes.isEmpty, !capabilities.losses.isEmpty, !capabilities.reductions.isEmpty else {
            return .noDType("the two ports have in common \(capabilities.conformantFor): no case of the requested dtypes is inside it")
        }
        let names = (a: "A (\(a.info.name))", b: "B (\(b.info.name))")
        printError("live: seed \(s.seed), cases \(s.first)..<\(s.first + s.cases),\(s.dtypeOption) \(names.a) \(a.info.version) against "
                   + "\(names.b) \(b.info.version), each within the default tolerance of the other or both of the exact value or of "
                   + "PyTorch's CPU arithmetic; "
                   + "oracle \(reference.describe())")
        printError("live: drawing inside what both declare: \(capabilities.conformantFor)")
        var fuzzer = PortFuzzer<PairOutcome>(oracle: { c in try reference.expectation(c) }, capabilities: capabilities,
                                             judge: PairJudge.judge(capabilities: capabilities, names: names,
                                                                    alternatives: { @Sendable c in try reference.alternatives(c) }))
        fuzzer.command = s.command
        let evaluate: PortFuzzer<PairOutcome>.Batch = { cases throws(ImplementationFailure) in
            let first = Task { () async -> Result<[CaseOutcome], ImplementationFailure> in
                do throws(ImplementationFailure) { return .success(try await a.evaluate(batch: cases)) } catch { return .failure(error) }
            }
            let second: [CaseOutcome]
            do throws(ImplementationFailure) {
                second = try await b.evaluate(batch: cases)
            } catch {
                first.cancel()
                throw error
            }
            let firstOutcomes = try await first.value.get()
            return zip(firstOutcomes, second).map { PairOutcome(a: $0, b: $1) }
        }
        return try await finish(fuzzer, s, dtypes, evaluate, soFar)
    }

    /// Runs the fuzzer; an oracle failure ends the run (exit 4 after the port stopped), a broken port throws.
    static func finish<O>(_ fuzzer: PortFuzzer<O>, _ s: PortLiveSettings, _ dtypes: [DType], _ evaluate: @escaping PortFuzzer<O>.Batch,
                          _ soFar: PortReportSoFar) async throws(ImplementationFailure) -> PortLiveEnding {
        do throws(PortFuzzFailure) {
            let report = try await fuzzer.run(seed: s.seed, first: s.first, count: s.cases, dtypes: dtypes, maxMismatches: s.maxMismatches,
                                              evaluate: evaluate, progress: { r in soFar.report.withLock { $0 = r } })
            return .report(report)
        } catch {
            switch error {
            case .oracle(let e): return .oracle(e.description)
            case .implementation(let e): throw e
            }
        }
    }

    func loadReference() throws -> NumPyReference {
        let scriptsDirectory = try scripts.locate()
        do {
            return try NumPyReference(scripts: scriptsDirectory)
        } catch {
            printError("bce-conformance live: cannot load \(scriptsDirectory.path)/bce_reference.py: \(error)")
            throw ExitStatus.portBroken.exitCode
        }
    }

    static func render(_ report: PortFuzzReport, reproduce: String, dtypeOption: String, interruptedBy signal: Int32?) -> String {
        var out = render(report.mismatches, reproduce: { _ in reproduce }, dtypeOption: dtypeOption)
        let rate = Int(report.casesPerSecond.rounded())
        if let signal { out += "interrupted by \(Interrupts.name(signal)) after " }
        out += "\(report.cases) cases (\(report.compared) compared"
        if report.notCovered > 0 {
            let reasons = report.byReason.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            out += ", \(report.notCovered) not covered: " + reasons.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        }
        out += ") in \(TextReport.format(report.seconds, digits: 3)) s (\(rate) cases/s): "
        if report.compared == 0 { return out + "NOTHING COMPARED\n" }
        out += report.mismatches.isEmpty ? "no mismatch\n" : "\(report.mismatches.count) mismatch(es)\n"
        return out
    }

    /// Each mismatch, shrunk, with its reproduction command (`reproduce(m)` then `--first k --cases 1`) and golden case.
    static func render(_ mismatches: [LiveFuzzer.Mismatch], reproduce: (LiveFuzzer.Mismatch) -> String, dtypeOption: String) -> String {
        var out = ""
        for m in mismatches {
            out += "MISMATCH in case \(m.index) of seed \(m.seed) (shape \(m.original.inputs.input.shape) shrunk to \(m.shrunk.inputs.input.shape))\n"
            out += TextReport.indent(m.comparison.summary)
            out += "reproduce: \(reproduce(m)) --first \(m.index) --cases 1\(dtypeOption)\n"
            out += "golden case (paste into golden/\(m.shrunk.loss.rawValue)/\(m.shrunk.dtype.rawValue).json, then regenerate the manifest):\n"
            out += m.goldenJSON + "\n"
        }
        return out
    }

    /// `text` as one word for /bin/sh.
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

enum PortLiveEnding: Sendable {
    case report(PortFuzzReport)
    case oracle(String)
    case noDType(String)
}

struct PortLiveSettings: Sendable {
    var seed: UInt64
    var first: Int
    var cases: Int
    var maxMismatches: Int
    var maxULP: Double?
    var requested: [DType]
    var dtypeOption: String
    /// The reproduction command before `--seed`.
    var command: String
}

/// The port live run's report so far, for the signal handler.
final class PortReportSoFar: Sendable {
    let report = Mutex<PortFuzzReport?>(nil)
}
