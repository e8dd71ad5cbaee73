import BinaryCrossEntropy
import Foundation

/// The bars of issue 14, checked per row (same machine, same run).
enum BenchmarkBars {
    /// The NumPy and PyTorch bars hold from this many elements.
    static let from = 10_000
    /// Swift ≥ 2× NumPy.
    static let numpyRatio = 2.0
    /// Swift ≥ 1× PyTorch CPU at the same thread count.
    static let torchRatio = 1.0
    /// A weight or pos_weight costs at most 2× the unweighted call (time ratio).
    static let weightCost = 2.0
    /// Forward `mean` of float32 and float64 from this many elements...
    static let bandwidthFrom = 10_000_000
    /// ... reaches this fraction of the probe's read bandwidth.
    static let bandwidthFraction = 0.6

    enum Verdict: String { case pass = "PASS", fail = "FAIL", none = "-" }

    /// The verdicts of one row.
    struct Checked {
        var numpy = Verdict.none, torch = Verdict.none, weight = Verdict.none, bandwidth = Verdict.none
        /// The call without weights (sampled in turn with this row, on its inputs) over this row's
        /// throughput: how many times slower the weighted call is.
        var weightCost: Double?
        /// Bytes the Swift call moves per second over the probe's read bandwidth.
        var bandwidthFraction: Double?

        var all: [(String, Verdict)] { [("numpy", numpy), ("torch", torch), ("weight", weight), ("bandwidth", bandwidth)] }
    }

    static func check(_ row: BenchmarkRow) -> Checked {
        var checked = Checked()
        let config = row.config
        func verdict(_ ok: Bool) -> Verdict { ok ? .pass : .fail }
        if config.count >= from {
            if let ratio = row.numpyRatio { checked.numpy = verdict(ratio >= numpyRatio) }
            if let ratio = row.torchRatio { checked.torch = verdict(ratio >= torchRatio) }
        }
        if config != config.unweighted, let unweighted = row.swiftUnweighted {
            let cost = unweighted / row.swift
            checked.weightCost = cost
            checked.weight = verdict(cost <= weightCost)
        }
        if let bandwidth = row.bandwidth {
            let fraction = row.swift * Double(bytesPerElement(config)) / bandwidth
            checked.bandwidthFraction = fraction
            if config.count >= bandwidthFrom, config.pass == .forward, config.reduction == .mean,
               ["float32", "float64"].contains(config.dtype) {
                checked.bandwidth = verdict(fraction >= bandwidthFraction)
            }
        }
        return checked
    }

    /// Bytes one element of the call reads and writes: input and target, a full weight and
    /// pos_weight, grad_output of `none` gradients; the output of `none`, the two gradients.
    static func bytesPerElement(_ config: BenchmarkCase) -> Int {
        let size = ["float16": 2, "bfloat16": 2, "float32": 4, "float64": 8][config.dtype] ?? 0
        let gradients = config.pass == .gradients, none = config.reduction == .none
        var arrays = 2 + (config.weight == .full ? 1 : 0) + (config.posWeight == .full ? 1 : 0)
        arrays += (gradients && none ? 1 : 0) + (none ? 1 : 0) + (gradients ? 2 : 0)
        return size * arrays
    }

    /// Each row checked.
    static func checkAll(_ rows: [BenchmarkRow]) -> [Checked] { rows.map(check) }

    /// "numpy 40 PASS / 3 FAIL, torch ..." over `checked`.
    static func summary(_ checked: [Checked]) -> String {
        let names = ["numpy": "Swift ≥ 2× NumPy", "torch": "Swift ≥ 1× PyTorch", "weight": "weight cost ≤ 2×",
                     "bandwidth": "≥ 60% of read bandwidth"]
        return ["numpy", "torch", "weight", "bandwidth"].map { name in
            let verdicts = checked.compactMap { $0.all.first { $0.0 == name }?.1 }
            let pass = verdicts.filter { $0 == .pass }.count, fail = verdicts.filter { $0 == .fail }.count
            return "\(names[name]!): \(pass) PASS, \(fail) FAIL"
        }.joined(separator: "; ")
    }
}

/// Where and when the figures were taken.
struct BenchmarkContext {
    var date: String
    var machine: String
    var processors: Int
    var threads: Int
    /// The library's spin after a call (`--spin`; 0: its workers park at once).
    var spinMicroseconds = 0
    var instructionSet: String
    var numpy: String
    var torch: String
    var classes: Int
    var repetitions: Int
    var command: String
    /// The probe's read bandwidth (bytes/s, median of its samples) before the rows.
    var bandwidth: Double?
    /// /proc/loadavg's 1-minute figure before and after the rows (a busy machine shows here).
    var loadAverage: String

    static func currentLoad() -> String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "").split(separator: " ").first
            .map(String.init) ?? "unknown"
    }

    var summary: String {
        "\(date), \(machine), \(processors) processors; Swift library on up to \(threads) threads "
            + "(\(instructionSet) kernels" + (spinMicroseconds > 0 ? ", workers spinning \(spinMicroseconds) µs after each call" : "")
            + "); \(numpy) single-threaded; \(torch); inputs (rows, \(classes)); "
            + "read bandwidth " + (bandwidth.map { String(format: "%.1f GB/s", $0 / 1e9) } ?? "not measured")
            + "; load average \(loadAverage)"
    }
}

