import ArgumentParser
import BCEConformance
import Foundation

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

    @Option(help: "How many random cases to try.")
    var cases: Int = 1000

    @Option(help: "The random seed (default: from the clock; printed so a run can be repeated).")
    var seed: UInt64?

    @Option(help: "The index of the first case (case k of a seed is reproducible on its own: --first k --cases 1).")
    var first: Int = 0

    @Option(name: .customLong("max-ulp"), help: ArgumentHelp("The strict ULP bound, as in run --max-ulp.", valueName: "N"))
    var maxULP: Double = 2

    @Option(help: "Stop after this many mismatches.")
    var maxMismatches: Int = 1

    @Option(help: "Element types to draw cases from, comma-separated (default: all).")
    var dtypes: String?

    /// The parsed --dtypes (every dtype when absent).
    func dtypeList() throws -> [DType] {
        guard let dtypes else { return DType.allCases }
        return try dtypes.split(separator: ",").map { name in
            guard let dtype = DType(rawValue: String(name)) else {
                throw ValidationError("--dtypes: unknown dtype \(name) (\(DType.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return dtype
        }
    }

    func validate() throws {
        guard cases >= 1, first >= 0, maxMismatches >= 1 else { throw ValidationError("--cases and --max-mismatches must be ≥ 1, --first ≥ 0") }
        guard maxULP >= 0 else { throw ValidationError("--max-ulp must be ≥ 0") }
        guard try !dtypeList().isEmpty else { throw ValidationError("--dtypes names no dtype") }
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
        let report: LiveFuzzer.Report
        do {
            report = try fuzzer.run(seed: seed, first: first, count: cases, dtypes: dtypes, maxMismatches: maxMismatches)
        } catch {
            printError("bce-conformance live: \(error)")
            throw ExitStatus.portBroken.exitCode
        }
        var out = ""
        for m in report.mismatches {
            out += "MISMATCH in case \(m.index) of seed \(m.seed) (shape \(m.original.inputs.input.shape) shrunk to \(m.shrunk.inputs.input.shape))\n"
            out += TextReport.indent(m.comparison.summary)
            out += "reproduce: bce-conformance live --seed \(m.seed) --first \(m.index) --cases 1\(dtypeOption)\n"
            out += "golden case (paste into golden/\(m.shrunk.loss.rawValue)/\(m.shrunk.dtype.rawValue).json, then regenerate the manifest):\n"
            out += m.goldenJSON + "\n"
        }
        let rate = Int(report.casesPerSecond.rounded())
        out += "\(report.cases) cases in \(TextReport.format(report.seconds, digits: 3)) s (\(rate) cases/s): "
        out += report.mismatches.isEmpty ? "no mismatch\n" : "\(report.mismatches.count) mismatch(es)\n"
        writeOut(out)
        if !report.mismatches.isEmpty { throw ExitStatus.failures.exitCode }
    }
}
