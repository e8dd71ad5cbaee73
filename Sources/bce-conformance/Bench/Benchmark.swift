import BCEConformance
import BinaryCrossEntropy
import Foundation
import PythonBridge

/// What one timed call computes.
enum BenchmarkPass: String, Sendable, CaseIterable {
    /// The loss only.
    case forward
    /// The loss, then the gradients (the Swift library and NumPy: with respect to input and
    /// target; PyTorch: autograd on the input, as in training).
    case gradients = "forward+gradients"
}

/// Which of the Swift library's APIs a row times.
enum BenchmarkAPI: String, Sendable, CaseIterable {
    /// The NDArray functions: results freshly allocated; forward+gradients is the loss, then
    /// `...Backward`, both gradients (NumPy's side computes both too).
    case ndarray
    /// The buffer API (CONTRACTS section 1a), as a training loop calls it: outputs in buffers
    /// allocated once, forward+gradients is `...AndGradients` (`none`: the loss `into:`, then
    /// `...Backward`) with d/dinput only, `targetGradient` nil, as PyTorch's autograd on the
    /// input computes it (NumPy's side computes grad_input only too).
    case buffer
}

/// Targets of the benchmark inputs.
enum BenchmarkTargets: String, Sendable, CaseIterable {
    /// 0 or 1, as labels are in classification training.
    case hard
    /// Uniform in [0, 1].
    case soft
}

/// A `weight` or `pos_weight` of the benchmark: absent, one per class (shape (C,), broadcast over
/// the rows), or one per element (the input's shape).
enum BenchmarkWeight: String, Sendable, CaseIterable {
    case none
    case perClass = "per-class"
    case full

    func shape(rows: Int, classes: Int) -> [Int]? {
        switch self {
        case .none: nil
        case .perClass: [classes]
        case .full: [rows, classes]
        }
    }
}

/// One measured configuration.
struct BenchmarkCase: Hashable, Sendable {
    var loss: String            // "bce" | "bce_with_logits"
    var dtype: String           // "float16" | "bfloat16" | "float32" | "float64"
    var weight: BenchmarkWeight
    var posWeight: BenchmarkWeight   // .none for bce
    var targets: BenchmarkTargets
    var pass: BenchmarkPass
    var reduction: Reduction    // .mean | .none
    var count: Int              // elements: rows × classes
    var api: BenchmarkAPI = .ndarray

    /// The same call without weight and pos_weight (what "a weight costs at most 2×" compares with).
    var unweighted: BenchmarkCase {
        var plain = self
        plain.weight = .none
        plain.posWeight = .none
        return plain
    }

    /// The arrays a call builds its inputs from; cases with the same key share them.
    fileprivate var inputKey: [String] {
        [loss, dtype, weight.rawValue, posWeight.rawValue, targets.rawValue, String(count)]
    }
}

/// One measured case: throughputs in elements per second (medians), or why a baseline is missing.
struct BenchmarkRow: Sendable {
    var config: BenchmarkCase
    var swift: Double
    var numpy: Double?
    var torch: Double?
    /// Why `torch` is nil ("not installed", "not run", "failed: ...").
    var torchNote: String?
    /// The bandwidth probe's read rate in bytes per second, sampled alternately with this row
    /// (rows from `Benchmark.probeFrom` elements).
    var bandwidth: Double?
    /// A weighted row's call without its weight and pos_weight, on the same input and target,
    /// sampled in turn with the row's other sides (so the weight cost is not a ratio of two rows
    /// measured minutes apart on a drifting machine); nil for an unweighted row.
    var swiftUnweighted: Double?
    /// Every timed sample of each side, in the order taken: elements per second (the probe's in
    /// bytes per second), keyed by side ("swift", "swift_unweighted", "numpy", "torch", "probe").
    /// The figures above are their medians; the samples show whether a row is noise.
    var samples: [String: [Double]] = [:]
    /// For the sides in this process (Swift, NumPy), its processor seconds per wall second in each
    /// sample: a slow sample at about 1 on 2 threads means a thread waited for a processor.
    var processorLoad: [String: [Double]] = [:]
    /// For the same sides, per sample and wall second: the calling thread's wait for a processor,
    /// and the share of the machine's processors the hypervisor took (steal).
    var runqueueWait: [String: [Double]] = [:]
    var steal: [String: [Double]] = [:]
    /// The PyTorch worker's wait, after each of its samples, for its threads to go idle (seconds;
    /// 0.5 is the worker's limit: they were still busy).
    var torchSettle: [Double]?

