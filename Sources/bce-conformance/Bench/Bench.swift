import ArgumentParser
import BCEConformance
import BinaryCrossEntropy
import Foundation
import PythonBridge

/// `bce-conformance bench`: the Swift losses against NumPy, side by side in one process.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the Swift losses against NumPy on the same buffers (elements per second).",
        discussion: """
            Both losses are timed in the Swift library and in NumPy (the expressions people write, \
            one ufunc per operation), in this process, on zero-copy NumPy views of the same Swift \
            buffers. Each figure is the median of --repetitions timed runs after one warm-up; each \
            run repeats the call until it has processed about a million elements. NumPy runs \
            single-threaded; the Swift library uses up to --threads threads. NumPy has no bfloat16: \
            its side of a bfloat16 row computes in float32 on the same values. \
            Documentation: docs/PERFORMANCE.md.
            """
    )

    @Option(help: "Element counts, comma-separated (scientific notation allowed).")
    var sizes = "1e3,1e4,1e5,1e6,1e7"

    @Option(help: "Timed repetitions per figure (the median is reported).",
            transform: { try NumericOption.int($0, "--repetitions", 1...1_000_000) })
    var repetitions = 7

    @Option(help: "Element types, comma-separated: float16, bfloat16, float32, float64.")
    var dtypes = "float32,float64,float16,bfloat16"

    @Option(help: "Losses, comma-separated: bce, bce_with_logits.")
    var losses = "bce,bce_with_logits"

    @Option(help: "Reductions, comma-separated: mean, none (sum runs as mean does).")
    var reductions = "mean,none"

    @Option(help: "Passes, comma-separated: forward, forward+gradients.")
    var passes = "forward,forward+gradients"

    @Option(help: "Targets: hard (0 or 1) or soft (uniform in [0, 1]).")
    var targets = BenchmarkTargets.hard

    @Option(help: "Most threads the Swift library uses (default: every processor).",
            transform: { try NumericOption.int($0, "--threads", 1...4096) })
    var threads: Int?

    @Option(help: "Instruction set of the Swift library's vectorised passes: swift, avx2, avx512 (default: the best supported).")
    var instructionSet: BCEInstructionSet?

    @Flag(help: "Time the Swift library only.")
    var noNumpy = false

    @Option(help: "Also write the results as JSON to this path.")
    var json: String?

    @Flag(help: "Only measure the bridge: a 1,000,000-element Double array to NumPy and back, next to memcpy.")
    var bridgeRoundTrip = false

    func run() throws {
        if bridgeRoundTrip {
            print(try NumPyRoundTripMeasurement.measure(elementCount: 1_000_000, iterations: repetitions * 3))
            return
        }
        if let threads { BCEThreads.maximum = threads }
        if let instructionSet {
            BCEVectorKernels.active = instructionSet
            guard BCEVectorKernels.active == instructionSet else {
                throw ValidationError(
                    "instruction set \(instructionSet.rawValue) is not supported here (best: \(BCEVectorKernels.supported.rawValue))")
            }
        }
        let benchmark = Benchmark(
            sizes: try parseSizes(sizes),
            repetitions: repetitions,
            dtypes: try DTypeList.parse(dtypes).map(\.rawValue),
            losses: try list(losses).map { name in
                guard ["bce", "bce_with_logits"].contains(name) else {
                    throw ValidationError("unknown loss \(name) (bce, bce_with_logits)")
                }
                return name
            },
            reductions: try list(reductions).map { name in
                guard let reduction = Reduction(rawValue: name) else {
                    throw ValidationError("unknown reduction \(name) (mean, none, sum)")
                }
                return reduction
            },
            passes: try list(passes).map { name in
                guard let pass = BenchmarkPass(rawValue: name) else {
                    throw ValidationError("unknown pass \(name) (forward, forward+gradients)")
                }
                return pass
            },
            targets: targets,
            includeNumPy: !noNumpy,
            progress: { row in
                printError(BenchmarkReport.line(row))
            })
        let context = try BenchmarkContext.current(includeNumPy: !noNumpy, targets: targets)
        printError(context.summary)
        let rows = try benchmark.run()
        try writeOut(BenchmarkReport.table(rows, context: context) + "\n")
        if let json {
            try writeReportFile(BenchmarkReport.json(rows, context: context, repetitions: repetitions), to: json, option: "--json")
        }
    }

    private func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private func parseSizes(_ text: String) throws -> [Int] {
        try list(text).map { item in
            guard let value = Double(item), value >= 1, value <= 1e9, value == value.rounded() else {
                throw ValidationError("size \(item) is not a whole number from 1 to 1e9")
            }
            return Int(value)
        }
    }
}

