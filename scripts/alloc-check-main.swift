// Standalone optimized check: heap allocations of buffer-API calls (public API only).
import BinaryCrossEntropy
import AllocationCounting
import Glibc

func measure<S: BCEScalar>(_: S.Type, rows: Int) throws -> [(String, Int)] {
    let n = rows * 50
    var rng = SystemRandomNumberGenerator()
    let x = (0..<n).map { _ in S(Double.random(in: -8...8, using: &rng)) }
    let q = x.map { S(1 / (1 + exp(-Double($0)))) }
    let y = (0..<n).map { _ in S(Double(Int.random(in: 0...1, using: &rng))) }
    let w = (0..<50).map { _ in S(Double.random(in: 0.5...2, using: &rng)) }
    let g = (0..<n).map { _ in S(Double.random(in: -1...1, using: &rng)) }
    var out = [S](repeating: 0, count: n), dx = out, dy = out
    var results: [(String, Int)] = []
    try x.withUnsafeBufferPointer { xb in try q.withUnsafeBufferPointer { qb in try y.withUnsafeBufferPointer { yb in
    try w.withUnsafeBufferPointer { wb in try g.withUnsafeBufferPointer { gb in
    try out.withUnsafeMutableBufferPointer { ob in try dx.withUnsafeMutableBufferPointer { dxb in try dy.withUnsafeMutableBufferPointer { dyb in
        let (ob, dxb, dyb) = (ob, dxb, dyb)
        let shape = [rows, 50]
        let xv = BCETensorView(xb, shape: shape), qv = BCETensorView(qb, shape: shape), yv = BCETensorView(yb, shape: shape)
        let gv = BCETensorView(gb, shape: shape), wv = BCETensorView(wb)
        for threads in [1, 2] {
            let e = BCEExecution(threads: threads)
            let calls: [(String, () throws -> Void)] = [
                ("bce mean", { _ = try binaryCrossEntropy(qv, yv, execution: e) }),
                ("bce sum weight", { _ = try binaryCrossEntropy(qv, yv, weight: wv, reduction: .sum, execution: e) }),
                ("bce none", { try binaryCrossEntropy(qv, yv, into: ob, execution: e) }),
                ("bce fused", { _ = try binaryCrossEntropyAndGradients(qv, yv, inputGradient: dxb, execution: e) }),
                ("bce backward none", { try binaryCrossEntropyBackward(qv, yv, reduction: .none, gradOutput: gv, inputGradient: dxb, targetGradient: dyb, execution: e) }),
                ("logits mean", { _ = try binaryCrossEntropyWithLogits(xv, yv, execution: e) }),
                ("logits mean pos_weight", { _ = try binaryCrossEntropyWithLogits(xv, yv, posWeight: wv, execution: e) }),
                ("logits none weight", { try binaryCrossEntropyWithLogits(xv, yv, weight: wv, into: ob, execution: e) }),
                ("logits fused", { _ = try binaryCrossEntropyWithLogitsAndGradients(xv, yv, inputGradient: dxb, targetGradient: dyb, execution: e) }),
                ("logits fused pos_weight", { _ = try binaryCrossEntropyWithLogitsAndGradients(xv, yv, posWeight: wv, inputGradient: dxb, execution: e) }),
            ]
            for (name, call) in calls {
                try call()
                bce_allocations_start()
                for _ in 0..<3 { try call() }
                results.append(("\(S.self) \(name) threads=\(threads)", Int(bce_allocations_stop())))
            }
        }
    }}}}}}}}
    return results
}

var total = 0, calls = 0
for rows in [400, 20_000] {
    for r in try measure(Float.self, rows: rows) + measure(Double.self, rows: rows) + measure(BrainFloat16.self, rows: rows) + measure(Float16.self, rows: rows) {
        if r.1 != 0 { print("rows \(rows) \(r.0): \(r.1) allocations in 3 calls") }
        total += r.1; calls += 3
    }
}
print("allocations: \(total) in \(calls) buffer-API calls (n = 20,000 and 1,000,000; Float, Double, bfloat16, Float16; 1 and 2 threads)")