    var numpyRatio: Double? { numpy.map { swift / $0 } }
    var torchRatio: Double? { torch.map { swift / $0 } }
}

/// Runs the Swift library, NumPy, PyTorch (a worker process) and the bandwidth probe on the same
/// inputs, one sample of each in turn, and reports the medians.
struct Benchmark {
    var cases: [BenchmarkCase]
    /// C of the (rows, C) inputs.
    var classes: Int
    var repetitions: Int
    /// Each timed sample repeats the call this long (about; at least one call).
    var sampleSeconds: Double
    var includeNumPy: Bool
    var torch: TorchWorker?
    /// The PyTorch column of every row when `torch` is nil.
    var torchNote: String
    var probe: BandwidthProbe?
    /// Rows from this many elements sample the bandwidth probe.
    var probeFrom = 1_000_000
    /// Called with each finished row, and with warnings.
    var progress: (BenchmarkRow) -> Void = { _ in }
    var warn: (String) -> Void = { _ in }

    mutating func run() throws -> [BenchmarkRow] {
        var rows: [BenchmarkRow] = []
        var start = 0
        while start < cases.count {
            let dtype = cases[start].dtype
            var end = start
            while end < cases.count && cases[end].dtype == dtype { end += 1 }
            let group = Array(cases[start ..< end])
            switch dtype {
            case "float16": rows += try run(group, Float16.self, numpy: Float16.self)
            // NumPy has no bfloat16: its side computes in float32 on the same values (exact), as
            // NumPy code holding bfloat16 data does.
            case "bfloat16": rows += try run(group, BrainFloat16.self, numpy: Float.self)
            case "float32": rows += try run(group, Float.self, numpy: Float.self)
            case "float64": rows += try run(group, Double.self, numpy: Double.self)
            default: throw BenchmarkError("unknown dtype \(dtype) (float16, bfloat16, float32, float64)")
            }
            start = end
        }
        return rows
    }

    /// The inputs of one group of cases, in the Swift type `S` and NumPy's `N`.
    private struct Inputs<S: BCEScalar, N: BCEScalar> {
        var x, y, ones: NDArray<S>
        var weight, posWeight: NDArray<S>?
        var nx, ny, nones: NDArray<N>
        var nweight, nposWeight: NDArray<N>?
    }

    private mutating func run<S: BCEScalar, N: BCEScalar & NumPyScalar>(
        _ group: [BenchmarkCase], _: S.Type, numpy _: N.Type
    ) throws -> [BenchmarkRow] {
        var rows: [BenchmarkRow] = []
        var key: [String] = []
        var inputs: Inputs<S, N>?
        let files = try TemporaryDirectory()
        for config in group {
            if config.inputKey != key {
                key = config.inputKey
                inputs = nil   // the previous group's arrays go before the next ones are built
                inputs = try makeInputs(config, S.self, N.self)
                if torch != nil { loadTorch(config, inputs!, files) }
            }
            let row = try measure(config, inputs!)
            progress(row)
            rows.append(row)
        }
        return rows
    }

