import ArgumentParser
import BCEConformance
import BinaryCrossEntropy
import Foundation
import PythonBridge

/// `bce-conformance bench`: the Swift losses against NumPy and PyTorch, side by side in one run.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the Swift losses against NumPy and PyTorch CPU on the same inputs (elements per second).",
        discussion: """
            Both losses are timed in the Swift library, in NumPy (the expressions people write, one \
            ufunc per operation, in this process, on zero-copy views of the same Swift buffers) and in \
            PyTorch CPU (a worker process, scripts/bench_torch.py, run by the Python of a virtual \
            environment with torch, at the Swift library's thread count), on inputs of shape (rows, C). \
            Per row, after a warm-up and a calibration of each side (the calls that take about \
            --sample-seconds), the sides are sampled in turn (Swift, NumPy, PyTorch, bandwidth probe) \
            --repetitions times and the medians are reported. Rows from 1e6 elements also sample a \
            memory-bandwidth probe (two 64 MiB arrays read and summed on the same thread count). \
            Each row is checked against the bars of issue 14. NumPy runs single-threaded; NumPy has \
            no bfloat16: its side of a bfloat16 row computes in float32 on the same values. The \
            default matrix takes a few minutes; --full runs every value of every axis. \
            Documentation: docs/PERFORMANCE.md.
            """
    )

    @Option(help: "Element counts, comma-separated, each a multiple of --classes (default 1e4,1e6; --full: 1e4,1e5,1e6,1e7).")
    var sizes: String?

    @Option(help: "Timed samples of each side per row (the median is reported).",
            transform: { try NumericOption.int($0, "--repetitions", 1...1_000_000) })
    var repetitions = 5

    @Option(help: "Seconds one timed sample takes, about (each side repeats its call that long; at least one call).",
            transform: { try NumericOption.double($0, "--sample-seconds", 0.0001...60) })
    var sampleSeconds = 0.02

    @Option(help: "Element types, comma-separated: float16, bfloat16, float32, float64.")
    var dtypes = "float32,float64,float16,bfloat16"

    @Option(help: "Losses, comma-separated: bce, bce_with_logits.")
    var losses = "bce,bce_with_logits"

    @Option(help: "Reductions, comma-separated: mean, none (sum runs as mean does).")
    var reductions = "mean,none"

    @Option(help: "Passes, comma-separated: forward, forward+gradients.")
    var passes = "forward,forward+gradients"

    @Option(help: ArgumentHelp(
        "The Swift library's API, comma-separated: ndarray (NDArray functions; forward+gradients: both gradients, as NumPy's side), buffer (the buffer API into buffers allocated once; forward+gradients: d/dinput only, as PyTorch and NumPy's side then) (default ndarray; --full: both).",
        valueName: "api"))
    var api: String?

    @Option(help: "Targets, comma-separated: hard (0 or 1), soft (uniform in [0, 1]) (default hard; --full: both).")
    var targets: String?

    @Option(help: "weight, comma-separated: none, per-class (shape (C,)), full (the input's shape) (default none,per-class; --full: all).")
    var weight: String?

    @Option(help: "pos_weight of BCEWithLogitsLoss, comma-separated: none, per-class, full (default none,per-class; --full: all).")
    var posWeight: String?

    @Option(help: "C: inputs have shape (n / C, C).",
            transform: { try NumericOption.int($0, "--classes", 1...1_000_000_000) })
    var classes = 50

    @Flag(help: "Every value of every axis: sizes 1e4,1e5,1e6,1e7, hard and soft targets, every weight and pos_weight (hours).")
    var full = false

    @Flag(help: "No bandwidth probe, and no forward-mean rows at 1e7 added for its bar.")
    var noBandwidth = false

    @Option(help: "MiB of each of the bandwidth probe's two arrays (larger than the last-level cache).",
            transform: { try NumericOption.int($0, "--probe-mib", 1...65_536) })
    var probeMib = 64

    @Option(help: "Rows from this many elements sample the bandwidth probe.",
            transform: { try NumericOption.int($0, "--probe-from", 1...1_000_000_000) })
    var probeFrom = 1_000_000

    @Option(help: "The Python that runs scripts/bench_torch.py (default: $TORCH_VENV/bin/python, else the venv of scripts/torch-parity.sh).")
    var torch: String?

    @Flag(help: "No PyTorch column.")
    var noTorch = false

    @Option(help: "The directory holding bench_torch.py (default: as --scripts of live, the repository's scripts/).")
    var scripts: String?

    @Option(help: "Most threads the Swift library, PyTorch and the probe use (default: every processor).",
            transform: { try NumericOption.int($0, "--threads", 1...4096) })
    var threads: Int?

    @Option(help: ArgumentHelp(
        "Microseconds the Swift library's workers keep watching for the next call after each call (BCEThreads.spin; default 0, the library's default: they park at once).",
        discussion: "A training loop that calls back-to-back may opt in; PyTorch's OpenMP threads spin after every call by default."),
            transform: { try NumericOption.int($0, "--spin", 0...1_000_000) })
    var spin: Int = 0

    @Option(help: "Instruction set of the Swift library's vectorised passes: baseline, avx2, avx512 (default: the best supported).")
    var instructionSet: BCEInstructionSet?

    @Flag(help: "No NumPy column.")
    var noNumpy = false

    @Option(help: "Also write the results as JSON to this path.")
    var json: String?

    @Option(help: "Also write the results as a Markdown table to this path (for docs/PERFORMANCE.md).")
    var markdown: String?

    @Flag(help: "Only measure the bridge: a 1,000,000-element Double array to NumPy and back, next to memcpy.")
    var bridgeRoundTrip = false

    func run() throws {
        if bridgeRoundTrip {
            print(try NumPyRoundTripMeasurement.measure(elementCount: 1_000_000, iterations: repetitions * 3))
            return
        }
        if let threads { BCEThreads.maximum = threads }
        BCEThreads.spin = .microseconds(spin)
        if let instructionSet {
            BCEVectorKernels.active = instructionSet
            guard BCEVectorKernels.active == instructionSet else {
                throw ValidationError(
                    "instruction set \(instructionSet.rawValue) is not supported here (best: \(BCEVectorKernels.supported.rawValue))")
            }
        }
        let cases = try matrix()
        if let heap = Self.keepFreedMemory() { printError("bench: " + heap) }
        let (worker, torchNote) = try startTorch()
        let probe = noBandwidth ? nil : BandwidthProbe(bytesPerArray: probeMib << 20, threads: BCEThreads.maximum)
        var context = try context(torch: worker, torchNote: torchNote)
        if let probe {
            printError("bench: the bandwidth probe (2 × \(probe.bytesPerArray >> 20) MiB read and summed on \(probe.threads) threads)")
            context.bandwidth = Self.bandwidth(probe, samples: repetitions)
        }
        printError(context.summary)
        printError("\(cases.count) rows; " + BenchmarkReport.header)
        var done = 0
        var benchmark = Benchmark(
            cases: cases, classes: classes, repetitions: repetitions, sampleSeconds: sampleSeconds,
            includeNumPy: !noNumpy, torch: worker, torchNote: torchNote, probe: probe, probeFrom: probeFrom,
            progress: { row in
                done += 1
                let checked = BenchmarkBars.check(row)
                printError("[\(done)/\(cases.count)] " + BenchmarkReport.line(row, checked))
            },
            warn: { printError($0) })
        let rows = try benchmark.run()
        context.loadAverage += " before the rows, \(BenchmarkContext.currentLoad()) after"
        try writeOut(BenchmarkReport.table(rows, context: context))
        if let json {
            try writeReportFile(try BenchmarkReport.json(rows, context: context), to: json, option: "--json")
        }
        if let markdown {
            try writeReportFile(BenchmarkReport.markdown(rows, context: context), to: markdown, option: "--markdown")
        }
    }

    /// Keeps freed heap memory in the process for reuse (glibc: `mallopt` M_MMAP_THRESHOLD 32 MiB, its
    /// maximum, and M_TRIM_THRESHOLD 256 MiB), as a NumPy script's main-thread heap ends up doing
    /// once glibc's dynamic threshold has risen. Without it, NumPy's temporaries of a 1e6-element row
    /// (4-8 MB each, one per ufunc) were fresh pages on every call in this process: its column ran
    /// 3-5× slower at 1e6 (52-94 against 209-336 M elements/s, float32 and bfloat16 forward; measured
    /// 2026-12-03 with MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_) and swung 2.6× between runs.
    /// Returns what it set, or nil where there is no glibc `mallopt`.
    static func keepFreedMemory() -> String? {
        #if os(Linux) && canImport(Glibc)
        // <malloc.h> is not in Swift's Glibc module: mallopt by symbol, its two parameter numbers.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let (trimThreshold, mmapThreshold): (Int32, Int32) = (-1, -3)   // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return nil }   // RTLD_DEFAULT
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        guard mallopt(mmapThreshold, 32 << 20) == 1, mallopt(trimThreshold, 256 << 20) == 1 else { return nil }
        return "freed memory is kept for reuse (glibc M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD 256 MiB), for NumPy's temporaries as for the library"
        #else
        return nil
        #endif
    }

    /// The cases of the run: the product of the axes (BCELoss has no pos_weight), plus, unless
    /// --no-bandwidth, forward `mean` at 1e7 (unweighted, float32 and float64) for the bandwidth
    /// bar; grouped by dtype, then size.
    func matrix() throws -> [BenchmarkCase] {
        let sizes = try parseSizes(self.sizes ?? (full ? "1e4,1e5,1e6,1e7" : "1e4,1e6"))
        let dtypes = try DTypeList.parse(dtypes).map(\.rawValue)
        let losses = try parse(losses, "--losses", ["bce", "bce_with_logits"]) { $0 }
        let reductions = try parse(reductions, "--reductions", ["mean", "none", "sum"]) { Reduction(rawValue: $0) }
        let passes = try parse(passes, "--passes", BenchmarkPass.allCases.map(\.rawValue)) { BenchmarkPass(rawValue: $0) }
        let apis = try parse(api ?? (full ? "ndarray,buffer" : "ndarray"), "--api",
                             BenchmarkAPI.allCases.map(\.rawValue)) { BenchmarkAPI(rawValue: $0) }
        let targets = try parse(targets ?? (full ? "hard,soft" : "hard"), "--targets",
                                BenchmarkTargets.allCases.map(\.rawValue)) { BenchmarkTargets(rawValue: $0) }
        let weightNames = BenchmarkWeight.allCases.map(\.rawValue)
        let weights = try parse(weight ?? (full ? weightNames.joined(separator: ",") : "none,per-class"), "--weight",
                                weightNames) { BenchmarkWeight(rawValue: $0) }
        let posWeights = try parse(posWeight ?? (full ? weightNames.joined(separator: ",") : "none,per-class"),
                                   "--pos-weight", weightNames) { BenchmarkWeight(rawValue: $0) }
        var cases: [BenchmarkCase] = []
        for dtype in dtypes {
            for count in sizes {
                for loss in losses {
                    for target in targets {
                        for weight in weights {
                            for posWeight in loss == "bce" ? [.none] : posWeights {
                                for pass in passes {
                                    for reduction in reductions {
                                        for api in apis {
                                            cases.append(BenchmarkCase(
                                                loss: loss, dtype: dtype, weight: weight, posWeight: posWeight,
                                                targets: target, pass: pass, reduction: reduction, count: count, api: api))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            guard !noBandwidth, ["float32", "float64"].contains(dtype) else { continue }
            let count = BenchmarkBars.bandwidthFrom / classes * classes
            for loss in losses {
                let bar = BenchmarkCase(loss: loss, dtype: dtype, weight: .none, posWeight: .none, targets: targets[0],
                                        pass: .forward, reduction: .mean, count: count, api: apis[0])
                if !cases.contains(bar) { cases.append(bar) }
            }
        }
        guard !cases.isEmpty else { throw ValidationError("the options select no benchmark row") }
        return cases
    }

    /// The PyTorch worker, or nil and what the column says instead. An explicit --torch that
    /// cannot run is a usage error; the default venv missing is "not installed".
    private func startTorch() throws -> (TorchWorker?, String) {
        if noTorch { return (nil, "not run (--no-torch)") }
        let python = torch ?? TorchWorker.defaultPython()
        guard FileManager.default.isExecutableFile(atPath: python) else {
            if torch != nil { throw ValidationError("--torch: \(python) is not an executable file") }
            return (nil, "not installed (no \(python); pass --torch PYTHON or set $TORCH_VENV; scripts/torch-parity.sh creates it)")
        }
        let script: URL
        switch ResourceLocator.locate(explicit: scripts, environmentVariable: "BCE_SCRIPTS_DIR",
                                      relativePath: "scripts", marker: "bench_torch.py") {
        case .success(let url): script = url.appendingPathComponent("bench_torch.py")
        case .failure(let message): throw ValidationError("scripts/bench_torch.py was not found: \(message)")
        }
        printError("bench: starting the PyTorch worker: \(python) -I \(script.path)")
        do {
            return (try TorchWorker(python: python, script: script, threads: BCEThreads.maximum), "")
        } catch {
            if torch != nil { throw ValidationError("--torch \(python): \(error)") }
            return (nil, "not installed (\(python) cannot run bench_torch.py: \(error))")
        }
    }

    private func context(torch worker: TorchWorker?, torchNote: String) throws -> BenchmarkContext {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { String($0.split(separator: ":", maxSplits: 1)[1]).trimmingCharacters(in: .whitespaces) }
            ?? "unknown processor"
        let numpy = !noNumpy
            ? try Python.withGIL { py throws(PythonError) in
                let np = try py.numpy()
                return "NumPy " + (try String(python: np.attr("__version__")))
            }
            : "NumPy not run"
        let torch = worker.map {
            "PyTorch \($0.hello.torch) CPU on \($0.hello.threads) threads (Python \($0.hello.python), NumPy \($0.hello.numpy))"
        } ?? "PyTorch \(torchNote)"
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return BenchmarkContext(
            date: formatter.string(from: Date()), machine: model,
            processors: ProcessInfo.processInfo.activeProcessorCount, threads: BCEThreads.maximum,
            spinMicroseconds: spin, instructionSet: BCEVectorKernels.active.rawValue, numpy: numpy, torch: torch, classes: classes,
            repetitions: repetitions,
            command: (["bce-conformance"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
            loadAverage: BenchmarkContext.currentLoad())
    }

    /// The probe's median read rate (bytes per second) over `samples` passes after one warm-up.
    static func bandwidth(_ probe: BandwidthProbe, samples: Int) -> Double {
        _ = probe.sample()
        let times = (0 ..< max(3, samples)).map { _ in probe.sample() }.sorted()
        return Double(probe.bytesPerPass) / times[times.count / 2]
    }

    private func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// A comma-separated list of `allowed` names, each turned into a value by `make`.
    private func parse<T>(_ text: String, _ option: String, _ allowed: [String], _ make: (String) -> T?) throws -> [T] {
        let names = list(text)
        guard !names.isEmpty else { throw ValidationError("\(option) names nothing (\(allowed.joined(separator: ", ")))") }
        return try names.map { name in
            guard allowed.contains(name), let value = make(name) else {
                throw ValidationError("\(option): unknown value \(name) (\(allowed.joined(separator: ", ")))")
            }
            return value
        }
    }

    private func parseSizes(_ text: String) throws -> [Int] {
        try list(text).map { item in
            guard let value = Double(item), value >= 1, value <= 1e9, value == value.rounded() else {
                throw ValidationError("size \(item) is not a whole number from 1 to 1e9")
            }
            guard Int(value) % classes == 0 else {
                throw ValidationError("size \(item) is not a multiple of --classes \(classes) (inputs are (n / C, C))")
            }
            return Int(value)
        }
    }
}

extension BCEInstructionSet: ExpressibleByArgument {}

