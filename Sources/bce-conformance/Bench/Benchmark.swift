import BCEConformance
import BinaryCrossEntropy
import PythonBridge

/// One measured configuration: a loss, an element type, a reduction, a pass and a size.
struct BenchmarkRow: Sendable {
    var loss: String            // "bce" | "bce_with_logits"
    var dtype: String           // "float16" | "bfloat16" | "float32" | "float64"
    var reduction: Reduction    // .mean | .none
    var pass: BenchmarkPass
    var count: Int
    /// Elements per second, the median over the repetitions.
    var swift: Double
    var numpy: Double?
    var ratio: Double? { numpy.map { swift / $0 } }
}

/// What one timed call computes.
enum BenchmarkPass: String, Sendable, CaseIterable {
    /// The loss only.
    case forward
    /// The loss, then the gradients with respect to input and target.
    case gradients = "forward+gradients"
}

/// Targets of the benchmark inputs.
enum BenchmarkTargets: String, Sendable, CaseIterable {
    /// 0 or 1, as labels are in classification training.
    case hard
    /// Uniform in [0, 1].
    case soft
}

/// Runs the Swift library and NumPy on the same buffers and times both.
struct Benchmark {
    var sizes: [Int]
    var repetitions: Int
    var dtypes: [String]
    var losses: [String]
    var reductions: [Reduction]
    var passes: [BenchmarkPass]
    var targets: BenchmarkTargets
    var includeNumPy: Bool
    /// Each timed repetition repeats the call until it has processed this many elements.
    var elementsPerRepetition = 1_000_000
    /// Called with each finished row.
    var progress: (BenchmarkRow) -> Void = { _ in }

    func run() throws -> [BenchmarkRow] {
        var rows: [BenchmarkRow] = []
        for dtype in dtypes {
            switch dtype {
            case "float16": rows += try run(Float16.self, numpy: Float16.self, dtype: dtype)
            // NumPy has no bfloat16: its side computes in float32 on the same values (exact), as
            // NumPy code holding bfloat16 data does.
            case "bfloat16": rows += try run(BrainFloat16.self, numpy: Float.self, dtype: dtype)
            case "float32": rows += try run(Float.self, numpy: Float.self, dtype: dtype)
            case "float64": rows += try run(Double.self, numpy: Double.self, dtype: dtype)
            default: throw BenchmarkError("unknown dtype \(dtype) (float16, bfloat16, float32, float64)")
            }
        }
        return rows
    }

    /// The rows of `S`; NumPy computes in `N` on the same values (`N` is `S` but for bfloat16).
    private func run<S: BCEScalar, N: BCEScalar & NumPyScalar>(
        _: S.Type, numpy _: N.Type, dtype: String
    ) throws -> [BenchmarkRow] {
        var rows: [BenchmarkRow] = []
        for count in sizes {
            for loss in losses {
                let (input, target) = Self.inputs(S.self, loss: loss, count: count, targets: targets)
                let ones = try NDArray<S>(shape: [count], repeating: 1)
                let (numpyInput, numpyTarget) = (Self.converted(input, to: N.self), Self.converted(target, to: N.self))
                let numpyOnes = try NDArray<N>(shape: [count], repeating: 1)
                for pass in passes {
                    for reduction in reductions {
                        let calls = max(1, elementsPerRepetition / max(count, 1))
                        let gradOutput = reduction == .none ? ones : NDArray<S>(scalar: 1)
                        let swiftSample = {
                            try time(calls) {
                                try swiftCall(loss: loss, pass: pass, reduction: reduction, input, target, gradOutput)
                            }
                        }
                        let (swift, numpy): (Double, Double?) = includeNumPy
                            ? try interleavedTimes(
                                loss: loss, pass: pass, reduction: reduction, input: numpyInput, target: numpyTarget,
                                ones: numpyOnes, calls: calls, swiftSample: swiftSample)
                            : (try median(repetitions, swiftSample), nil)
                        var row = BenchmarkRow(
                            loss: loss, dtype: dtype, reduction: reduction, pass: pass, count: count,
                            swift: Double(count * calls) / swift)
                        row.numpy = numpy.map { Double(count * calls) / $0 }
                        progress(row)
                        rows.append(row)
                    }
                }
            }
        }
        return rows
    }

    /// `array` in `N`: the same storage when `N` is `S`, else each value converted (exactly, for
    /// bfloat16 to Float).
    static func converted<S: BCEScalar, N: BCEScalar>(_ array: NDArray<S>, to _: N.Type) -> NDArray<N> {
        if let same = array as? NDArray<N> { return same }
        return (try? NDArray(shape: array.shape, scalars: array.scalars.map { N($0) })) ?? NDArray([])
    }

