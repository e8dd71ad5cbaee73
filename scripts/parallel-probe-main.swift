// scripts/parallel-probe.sh: the first-block rule of the loss passes (BCEThreads.probesFirstBlock)
// against always waking the workers, and against one thread, in one process, sample by sample in
// rotating order. Prints, per call and size, the median elements per second of each mode and the
// rule's ratio to the better of the other two.
import BinaryCrossEntropy
import Glibc

let rounds = Int(getenv("PROBE_ROUNDS").map { String(cString: $0) } ?? "") ?? 15
let sampleNanoseconds: Int64 = 2_000_000

func now() -> Int64 { monotonicNanoseconds() }

enum Mode: String, CaseIterable { case rule, always, one }

/// Elements per second of `call` over one sample of about 2 ms.
func sample(_ n: Int, _ call: () throws -> Void) rethrows -> Double {
    var calls = 0
    let start = now()
    var elapsed: Int64 = 0
    repeat { try call(); calls += 1; elapsed = now() - start } while elapsed < sampleNanoseconds
    return Double(n * calls) / (Double(elapsed) / 1e9)
}

func median(_ values: [Double]) -> Double { let s = values.sorted(); return s[s.count / 2] }

func measure<S: BCEScalar>(_: S.Type, _ name: String, n: Int, logits: Bool, soft: Bool, fused: Bool) throws {
    var rng = SystemRandomNumberGenerator()
    let x = (0..<n).map { _ in S(logits ? Double.random(in: -8...8, using: &rng) : Double.random(in: 0.01...0.99, using: &rng)) }
    let y = (0..<n).map { _ in S(soft ? Double.random(in: 0...1, using: &rng) : Double(Int.random(in: 0...1, using: &rng))) }
    var dx = [S](repeating: 0, count: n)
    var results: [Mode: [Double]] = [:]
    try x.withUnsafeBufferPointer { xb in try y.withUnsafeBufferPointer { yb in try dx.withUnsafeMutableBufferPointer { db in
        let db = db
        let xv = BCETensorView(xb, shape: [n / 50, 50]), yv = BCETensorView(yb, shape: [n / 50, 50])
        for round in 0..<rounds {
            for k in 0..<Mode.allCases.count {
                let mode = Mode.allCases[(k + round) % Mode.allCases.count]
                BCEThreads.probesFirstBlock.store(mode == .rule, ordering: .relaxed)
                let execution = BCEExecution(threads: mode == .one ? 1 : 2)
                let call: () throws -> Void = switch (logits, fused) {
                case (false, false): { _ = try binaryCrossEntropy(xv, yv, execution: execution) }
                case (false, true): { _ = try binaryCrossEntropyAndGradients(xv, yv, inputGradient: db, execution: execution) }
                case (true, false): { _ = try binaryCrossEntropyWithLogits(xv, yv, execution: execution) }
                case (true, true): { _ = try binaryCrossEntropyWithLogitsAndGradients(xv, yv, inputGradient: db, execution: execution) }
                }
                if round == 0 { for _ in 0..<20 { try call() } }
                results[mode, default: []].append(try sample(n, call))
            }
        }
    }}}
    BCEThreads.probesFirstBlock.store(true, ordering: .relaxed)
    let m = Mode.allCases.map { median(results[$0]!) / 1e6 }
    let line = "\(name) n=\(n): rule \(Int(m[0])) always \(Int(m[1])) one \(Int(m[2])) M/s; rule/best-other "
    print(line + "\((m[0] / max(m[1], m[2]) * 100).rounded() / 100)")
}

for n in [5_000, 10_000, 15_000, 20_000] {
    try measure(Float.self, "bce f32 hard mean", n: n, logits: false, soft: false, fused: false)
    try measure(Float.self, "bce f32 soft fused", n: n, logits: false, soft: true, fused: true)
    try measure(Float.self, "logits f32 hard mean", n: n, logits: true, soft: false, fused: false)
    try measure(Double.self, "bce f64 hard mean", n: n, logits: false, soft: false, fused: false)
    try measure(Double.self, "logits f64 soft fused", n: n, logits: true, soft: true, fused: true)
    try measure(Float16.self, "logits f16 hard fused", n: n, logits: true, soft: false, fused: true)
    try measure(BrainFloat16.self, "bce bf16 soft mean", n: n, logits: false, soft: true, fused: false)
}