    private func makeInputs<S: BCEScalar, N: BCEScalar>(
        _ config: BenchmarkCase, _: S.Type, _: N.Type
    ) throws -> Inputs<S, N> {
        let rows = config.count / classes
        let shape = [rows, classes]
        let (x, y) = try Self.inputs(S.self, loss: config.loss, shape: shape, targets: config.targets)
        // Weights uniform in [0.5, 2], pos_weights in [0.5, 4] (the neg/pos ratio of imbalanced classes).
        let weight = try config.weight.shape(rows: rows, classes: classes).map {
            try Self.uniform(S.self, shape: $0, 0.5, 2, seed: 1)
        }
        let posWeight = try config.posWeight.shape(rows: rows, classes: classes).map {
            try Self.uniform(S.self, shape: $0, 0.5, 4, seed: 2)
        }
        let ones = try NDArray<S>(shape: shape, repeating: 1)
        return Inputs(
            x: x, y: y, ones: ones, weight: weight, posWeight: posWeight,
            nx: Self.converted(x, to: N.self), ny: Self.converted(y, to: N.self),
            nones: try NDArray<N>(shape: shape, repeating: 1),
            nweight: weight.map { Self.converted($0, to: N.self) },
            nposWeight: posWeight.map { Self.converted($0, to: N.self) })
    }

    /// Hands the group's inputs to the PyTorch worker (files of their bits); a failure ends the
    /// PyTorch column for the rest of the run, named in it.
    private mutating func loadTorch<S: BCEScalar, N: BCEScalar>(
        _ config: BenchmarkCase, _ inputs: Inputs<S, N>, _ files: TemporaryDirectory
    ) {
        do {
            func file(_ name: String, _ array: NDArray<S>?) throws -> (URL, [Int])? {
                guard let array else { return nil }
                return (try files.write(name, array.scalars), array.shape)
            }
            try torch?.load(
                dtype: config.dtype, shape: inputs.x.shape,
                input: file("input", inputs.x)!.0, target: file("target", inputs.y)!.0,
                weight: file("weight", inputs.weight), posWeight: file("pos_weight", inputs.posWeight))
        } catch {
            torchFailed(error)
        }
    }

    private mutating func torchFailed(_ error: any Error) {
        torch = nil
        torchNote = "failed: \(error)"
        warn("bench: PyTorch \(torchNote); the PyTorch column is empty from here")
    }

    /// One sampled side of a row: `sample(calls)` is the seconds of `calls` calls; what it measured.
    private struct Side {
        var sample: (Int) throws -> Double
        var measured: Measured

        init(name: String, sample: @escaping (Int) throws -> Double) {
            self.sample = sample
            measured = Measured(name: name)
        }

        var name: String { measured.name }
    }

    /// What one side measured: its calls per sample and each sample's seconds, with what the
    /// process got of the machine meanwhile.
    private struct Measured {
        var name: String
        var calls = 1
        var samples: [Double] = []
        /// This process's processor seconds per wall second in each sample (its own sides: Swift
        /// and NumPy; 2 = both threads of a 2-thread call busy throughout).
        var processorLoad: [Double] = []
        /// Per sample, per wall second: the calling thread's time runnable but waiting for a
        /// processor (/proc/thread-self/schedstat), and the machine's processor time the hypervisor took
        /// (/proc/stat's steal, over all processors, 10 ms resolution).
        var runqueueWait: [Double] = []
        var steal: [Double] = []
        /// PyTorch: the worker's wait for its threads to go idle after each sample (seconds).
        var settle: [Double] = []
        var inProcess: Bool { name != "PyTorch" && name != "probe" }
    }