/// The table, the JSON document and the Markdown table.
enum BenchmarkReport {
    static func line(_ row: BenchmarkRow, _ checked: BenchmarkBars.Checked) -> String {
        let c = row.config
        var out = pad(c.loss, 16) + pad(c.dtype, 9) + pad(c.weight.rawValue, 10) + pad(c.posWeight.rawValue, 10)
        out += pad(c.targets.rawValue, 5) + pad(c.reduction.rawValue, 5) + pad(c.pass.rawValue, 18) + pad(c.api.rawValue, 8)
        out += pad(sizeLabel(c.count), 5, right: true) + format(row.swift / 1e6, width: 9)
        out += (row.numpy.map { format($0 / 1e6, width: 9) } ?? pad("-", 9, right: true))
        out += (row.torch.map { format($0 / 1e6, width: 14) } ?? pad(shortNote(row.torchNote), 14, right: true))
        out += (row.numpyRatio.map { format($0, width: 7, digits: 2) } ?? pad("-", 7, right: true))
        out += (row.torchRatio.map { format($0, width: 7, digits: 2) } ?? pad("-", 7, right: true))
        out += (checked.weightCost.map { format($0, width: 7, digits: 2) } ?? pad("-", 7, right: true))
        out += (checked.bandwidthFraction.map { pad(String(format: "%.0f%%", $0 * 100), 6, right: true) } ?? pad("-", 6, right: true))
        out += "  " + checked.all.map { $0.1.rawValue }.map { pad($0, 5) }.joined()
        return out
    }

    static var header: String {
        pad("loss", 16) + pad("dtype", 9) + pad("weight", 10) + pad("pos_w", 10) + pad("tgt", 5) + pad("red.", 5)
            + pad("pass", 18) + pad("api", 8) + pad("n", 5, right: true) + pad("Swift", 9, right: true) + pad("NumPy", 9, right: true)
            + pad("PyTorch", 14, right: true) + pad("S/NP", 7, right: true) + pad("S/PT", 7, right: true)
            + pad("w-cost", 7, right: true) + pad("bw", 6, right: true) + "  " + "NP≥2 PT≥1 w≤2 bw≥60%"
    }

    static func table(_ rows: [BenchmarkRow], context: BenchmarkContext) -> String {
        let checked = BenchmarkBars.checkAll(rows)
        var out = context.summary + "\n"
        out += "millions of elements per second (median); S/NP, S/PT = Swift / NumPy, Swift / PyTorch; "
            + "w-cost = the call without weights (timed in turn with this row) / this row's Swift; "
            + "bw = bytes moved per second / read bandwidth\n"
        out += header + "\n"
        for (row, check) in zip(rows, checked) { out += line(row, check) + "\n" }
        out += "bars from n = 1e4: " + BenchmarkBars.summary(checked) + "\n"
        return out
    }

    /// The JSON document: the context, then each row with its figures and verdicts.
    struct Document: Encodable {
        struct Row: Encodable {
            var loss, dtype, weight, pos_weight, targets, reduction, pass, api: String
            var n: Int
            var swift: Double
            var swift_unweighted: Double?
            var numpy, torch: Double?
            var torch_note: String?
            var ratio_numpy, ratio_torch, weight_cost, read_bandwidth, bandwidth_fraction: Double?
            var bars: [String: String]
            var samples: [String: [Double]]
            var processor_load, runqueue_wait, steal: [String: [Double]]
            var torch_settle: [Double]?

            /// Every key, a missing figure as null (not left out): a gap is visible in the JSON too.
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(loss, forKey: .loss); try c.encode(dtype, forKey: .dtype)
                try c.encode(weight, forKey: .weight); try c.encode(pos_weight, forKey: .pos_weight)
                try c.encode(targets, forKey: .targets); try c.encode(reduction, forKey: .reduction)
                try c.encode(pass, forKey: .pass); try c.encode(api, forKey: .api); try c.encode(n, forKey: .n); try c.encode(swift, forKey: .swift)
                try c.encode(swift_unweighted, forKey: .swift_unweighted)
                try c.encode(numpy, forKey: .numpy); try c.encode(torch, forKey: .torch)
                try c.encode(torch_note, forKey: .torch_note); try c.encode(ratio_numpy, forKey: .ratio_numpy)
                try c.encode(ratio_torch, forKey: .ratio_torch); try c.encode(weight_cost, forKey: .weight_cost)
                try c.encode(read_bandwidth, forKey: .read_bandwidth)
                try c.encode(bandwidth_fraction, forKey: .bandwidth_fraction); try c.encode(bars, forKey: .bars)
                try c.encode(samples, forKey: .samples); try c.encode(processor_load, forKey: .processor_load)
                try c.encode(runqueue_wait, forKey: .runqueue_wait); try c.encode(steal, forKey: .steal)
                try c.encode(torch_settle, forKey: .torch_settle)
            }