extension BenchmarkTargets: ExpressibleByArgument {}
extension BCEInstructionSet: ExpressibleByArgument {}

/// Where and when the figures were taken.
struct BenchmarkContext {
    var date: String
    var machine: String
    var processors: Int
    var threads: Int
    var instructionSet: String
    var numpy: String
    var targets: BenchmarkTargets

    static func current(includeNumPy: Bool, targets: BenchmarkTargets) throws -> BenchmarkContext {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { String($0.split(separator: ":", maxSplits: 1)[1]).trimmingCharacters(in: .whitespaces) }
            ?? "unknown processor"
        let numpy = includeNumPy
            ? try Python.withGIL { py throws(PythonError) in
                let np = try py.numpy()
                return "NumPy " + (try String(python: np.attr("__version__")))
            }
            : "NumPy not run"
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return BenchmarkContext(
            date: formatter.string(from: Date()), machine: model,
            processors: ProcessInfo.processInfo.activeProcessorCount, threads: BCEThreads.maximum,
            instructionSet: BCEVectorKernels.active.rawValue, numpy: numpy, targets: targets)
    }

    var summary: String {
        "\(date), \(machine), \(processors) processors, Swift library on up to \(threads) threads "
            + "(\(instructionSet) kernels), \(numpy) single-threaded, \(targets.rawValue) targets"
    }
}

/// The table and the JSON document.
enum BenchmarkReport {
    static func line(_ row: BenchmarkRow) -> String {
        let numpy = row.numpy.map { format($0 / 1e6, width: 9) } ?? "        -"
        let ratio = row.ratio.map { format($0, width: 7, digits: 2) } ?? "      -"
        return pad(row.loss, 16) + pad(row.dtype, 9) + pad(row.reduction.rawValue, 5)
            + pad(row.pass.rawValue, 18) + pad(sizeLabel(row.count), 5, right: true)
            + format(row.swift / 1e6, width: 10) + numpy + ratio
    }

    static func table(_ rows: [BenchmarkRow], context: BenchmarkContext) -> String {
        var out = context.summary + "\nmillions of elements per second (median), ratio = Swift / NumPy\n"
        out += pad("loss", 16) + pad("dtype", 9) + pad("red.", 5) + pad("pass", 18) + pad("n", 5, right: true)
            + pad("Swift", 10, right: true) + pad("NumPy", 9, right: true) + pad("ratio", 7, right: true) + "\n"
        for row in rows { out += line(row) + "\n" }
        return out
    }

    static func json(_ rows: [BenchmarkRow], context: BenchmarkContext, repetitions: Int) -> String {
        func quoted(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        func number(_ value: Double?) -> String { value.map { String($0) } ?? "null" }
        var out = "{\n"
        out += " \"date\": \(quoted(context.date)),\n \"machine\": \(quoted(context.machine)),\n"
        out += " \"processors\": \(context.processors),\n \"swift_threads\": \(context.threads),\n"
        out += " \"swift_instruction_set\": \(quoted(context.instructionSet)),\n"
        out += " \"numpy\": \(quoted(context.numpy)),\n \"targets\": \(quoted(context.targets.rawValue)),\n"
        out += " \"repetitions\": \(repetitions),\n \"unit\": \"elements per second\",\n \"rows\": [\n"
        out += rows.map { row in
            "  {\"loss\": \(quoted(row.loss)), \"dtype\": \(quoted(row.dtype)), "
                + "\"reduction\": \(quoted(row.reduction.rawValue)), \"pass\": \(quoted(row.pass.rawValue)), "
                + "\"n\": \(row.count), \"swift\": \(number(row.swift)), \"numpy\": \(number(row.numpy)), "
                + "\"ratio\": \(number(row.ratio))}"
        }.joined(separator: ",\n")
        out += "\n ]\n}\n"
        return out
    }

    private static func sizeLabel(_ n: Int) -> String {
        var exponent = 0, m = n
        while m >= 10 && m % 10 == 0 { m /= 10; exponent += 1 }
        return m == 1 && exponent > 0 ? "1e\(exponent)" : String(n)
    }

    private static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - s.count))
        return right ? padding + s : s + padding
    }

    private static func format(_ value: Double, width: Int, digits: Int = 1) -> String {
        pad(String(format: "%.\(digits)f", value), width, right: true)
    }
}