    private mutating func measure<S: BCEScalar, N: BCEScalar & NumPyScalar>(
        _ config: BenchmarkCase, _ inputs: Inputs<S, N>
    ) throws -> BenchmarkRow {
        let gradOutput = config.reduction == .none ? inputs.ones : NDArray<S>(scalar: 1)
        // The buffer API's outputs, allocated once for the row (what a training loop does).
        let outputs = config.api == .buffer ? BufferOutputs<S>(count: config.count) : nil
        var sides = [Side(name: "Swift") { calls in
            if let outputs {
                return try time(calls) {
                    try Self.bufferCall(config, inputs.x, inputs.y, inputs.weight, inputs.posWeight, gradOutput, outputs)
                }
            }
            return try time(calls) { try Self.swiftCall(config, inputs.x, inputs.y, inputs.weight, inputs.posWeight, gradOutput) }
        }]
        if config != config.unweighted {
            let plain = config.unweighted
            sides.append(Side(name: "Swift unweighted") { calls in
                if let outputs {
                    return try time(calls) { try Self.bufferCall(plain, inputs.x, inputs.y, nil, nil, gradOutput, outputs) }
                }
                return try time(calls) { try Self.swiftCall(plain, inputs.x, inputs.y, nil, nil, gradOutput) }
            })
        }
        if let torch {
            sides.append(Side(name: "PyTorch") { calls in
                try torch.time(loss: config.loss, reduction: config.reduction.rawValue, pass: config.pass.rawValue,
                               calls: calls)
            })
        }
        if let probe, config.count >= probeFrom {
            sides.append(Side(name: "probe") { _ in probe.sample() })
        }
        var torchError: (any Error)?
        let measured: [Measured] = try withNumPy(config, inputs) { numpySample in
            var all = sides
            if let numpySample { all.insert(Side(name: "NumPy", sample: numpySample), at: 1) }
            return try interleave(all, failed: { error in torchError = error })
        }
        if let torchError { torchFailed(torchError) }
        func rate(_ name: String) -> Double? {
            measured.first { $0.name == name }.map { Double(config.count * $0.calls) / medianOf($0.samples) }
        }
        var row = BenchmarkRow(config: config, swift: rate("Swift")!, numpy: rate("NumPy"), torch: rate("PyTorch"))
        row.swiftUnweighted = rate("Swift unweighted")
        if row.torch == nil { row.torchNote = torchNote }
        if let probe, let side = measured.first(where: { $0.name == "probe" }) {
            row.bandwidth = Double(probe.bytesPerPass) / medianOf(side.samples)
        }
        for side in measured {
            let key = Self.sampleKey(side.name)
            let work = side.name == "probe" ? Double(probe?.bytesPerPass ?? 0) : Double(config.count * side.calls)
            row.samples[key] = side.samples.map { work / $0 }
            if side.inProcess {
                row.processorLoad[key] = side.processorLoad
                row.runqueueWait[key] = side.runqueueWait
                row.steal[key] = side.steal
            }
            if side.name == "PyTorch" && !side.settle.isEmpty { row.torchSettle = side.settle }
        }
        return row
    }

    /// Warm-up and calibration of each side (the calls that take about `sampleSeconds`), then
    /// `repetitions` rounds of one sample of each side in turn, so that the machine's drift hits
    /// all sides alike. A failing PyTorch side is dropped (and reported through `failed`).
    private func interleave(_ sides: [Side], failed: (any Error) -> Void) throws -> [Measured] {
        var sides = sides
        func guarded(_ index: Int, _ body: (inout Side) throws -> Void) throws -> Bool {
            do {
                try body(&sides[index])
                return true
            } catch let error as TorchWorkerError where sides[index].name == "PyTorch" {
                failed(error)
                sides.remove(at: index)
                return false
            }
        }
        var index = 0
        while index < sides.count {
            let kept = try guarded(index) { side in
                _ = try side.sample(1)   // warm-up
                guard side.name != "probe" else { return }
                var calls = 1
                var seconds = try side.sample(calls)
                while seconds < sampleSeconds / 8 && calls < 1 << 24 {
                    calls *= 4
                    seconds = try side.sample(calls)
                }
                side.measured.calls = max(1, Int((sampleSeconds * Double(calls) / seconds).rounded()))
            }
            if kept { index += 1 }
        }
        for _ in 0 ..< repetitions {
            var index = 0
            while index < sides.count {
                if try guarded(index, { side in
                    let before = processorSeconds(), waits = WaitCounters()
                    let seconds = try side.sample(side.measured.calls)
                    side.measured.samples.append(seconds)
                    if side.measured.inProcess {
                        side.measured.processorLoad.append((processorSeconds() - before) / seconds)
                        let after = WaitCounters()
                        side.measured.runqueueWait.append((after.runqueueSeconds - waits.runqueueSeconds) / seconds)
                        side.measured.steal.append((after.stealSeconds - waits.stealSeconds) / seconds)
                    } else if side.name == "PyTorch", let settled = torch?.lastSettle {
                        side.measured.settle.append(settled)
                    }
                }) { index += 1 }
            }
        }
        // Without the samplers: the NumPy one holds views that must not outlive their scope.
        return sides.map(\.measured)
    }

