import Foundation
import Testing

/// `bce-conformance bench` through the built executable (issue 14): the weighted rows, the
/// PyTorch column when torch is absent or its worker fails (a named gap, never a silent one), the
/// bandwidth probe's columns and the bars in the JSON. Tiny runs (no NumPy, one repetition):
/// what is checked is what the rows say, not how fast anything is.
@Suite("bench: rows, PyTorch column, bandwidth probe, bars", .serialized)
struct BenchTests {
    let scratch: URL

    init() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: scratch) }

    static let fixtures = Tool.packageRoot.appendingPathComponent("Tests/Fixtures/bench")
    static let scripts = Tool.packageRoot.appendingPathComponent("scripts").path
    /// One size, float32, BCELoss forward mean, no NumPy, no probe, one short repetition.
    static let small = ["bench", "--sizes", "1e4", "--dtypes", "float32", "--losses", "bce", "--reductions", "mean",
                        "--passes", "forward", "--no-numpy", "--no-bandwidth", "--repetitions", "1",
                        "--sample-seconds", "0.001", "--scripts", scripts]

    /// Runs bench with `arguments` plus `--json`, and returns the exit status, the result and the rows.
    func bench(_ arguments: [String], environment: [String: String] = [:]) throws -> (Tool.Result, [[String: Any]]) {
        let json = scratch.appendingPathComponent("bench.json")
        let r = try Tool.run(arguments + ["--json", json.path], environment: environment, limit: 300)
        guard r.status == 0 else { return (r, []) }
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any]
        return (r, document?["rows"] as? [[String: Any]] ?? [])
    }

    @Test func withoutTorchEveryRowSaysNotInstalledAndNamesWhereItLooked() throws {
        defer { cleanUp() }
        let (r, rows) = try bench(Self.small + ["--weight", "none,per-class"],
                                  environment: ["TORCH_VENV": "/nonexistent-bench-venv"])
        #expect(r.status == 0, "\(r.description)")
        #expect(rows.count == 2, "\(r.description)")
        for row in rows {
            #expect(row["torch"] is NSNull, "\(row)")
            #expect((row["torch_note"] as? String)?.hasPrefix("not installed (no /nonexistent-bench-venv/bin/python") == true, "\(row)")
        }
        #expect(r.stdout.contains("not installed"), "\(r.description)")
        #expect(r.stdout.contains("PyTorch not installed (no /nonexistent-bench-venv/bin/python"), "\(r.description)")
    }

    @Test func aWeightedRowTimesItsCallWithoutWeightsInTurnAndThatGivesItsWeightCost() throws {
        defer { cleanUp() }
        // No "none" row: the weighted rows need no unweighted twin among the rows.
        let (r, rows) = try bench(Self.small + ["--weight", "per-class,full", "--no-torch"])
        #expect(r.status == 0, "\(r.description)")
        #expect(rows.map { $0["weight"] as? String } == ["per-class", "full"], "\(r.description)")
        for row in rows {
            let plain = try #require(row["swift_unweighted"] as? Double, "\(row)")
            #expect(plain > 0)
            let cost = try #require(row["weight_cost"] as? Double, "\(row)")
            #expect(abs(cost - plain / (row["swift"] as? Double ?? 0)) <= 1e-9 * cost, "\(row)")
            #expect((row["bars"] as? [String: String])?["weight"] == (cost <= 2 ? "PASS" : "FAIL"), "\(row)")
        }
        let (r2, unweighted) = try bench(Self.small + ["--weight", "none", "--no-torch"])
        #expect(r2.status == 0, "\(r2.description)")
        #expect(unweighted.first?["swift_unweighted"] is NSNull, "\(unweighted)")
        #expect(unweighted.first?["weight_cost"] is NSNull, "\(unweighted)")
        #expect((unweighted.first?["bars"] as? [String: String])?["weight"] == "-", "\(unweighted)")
    }

    @Test func theBufferAPIRowsRunEveryLossReductionAndPassWithWeights() throws {
        defer { cleanUp() }
        var arguments = Self.small
        for (option, value) in [("--losses", "bce,bce_with_logits"), ("--reductions", "mean,none"),
                                ("--passes", "forward,forward+gradients")] {
            arguments[arguments.firstIndex(of: option)! + 1] = value
        }
        let (r, rows) = try bench(arguments + ["--api", "buffer,ndarray", "--weight", "per-class", "--pos-weight", "per-class",
                                               "--no-torch"])
        #expect(r.status == 0, "\(r.description)")
        #expect(rows.count == 16, "\(r.description)")
        #expect(rows.filter { $0["api"] as? String == "buffer" }.count == 8)
        #expect(rows.allSatisfy { ($0["swift"] as? Double ?? 0) > 0 }, "\(rows)")
        let bad = try Tool.run(Self.small + ["--api", "tensor"], limit: 60)
        #expect(bad.status == 2 && bad.stderr.contains("--api"), "\(bad.description)")
    }

    @Test func aTorchWorkerThatDiesMidRunLeavesANamedGap() throws {
        defer { cleanUp() }
        let worker = Self.fixtures.appendingPathComponent("worker_dies_at_time.sh").path
        let (r, rows) = try bench(Self.small + ["--weight", "none,per-class", "--torch", worker])
        #expect(r.status == 0, "\(r.description)")
        #expect(rows.count == 2, "\(r.description)")
        for row in rows {
            #expect(row["torch"] is NSNull, "\(row)")
            #expect((row["torch_note"] as? String)?.hasPrefix("failed: the worker closed its stdout (exit code 3)") == true, "\(row)")
        }
        #expect(r.stderr.contains("PyTorch failed: the worker closed its stdout (exit code 3)"), "\(r.description)")
        #expect(r.stdout.contains("failed"), "\(r.description)")
    }

    @Test func aTorchWorkerThatAnswersNonsenseIsNamedWithWhatItSaid() throws {
        defer { cleanUp() }
        let worker = Self.fixtures.appendingPathComponent("worker_talks_nonsense.sh").path
        let (r, rows) = try bench(Self.small + ["--torch", worker])
        #expect(r.status == 0, "\(r.description)")
        #expect((rows.first?["torch_note"] as? String)?
            .contains("the worker's reply is not the expected JSON: Segmentation fault (core dumped)") == true, "\(r.description)")
    }

    @Test(arguments: [
        (["--torch", "/nonexistent/python"], "--torch: /nonexistent/python is not an executable file"),
        (["--torch", fixtures.appendingPathComponent("worker_refuses_hello.sh").path],
         "the worker closed its stdout (exit code 1)"),
        (["--sizes", "1001"], "size 1001 is not a multiple of --classes 50"),
        (["--weight", "diagonal"], "--weight: unknown value diagonal (none, per-class, full)"),
        (["--pos-weight", ""], "--pos-weight names nothing (none, per-class, full)"),
        (["--targets", "hard,fuzzy"], "--targets: unknown value fuzzy (hard, soft)"),
        (["--sample-seconds", "0"], "--sample-seconds must be a number from 0.0001 to 60 (got \"0\")"),
        (["--spin", "2000000"], "--spin must be a whole number from 0 to 1000000 (got \"2000000\")"),
    ] as [([String], String)])
    func aBadBenchOptionIsAUsageErrorThatSaysWhy(_ arguments: [String], _ message: String) throws {
        defer { cleanUp() }
        let r = try Tool.run(Self.small + arguments)
        #expect(r.status == 2, "\(arguments): \(r.description)")
        #expect(r.stderr.contains(message), "\(arguments): \(r.description)")
    }

    @Test func aLargeRowSamplesTheBandwidthProbeAndReportsItsFraction() throws {
        defer { cleanUp() }
        // float16: a probed row without the 1e7 bar rows (added for float32 and float64 only).
        var arguments = Self.small.filter { $0 != "--no-bandwidth" } + ["--probe-from", "10000"]
        arguments[arguments.firstIndex(of: "float32")!] = "float16"
        let (r, rows) = try bench(arguments + ["--weight", "none", "--no-torch", "--probe-mib", "4"])
        #expect(r.status == 0, "\(r.description)")
        let row = try #require(rows.first, "\(r.description)")
        #expect(rows.count == 1)
        let bandwidth = try #require(row["read_bandwidth"] as? Double, "\(row)")
        let swift = try #require(row["swift"] as? Double)
        // Forward mean reads input and target: 2 × 2 bytes per float16 element.
        #expect(abs((row["bandwidth_fraction"] as? Double ?? 0) - swift * 4 / bandwidth) <= 1e-9)
        #expect((row["bars"] as? [String: String])?["bandwidth"] == "-", "the bar is for float32/float64 at 1e7")
        #expect(r.stderr.contains("the bandwidth probe (2 × 4 MiB read and summed"), "\(r.description)")
    }

    @Test func everyRowListsEachSidesSamplesAndItsFiguresAreTheirMediansAndTheProcessorLoad() throws {
        defer { cleanUp() }
        var arguments = Self.small.filter { $0 != "--no-bandwidth" } + ["--probe-from", "10000", "--probe-mib", "4"]
        arguments[arguments.firstIndex(of: "--repetitions")! + 1] = "3"
        // Samples of 20 ms: the kernel adds another thread's processor time at its ticks (a few
        // milliseconds), which a 1 ms sample's load could not absorb.
        arguments[arguments.firstIndex(of: "--sample-seconds")! + 1] = "0.02"
        let (r, rows) = try bench(arguments + ["--weight", "per-class", "--no-torch"])
        #expect(r.status == 0, "\(r.description)")
        let row = try #require(rows.first, "\(r.description)")
        let samples = try #require(row["samples"] as? [String: [Double]], "\(row)")
        #expect(samples.keys.sorted() == ["probe", "swift", "swift_unweighted"], "\(row)")
        for (side, figure) in [("swift", "swift"), ("swift_unweighted", "swift_unweighted"), ("probe", "read_bandwidth")] {
            let values = try #require(samples[side], "\(row)")
            #expect(values.count == 3 && values.allSatisfy { $0 > 0 }, "\(side): \(values)")
            let reported = try #require(row[figure] as? Double, "\(row)")
            #expect(values.sorted()[1] == reported, "\(side): the median of \(values) is \(figure) \(reported)")
        }
        // The sides in the runner's own process also say how busy it was in each sample (about at
        // most the processors there are, within tick resolution; the probe is another kind of
        // side, PyTorch another process).
        let load = try #require(row["processor_load"] as? [String: [Double]], "\(row)")
        #expect(load.keys.sorted() == ["swift", "swift_unweighted"], "\(row)")
        let processors = Double(ProcessInfo.processInfo.activeProcessorCount)
        for (side, values) in load {
            #expect(values.count == 3 && values.allSatisfy { $0 > 0.2 && $0 <= processors * 1.5 }, "\(side): \(values)")
        }
        // And what the scheduler and the hypervisor kept from it: fractions of each sample's wall time.
        for key in ["runqueue_wait", "steal"] {
            let waits = try #require(row[key] as? [String: [Double]], "\(key): \(row)")
            #expect(waits.keys.sorted() == ["swift", "swift_unweighted"], "\(key): \(row)")
            for (side, values) in waits {
                #expect(values.count == 3 && values.allSatisfy { $0 >= 0 && $0 <= 1.5 }, "\(key) \(side): \(values)")
            }
        }
    }

    @Test func aSpinIsRecordedInTheJSONAndTheHeaderAndNoSpinIsTheDefault() throws {
        defer { cleanUp() }
        let json = scratch.appendingPathComponent("spin.json")
        for (arguments, spin) in [([String](), 0), (["--spin", "150"], 150)] {
            let r = try Tool.run(Self.small + arguments + ["--no-torch", "--json", json.path], limit: 300)
            #expect(r.status == 0, "\(r.description)")
            let document = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any]
            #expect(document?["swift_spin_microseconds"] as? Int == spin, "\(String(describing: document))")
            #expect(r.stdout.contains("workers spinning 150 µs after each call") == (spin > 0), "\(r.description)")
        }
    }

    @Test func eachPyTorchSampleSaysHowLongItsThreadsTookToGoIdle() throws {
        defer { cleanUp() }
        var arguments = Self.small
        arguments[arguments.firstIndex(of: "--repetitions")! + 1] = "3"
        let worker = Self.fixtures.appendingPathComponent("worker_settles.sh").path
        let (r, rows) = try bench(arguments + ["--torch", worker])
        #expect(r.status == 0, "\(r.description)")
        let row = try #require(rows.first, "\(r.description)")
        #expect(row["torch_settle"] as? [Double] == [0.042, 0.042, 0.042], "\(row)")
        let (r2, without) = try bench(Self.small + ["--no-torch"])
        #expect(r2.status == 0, "\(r2.description)")
        #expect(without.first?["torch_settle"] is NSNull, "\(without)")
    }
}
