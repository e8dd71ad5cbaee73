import ArgumentParser
import BCEConformance
import BCEConformanceSwiftLibrary
import Foundation
import Synchronization

/// `bce-conformance live`: differential fuzzing of the Swift library against the NumPy reference.
struct Live: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fuzz the Swift library against the NumPy reference (scripts/bce_reference.py) in the embedded interpreter.",
        discussion: """
            Random shapes, dtypes, options and values, biased towards edges (0, 1, subnormals, huge logits). \
            A mismatch is shrunk to the smallest failing shape and printed as a ready-to-paste golden case, \
            with the command that reproduces it. Exit codes: 0 no mismatch, 1 mismatch, 2 usage error, \
            4 the reference failed (a Python exception other than BCEReferenceError).
            """)

    @OptionGroup var scripts: ScriptsOptions

    @Option(help: "How many random cases to try (1 to 10^12).", transform: { try NumericOption.int($0, "--cases", 1...1_000_000_000_000) })
    var cases: Int = 1000

    @Option(help: "The random seed (default: from the clock; printed so a run can be repeated).")
    var seed: UInt64?

    @Option(help: "The index of the first case (case k of a seed is reproducible on its own: --first k --cases 1).",
            transform: { try NumericOption.int($0, "--first", 0...Int.max) })
    var first: Int = 0

    @Option(name: .customLong("max-ulp"), help: ArgumentHelp("The strict ULP bound, as in run --max-ulp.", valueName: "N"), transform: NumericOption.maxULP)
    var maxULP: Double = 2

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
    }

    func run() throws {
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
        var out = ""
        for m in report.mismatches {
            out += "MISMATCH in case \(m.index) of seed \(m.seed) (shape \(m.original.inputs.input.shape) shrunk to \(m.shrunk.inputs.input.shape))\n"
            out += TextReport.indent(m.comparison.summary)
            out += "reproduce: bce-conformance live --seed \(m.seed) --first \(m.index) --cases 1\(dtypeOption)\n"
            out += "golden case (paste into golden/\(m.shrunk.loss.rawValue)/\(m.shrunk.dtype.rawValue).json, then regenerate the manifest):\n"
            out += m.goldenJSON + "\n"
        }
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