    /// The JSON key of a side's samples.
    private static func sampleKey(_ side: String) -> String {
        side == "PyTorch" ? "torch" : side.lowercased().replacingOccurrences(of: " ", with: "_")
    }

    /// Runs `body` with a sampler of the NumPy side (nil without NumPy): zero-copy views of the
    /// Swift buffers, the GIL held throughout.
    private func withNumPy<S: BCEScalar, N: BCEScalar & NumPyScalar, R>(
        _ config: BenchmarkCase, _ inputs: Inputs<S, N>, _ body: (((Int) throws -> Double)?) throws -> R
    ) throws -> R {
        guard includeNumPy else { return try body(nil) }
        var otherError: (any Error)?
        let result: R? = try Python.withGIL { py throws -> R? in
            let module = try NumPyBaseline.module(py)
            let arrays = [inputs.nx, inputs.ny, inputs.nweight, inputs.nposWeight,
                          config.reduction == .none && config.pass == .gradients ? inputs.nones : nil]
            return try Self.withViews(py, arrays) { views throws(PythonError) -> R? in
                let repeatCalls = try module.attr("repeat")
                var arguments: [(any PythonConvertible)?] = Array(views.prefix(4))
                let function: PythonObject
                if config.pass == .forward {
                    function = try module.attr("forward").call(config.loss, config.reduction.rawValue)
                } else {
                    function = try module.attr("forward_and_gradients").call(
                        config.loss, config.reduction.rawValue, config.api == .ndarray)
                    arguments.append(config.reduction == .none ? views[4] : 1.0 / Double(config.count))
                }
                var pythonError: PythonError?
                do {
                    return try body { calls in
                        do {
                            return try time(1) { try repeatCalls.call(arguments: [function, calls] + arguments) }
                        } catch let error as PythonError {
                            pythonError = error
                            throw error
                        }
                    }
                } catch {
                    if let pythonError { throw pythonError }
                    otherError = error   // the Swift library's, or the worker's
                    return nil
                }
            }
        }
        if let otherError { throw otherError }
        return result!
    }

    /// `body` with zero-copy NumPy views of `arrays` (nil stays None), nested.
    private static func withViews<N: BCEScalar & NumPyScalar, R>(
        _ py: PythonGIL, _ arrays: [NDArray<N>?], _ views: [PythonObject?] = [],
        _ body: ([PythonObject?]) throws(PythonError) -> R
    ) throws(PythonError) -> R {
        guard views.count < arrays.count else { return try body(views) }
        guard let array = arrays[views.count] else { return try withViews(py, arrays, views + [nil], body) }
        return try array.scalars.withUnsafeBufferPointer { buffer throws(PythonError) -> R in
            try py.withNumPyView(of: buffer, shape: array.shape) { view throws(PythonError) -> R in
                try withViews(py, arrays, views + [view], body)
            }
        }
    }