            enum CodingKeys: String, CodingKey {
                case loss, dtype, weight, pos_weight, targets, reduction, pass, api, n, swift, swift_unweighted, numpy, torch
                case torch_note
                case ratio_numpy, ratio_torch, weight_cost, read_bandwidth, bandwidth_fraction, bars, samples, processor_load, runqueue_wait, steal, torch_settle
            }
        }
        var date, machine, command: String
        var processors, swift_threads, swift_spin_microseconds: Int
        var swift_instruction_set, numpy, torch, load_average: String
        var classes, repetitions: Int
        var read_bandwidth: Double?   // left out with --no-bandwidth
        var unit = "elements per second (read_bandwidth and the probe's samples: bytes per second)"
        var rows: [Row]
    }

    static func json(_ rows: [BenchmarkRow], context: BenchmarkContext) throws -> String {
        let checked = BenchmarkBars.checkAll(rows)
        let document = Document(
            date: context.date, machine: context.machine, command: context.command,
            processors: context.processors, swift_threads: context.threads, swift_spin_microseconds: context.spinMicroseconds,
            swift_instruction_set: context.instructionSet, numpy: context.numpy, torch: context.torch,
            load_average: context.loadAverage, classes: context.classes, repetitions: context.repetitions,
            read_bandwidth: context.bandwidth,
            rows: zip(rows, checked).map { row, check in
                let c = row.config
                return Document.Row(
                    loss: c.loss, dtype: c.dtype, weight: c.weight.rawValue, pos_weight: c.posWeight.rawValue,
                    targets: c.targets.rawValue, reduction: c.reduction.rawValue, pass: c.pass.rawValue,
                    api: c.api.rawValue, n: c.count,
                    swift: row.swift, swift_unweighted: row.swiftUnweighted, numpy: row.numpy, torch: row.torch,
                    torch_note: row.torchNote,
                    ratio_numpy: row.numpyRatio, ratio_torch: row.torchRatio, weight_cost: check.weightCost,
                    read_bandwidth: row.bandwidth, bandwidth_fraction: check.bandwidthFraction,
                    bars: Dictionary(uniqueKeysWithValues: check.all.map { ($0.0, $0.1.rawValue) }),
                    samples: row.samples, processor_load: row.processorLoad, runqueue_wait: row.runqueueWait,
                    steal: row.steal, torch_settle: row.torchSettle)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
    }

    /// The rows as a Markdown table (docs/PERFORMANCE.md takes it as it is).
    static func markdown(_ rows: [BenchmarkRow], context: BenchmarkContext) -> String {
        let checked = BenchmarkBars.checkAll(rows)
        var out = "\(context.summary).\n\nCommand: `\(context.command)`. M elements/s (medians of "
            + "\(context.repetitions) alternating samples); S/NP and S/PT: Swift over NumPy, over PyTorch; "
            + "w-cost: the same Swift call without weight and pos_weight (on this row's inputs, sampled in turn "
            + "with its other sides) over this row's throughput; bw: bytes the Swift call reads and "
            + "writes per second over the probe's read bandwidth (rows from 1e6). Bars: NP (S/NP ≥ 2), PT "
            + "(S/PT ≥ 1), both from n = 1e4; w (w-cost ≤ 2); bw (≥ 60% at n = 1e7, forward mean, float32/float64).\n\n"
        out += "| loss | dtype | weight | pos_weight | targets | red. | pass | api | n | Swift | NumPy | PyTorch | S/NP | S/PT | w-cost | bw | NP | PT | w | bw |\n"
        out += "|" + String(repeating: "---|", count: 20) + "\n"
        func cell(_ value: Double?, _ digits: Int) -> String { value.map { String(format: "%.\(digits)f", $0) } ?? "–" }
        for (row, check) in zip(rows, checked) {
            let c = row.config
            let cells = [
                c.loss, c.dtype, c.weight.rawValue, c.posWeight.rawValue, c.targets.rawValue, c.reduction.rawValue,
                c.pass.rawValue, c.api.rawValue, sizeLabel(c.count), cell(row.swift / 1e6, 0), cell(row.numpy.map { $0 / 1e6 }, 0),
                row.torch.map { String(format: "%.0f", $0 / 1e6) } ?? (row.torchNote ?? "–"),
                cell(row.numpyRatio, 2), cell(row.torchRatio, 2), cell(check.weightCost, 2),
                check.bandwidthFraction.map { String(format: "%.0f%%", $0 * 100) } ?? "–",
            ] + check.all.map { $0.1 == .fail ? "**FAIL**" : $0.1 == .pass ? "PASS" : "–" }
            out += "| " + cells.joined(separator: " | ") + " |\n"
        }
        out += "\nBars from n = 1e4: " + BenchmarkBars.summary(checked) + ".\n"
        return out
    }

    private static func shortNote(_ note: String?) -> String {
        guard let note else { return "-" }
        if note.hasPrefix("not installed") { return "not installed" }
        if note.hasPrefix("failed") { return "failed" }
        return "not run"
    }

    static func sizeLabel(_ n: Int) -> String {
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