    /// Probabilities in [0.0005, 0.9995] (BCE) or logits in [-10, 10], and targets.
    static func inputs<S: BCEScalar>(
        _: S.Type, loss: String, count: Int, targets: BenchmarkTargets
    ) -> (NDArray<S>, NDArray<S>) {
        var rng = SplitMix64(seed: 20261129 &+ UInt64(count))
        var x = [S](), y = [S]()
        x.reserveCapacity(count)
        y.reserveCapacity(count)
        for _ in 0 ..< count {
            let u = rng.unit()
            x.append(loss == "bce" ? S(0.0005 + 0.999 * u) : S(20 * u - 10))
            y.append(targets == .hard ? (rng.next() & 1 == 0 ? 0 : 1) : S(rng.unit()))
        }
        return (NDArray(x), NDArray(y))
    }

    private func swiftCall<S: BCEScalar>(
        loss: String, pass: BenchmarkPass, reduction: Reduction,
        _ input: NDArray<S>, _ target: NDArray<S>, _ gradOutput: NDArray<S>
    ) throws {
        if loss == "bce" {
            blackHole(try binaryCrossEntropy(input, target, reduction: reduction))
            if pass == .gradients {
                blackHole(try binaryCrossEntropyBackward(input, target, reduction: reduction, gradOutput: gradOutput))
            }
        } else {
            blackHole(try binaryCrossEntropyWithLogits(input, target, reduction: reduction))
            if pass == .gradients {
                blackHole(try binaryCrossEntropyWithLogitsBackward(
                    input, target, reduction: reduction, gradOutput: gradOutput))
            }
        }
    }

    /// The median times of the Swift sample and of NumPy through zero-copy views of the same Swift
    /// buffers (the GIL held throughout), measured alternately (Swift, NumPy, Swift, ...) after one
    /// warm-up of each, so that both see the same state of the machine.
    private func interleavedTimes<S: BCEScalar & NumPyScalar>(
        loss: String, pass: BenchmarkPass, reduction: Reduction,
        input: NDArray<S>, target: NDArray<S>, ones: NDArray<S>, calls: Int,
        swiftSample: () throws -> Double
    ) throws -> (swift: Double, numpy: Double) {
        var swiftSamples: [Double] = []
        let numpy = try numpyTime(
            loss: loss, pass: pass, reduction: reduction, input: input, target: target, ones: ones, calls: calls,
            before: { swiftSamples.append(try swiftSample()) })
        return (medianOf(Array(swiftSamples.dropFirst())), numpy)   // the first was the warm-up
    }

    /// NumPy through zero-copy views of the same Swift buffers, the GIL held throughout; `before`
    /// runs before each NumPy sample (the warm-up included).
    private func numpyTime<S: BCEScalar & NumPyScalar>(
        loss: String, pass: BenchmarkPass, reduction: Reduction,
        input: NDArray<S>, target: NDArray<S>, ones: NDArray<S>, calls: Int, before: () throws -> Void
    ) throws -> Double {
        var otherError: (any Error)?
        let seconds = try Python.withGIL { py throws -> Double in
            let module = try NumPyBaseline.module(py)
            return try input.scalars.withUnsafeBufferPointer { x throws -> Double in
                try target.scalars.withUnsafeBufferPointer { y throws -> Double in
                    try ones.scalars.withUnsafeBufferPointer { g throws -> Double in
                        try py.withNumPyView(of: x, shape: [x.count]) { xa throws(PythonError) -> Double in
                            try py.withNumPyView(of: y, shape: [y.count]) { ya throws(PythonError) -> Double in
                                try py.withNumPyView(of: g, shape: [g.count]) { ga throws(PythonError) -> Double in
                                    let repeatCalls = try module.attr("repeat")
                                    let function: PythonObject
                                    var arguments: [(any PythonConvertible)?] = [xa, ya]
                                    if pass == .forward {
                                        function = try module.attr("forward").call(loss, reduction.rawValue)
                                    } else {
                                        function = try module.attr("forward_and_gradients").call(loss, reduction.rawValue)
                                        if reduction == .none { arguments.append(ga) } else {
                                            arguments.append(1.0 / Double(x.count))
                                        }
                                    }
                                    do {
                                        return try median(repetitions) {
                                            try before()
                                            return try time(1) {
                                                try repeatCalls.call(arguments: [function, calls] + arguments)
                                            }
                                        }
                                    } catch let error as PythonError {
                                        throw error
                                    } catch {
                                        otherError = error   // from `before` (the Swift library)
                                        return 0
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if let otherError { throw otherError }
        return seconds
    }
}

/// The median of `repetitions` timings (seconds), after one untimed warm-up.
private func median(_ repetitions: Int, _ measure: () throws -> Double) throws -> Double {
    _ = try measure()
    var samples: [Double] = []
    for _ in 0 ..< max(1, repetitions) { samples.append(try measure()) }
    return medianOf(samples)
}

private func medianOf(_ samples: [Double]) -> Double {
    let samples = samples.sorted()
    let middle = samples.count / 2
    return samples.count % 2 == 1 ? samples[middle] : (samples[middle - 1] + samples[middle]) / 2
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