    /// `array` in `N`: the same storage when `N` is `S`, else each value converted (exactly, for
    /// bfloat16 to Float).
    static func converted<S: BCEScalar, N: BCEScalar>(_ array: NDArray<S>, to _: N.Type) -> NDArray<N> {
        if let same = array as? NDArray<N> { return same }
        return (try? NDArray(shape: array.shape, scalars: array.scalars.map { N($0) })) ?? NDArray([])
    }

    /// Probabilities in [0.0005, 0.9995] (BCE) or logits in [-10, 10], and targets.
    static func inputs<S: BCEScalar>(
        _: S.Type, loss: String, shape: [Int], targets: BenchmarkTargets
    ) throws -> (NDArray<S>, NDArray<S>) {
        let count = shape.reduce(1, *)
        var rng = SplitMix64(seed: 20261129 &+ UInt64(count))
        var x = [S](), y = [S]()
        x.reserveCapacity(count)
        y.reserveCapacity(count)
        for _ in 0 ..< count {
            let u = rng.unit()
            x.append(loss == "bce" ? S(0.0005 + 0.999 * u) : S(20 * u - 10))
            y.append(targets == .hard ? (rng.next() & 1 == 0 ? 0 : 1) : S(rng.unit()))
        }
        return (try NDArray(shape: shape, scalars: x), try NDArray(shape: shape, scalars: y))
    }

    /// Values uniform in [low, high].
    static func uniform<S: BCEScalar>(_: S.Type, shape: [Int], _ low: Double, _ high: Double, seed: UInt64) throws -> NDArray<S> {
        var rng = SplitMix64(seed: 20261202 &+ seed)
        let count = shape.reduce(1, *)
        return try NDArray(shape: shape, scalars: (0 ..< count).map { _ in S(low + (high - low) * rng.unit()) })
    }

    private static func swiftCall<S: BCEScalar>(
        _ config: BenchmarkCase, _ input: NDArray<S>, _ target: NDArray<S>,
        _ weight: NDArray<S>?, _ posWeight: NDArray<S>?, _ gradOutput: NDArray<S>
    ) throws {
        let reduction = config.reduction
        if config.loss == "bce" {
            blackHole(try binaryCrossEntropy(input, target, weight: weight, reduction: reduction))
            if config.pass == .gradients {
                blackHole(try binaryCrossEntropyBackward(
                    input, target, weight: weight, reduction: reduction, gradOutput: gradOutput))
            }
        } else {
            blackHole(try binaryCrossEntropyWithLogits(
                input, target, weight: weight, posWeight: posWeight, reduction: reduction))
            if config.pass == .gradients {
                blackHole(try binaryCrossEntropyWithLogitsBackward(
                    input, target, weight: weight, posWeight: posWeight, reduction: reduction, gradOutput: gradOutput))
            }
        }
    }
}

extension Benchmark {
    /// One timed call of the buffer API (`BenchmarkAPI.buffer`) on the NDArrays' storage (views, no copy).
    fileprivate static func bufferCall<S: BCEScalar>(
        _ config: BenchmarkCase, _ input: NDArray<S>, _ target: NDArray<S>,
        _ weight: NDArray<S>?, _ posWeight: NDArray<S>?, _ gradOutput: NDArray<S>, _ outputs: BufferOutputs<S>
    ) throws {
        try withViews(input, target, weight, posWeight, gradOutput) { x, y, w, p, g in
            let (loss, dx) = (outputs.loss, outputs.inputGradient)
            let gradients = config.pass == .gradients
            switch (config.loss == "bce", config.reduction == .none) {
            case (true, true):
                try binaryCrossEntropy(x, y, weight: w, into: loss)
                if gradients { try binaryCrossEntropyBackward(x, y, weight: w, reduction: .none, gradOutput: g, inputGradient: dx) }
            case (true, false):
                blackHole(gradients
                    ? try binaryCrossEntropyAndGradients(x, y, weight: w, inputGradient: dx)
                    : try binaryCrossEntropy(x, y, weight: w))
            case (false, true):
                try binaryCrossEntropyWithLogits(x, y, weight: w, posWeight: p, into: loss)
                if gradients {
                    try binaryCrossEntropyWithLogitsBackward(x, y, weight: w, posWeight: p, reduction: .none, gradOutput: g,
                                                             inputGradient: dx)
                }
            case (false, false):
                blackHole(gradients
                    ? try binaryCrossEntropyWithLogitsAndGradients(x, y, weight: w, posWeight: p, inputGradient: dx)
                    : try binaryCrossEntropyWithLogits(x, y, weight: w, posWeight: p))
            }
        }
    }

    /// `body` with buffer-API views of the arrays' storage.
    private static func withViews<S: BCEScalar>(
        _ x: NDArray<S>, _ y: NDArray<S>, _ w: NDArray<S>?, _ p: NDArray<S>?, _ g: NDArray<S>,
        _ body: (BCETensorView<S>, BCETensorView<S>, BCETensorView<S>?, BCETensorView<S>?, BCETensorView<S>) throws -> Void
    ) throws {
        func view(_ a: NDArray<S>?, _ next: (BCETensorView<S>?) throws -> Void) throws {
            guard let a else { return try next(nil) }
            try a.scalars.withUnsafeBufferPointer { try next(BCETensorView($0, shape: a.shape)) }
        }
        try view(x) { x in try view(y) { y in try view(w) { w in try view(p) { p in try view(g) { g in
            try body(x!, y!, w, p, g!)
        } } } } }
    }
}

/// The buffer API's output buffers of one row: the loss of `none` and d/dinput.
final class BufferOutputs<S: BCEScalar> {
    let loss: UnsafeMutableBufferPointer<S>
    let inputGradient: UnsafeMutableBufferPointer<S>

    init(count: Int) {
        loss = .allocate(capacity: count)
        loss.initialize(repeating: 0)
        inputGradient = .allocate(capacity: count)
        inputGradient.initialize(repeating: 0)
    }

    deinit {
        loss.deallocate()
        inputGradient.deallocate()
    }
}

/// A directory for the files the PyTorch worker reads, removed with its last reference.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("bce-bench-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes the raw bits of `scalars` (little-endian, as this machine stores them) to `name`.
    func write<S>(_ name: String, _ scalars: [S]) throws -> URL {
        let file = url.appendingPathComponent(name)
        try scalars.withUnsafeBytes { try Data($0).write(to: file) }
        return file
    }
}

private func medianOf(_ samples: [Double]) -> Double {
    let samples = samples.sorted()
    let middle = samples.count / 2
    return samples.count % 2 == 1 ? samples[middle] : (samples[middle - 1] + samples[middle]) / 2
}

/// Processor seconds this process has used (every thread).
private func processorSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// What the scheduler and the hypervisor kept from this process, as counters read at one moment:
/// the calling thread's seconds runnable but not running, and the machine's stolen processor
/// seconds per processor (0 where /proc does not say).
private struct WaitCounters {
    var runqueueSeconds = 0.0, stealSeconds = 0.0

    init() {
        if let text = try? String(contentsOfFile: "/proc/thread-self/schedstat", encoding: .utf8) {
            let fields = text.split(separator: " ")
            if fields.count >= 2, let wait = Double(fields[1]) { runqueueSeconds = wait * 1e-9 }
        }
        if let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
           let line = text.split(separator: "\n").first, line.hasPrefix("cpu ") {
            let fields = line.split(separator: " ")
            if fields.count > 8, let jiffies = Double(fields[8]) {
                stealSeconds = jiffies / Double(sysconf(Int32(_SC_CLK_TCK))) / Double(ProcessInfo.processInfo.activeProcessorCount)
            }
        }
    }
}

/// Seconds taken by `calls` calls of `body`.
private func time(_ calls: Int, _ body: () throws -> Void) throws -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    for _ in 0 ..< calls { try body() }
    let elapsed = clock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

@inline(never)
private func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
