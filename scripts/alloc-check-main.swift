// Standalone optimized check (scripts/alloc-check.sh): heap allocations of buffer-API calls,
// through the public API only. Every entry point, both losses, each reduction, with and without
// d/dtarget, weight and pos_weight, on 1 and 2 threads (and at the lowest instruction set), for
// each element type: each call is made
// twice to warm up (worker threads started), then `repetitions` times while the calling thread's
// allocations are counted. Prints the calls that allocate and exits 1 if any does.
// ALLOC_CHECK_ONLY=<substring> runs only the calls whose name contains it (to find an allocation
// with a debugger: break on malloc after bce_allocations_start).
import BinaryCrossEntropy
import AllocationCounting
import Glibc

let repetitions = 10
let only = getenv("ALLOC_CHECK_ONLY").map { String(cString: $0) }

/// The allocations of each case for `rows` × 50 elements of `S`: (name, count over `repetitions` calls).
func measure<S: BCEScalar>(_: S.Type, rows: Int) throws -> [(String, Int)] {
    let n = rows * 50
    var rng = SystemRandomNumberGenerator()
    let x = (0..<n).map { _ in S(Double.random(in: -8...8, using: &rng)) }
    let q = x.map { S(1 / (1 + exp(-Double($0)))) }
    let y = (0..<n).map { _ in S(Double(Int.random(in: 0...1, using: &rng))) }
    let w = (0..<50).map { _ in S(Double.random(in: 0.5...2, using: &rng)) }
    let g = (0..<n).map { _ in S(Double.random(in: -1...1, using: &rng)) }
    var out = [S](repeating: 0, count: n), dx = out, dy = out
    // The span calls' outputs: arrays of their own (the buffers above are open for the whole loop).
    var spanOut = [S](repeating: 0, count: n), spanDx = [S](repeating: 0, count: n), spanDy = [S](repeating: 0, count: n)
    var results: [(String, Int)] = []
    try x.withUnsafeBufferPointer { xb in try q.withUnsafeBufferPointer { qb in try y.withUnsafeBufferPointer { yb in
    try w.withUnsafeBufferPointer { wb in try g.withUnsafeBufferPointer { gb in
    try out.withUnsafeMutableBufferPointer { ob in try dx.withUnsafeMutableBufferPointer { dxb in try dy.withUnsafeMutableBufferPointer { dyb in
        let (ob, dxb, dyb) = (ob, dxb, dyb)
        let shape = [rows, 50], classes = [50]
        let xv = BCETensorView(xb, shape: shape), qv = BCETensorView(qb, shape: shape), yv = BCETensorView(yb, shape: shape)
        let gv = BCETensorView(gb, shape: shape), wv = BCETensorView(wb), fullW = BCETensorView(gb, shape: shape)
        let g0 = BCETensorView(UnsafeBufferPointer(rebasing: gb[0 ..< 1]), shape: [])
        // The first half of the rows: a `.mean` over another element count, so another divisor.
        let half = shape[0] / 2 * 50
        let qh = BCETensorView(UnsafeBufferPointer(rebasing: qb[0 ..< half]), shape: [shape[0] / 2, 50])
        let xh = BCETensorView(UnsafeBufferPointer(rebasing: xb[0 ..< half]), shape: [shape[0] / 2, 50])
        let yh = BCETensorView(UnsafeBufferPointer(rebasing: yb[0 ..< half]), shape: [shape[0] / 2, 50])
        let dxh = UnsafeMutableBufferPointer(rebasing: dxb[0 ..< half])
        // 1 and 2 threads at the default instruction set, and 2 threads at the lowest level (a
        // per-call instructionSet runs each block under a thread-level override).
        let lowest = BCEInstructionSet.allCases.min()!
        let executions = [("threads=1", BCEExecution(threads: 1)), ("threads=2", BCEExecution(threads: 2)),
                          ("threads=2 level=\(lowest)", BCEExecution(threads: 2, instructionSet: lowest))]
        for (label, e) in executions {
            let calls: [(String, () throws -> Void)] = [
                ("bce mean", { _ = try binaryCrossEntropy(qv, yv, execution: e) }),
                ("bce sum", { _ = try binaryCrossEntropy(qv, yv, reduction: .sum, execution: e) }),
                ("bce sum weight", { _ = try binaryCrossEntropy(qv, yv, weight: wv, reduction: .sum, execution: e) }),
                ("bce mean full weight", { _ = try binaryCrossEntropy(qv, yv, weight: fullW, execution: e) }),
                ("bce none", { try binaryCrossEntropy(qv, yv, into: ob, execution: e) }),
                ("bce none weight", { try binaryCrossEntropy(qv, yv, weight: wv, into: ob, execution: e) }),
                ("bce fused", { _ = try binaryCrossEntropyAndGradients(qv, yv, inputGradient: dxb, execution: e) }),
                ("bce fused target", { _ = try binaryCrossEntropyAndGradients(qv, yv, reduction: .sum, inputGradient: dxb, targetGradient: dyb, execution: e) }),
                ("bce fused weight", { _ = try binaryCrossEntropyAndGradients(qv, yv, weight: wv, inputGradient: dxb, execution: e) }),
                ("bce backward mean", { try binaryCrossEntropyBackward(qv, yv, gradOutput: g0, inputGradient: dxb, execution: e) }),
                ("bce backward none target", { try binaryCrossEntropyBackward(qv, yv, reduction: .none, gradOutput: gv, inputGradient: dxb, targetGradient: dyb, execution: e) }),
                ("bce backward none weight", { try binaryCrossEntropyBackward(qv, yv, weight: wv, reduction: .none, gradOutput: gv, inputGradient: dxb, execution: e) }),
                ("logits mean", { _ = try binaryCrossEntropyWithLogits(xv, yv, execution: e) }),
                ("logits sum weight", { _ = try binaryCrossEntropyWithLogits(xv, yv, weight: wv, reduction: .sum, execution: e) }),
                ("logits mean pos_weight", { _ = try binaryCrossEntropyWithLogits(xv, yv, posWeight: wv, execution: e) }),
                ("logits none", { try binaryCrossEntropyWithLogits(xv, yv, into: ob, execution: e) }),
                ("logits none weight", { try binaryCrossEntropyWithLogits(xv, yv, weight: wv, into: ob, execution: e) }),
                ("logits none pos_weight", { try binaryCrossEntropyWithLogits(xv, yv, posWeight: wv, into: ob, execution: e) }),
                ("logits fused", { _ = try binaryCrossEntropyWithLogitsAndGradients(xv, yv, inputGradient: dxb, execution: e) }),
                ("logits fused target", { _ = try binaryCrossEntropyWithLogitsAndGradients(xv, yv, inputGradient: dxb, targetGradient: dyb, execution: e) }),
                ("logits fused weight pos_weight", { _ = try binaryCrossEntropyWithLogitsAndGradients(xv, yv, weight: wv, posWeight: wv, reduction: .sum, inputGradient: dxb, execution: e) }),
                ("logits fused pos_weight target", { _ = try binaryCrossEntropyWithLogitsAndGradients(xv, yv, posWeight: wv, inputGradient: dxb, targetGradient: dyb, execution: e) }),
                ("bce fused, element counts alternating", {
                    _ = try binaryCrossEntropyAndGradients(qv, yv, inputGradient: dxb, execution: e)
                    _ = try binaryCrossEntropyAndGradients(qh, yh, inputGradient: dxh, execution: e)
                }),
                ("logits fused, element counts alternating", {
                    _ = try binaryCrossEntropyWithLogitsAndGradients(xv, yv, inputGradient: dxb, execution: e)
                    _ = try binaryCrossEntropyWithLogitsAndGradients(xh, yh, inputGradient: dxh, execution: e)
                }),
                ("logits backward sum", { try binaryCrossEntropyWithLogitsBackward(xv, yv, reduction: .sum, gradOutput: g0, inputGradient: dxb, execution: e) }),
                ("logits backward none pos_weight target", { try binaryCrossEntropyWithLogitsBackward(xv, yv, posWeight: wv, reduction: .none, gradOutput: gv, inputGradient: dxb, targetGradient: dyb, execution: e) }),
                // The span functions (SpanAPI.swift), every shape passed.
                ("span bce mean weight", { _ = try binaryCrossEntropy(q.span, y.span, shape: shape, weight: w.span, weightShape: classes, execution: e) }),
                ("span bce none", { var o = spanOut.mutableSpan; try binaryCrossEntropy(q.span, y.span, shape: shape, into: &o, execution: e) }),
                ("span bce backward mean", { var d = spanDx.mutableSpan; try binaryCrossEntropyBackward(q.span, y.span, shape: shape, gradOutput: g[0 ..< 1].span, inputGradient: &d, execution: e) }),
                ("span bce fused target", { var d = spanDx.mutableSpan; var t: MutableSpan<S>? = spanDy.mutableSpan; _ = try binaryCrossEntropyAndGradients(q.span, y.span, shape: shape, inputGradient: &d, targetGradient: &t, execution: e) }),
                ("span logits none pos_weight", { var o = spanOut.mutableSpan; try binaryCrossEntropyWithLogits(x.span, y.span, shape: shape, posWeight: w.span, posWeightShape: classes, into: &o, execution: e) }),
                ("span logits fused weight", { var d = spanDx.mutableSpan; _ = try binaryCrossEntropyWithLogitsAndGradients(x.span, y.span, shape: shape, weight: w.span, weightShape: classes, inputGradient: &d, execution: e) }),
                ("span logits backward none target", { var d = spanDx.mutableSpan; var t: MutableSpan<S>? = spanDy.mutableSpan; try binaryCrossEntropyWithLogitsBackward(x.span, y.span, shape: shape, reduction: .none, gradOutput: g.span, inputGradient: &d, targetGradient: &t, execution: e) }),
            ]
            for (call, body) in calls {
                let name = "\(S.self) n=\(n) \(label) \(call)"
                if let only, !name.contains(only) { continue }
                try body()
                try body()
                bce_allocations_start()
                for _ in 0..<repetitions { try body() }
                let count = Int(bce_allocations_stop())
                results.append((name, count))
            }
        }
    }}}}}}}}
    return results
}

guard bce_allocations_countable() != 0 else {
    print("allocations cannot be counted here (needs Linux with glibc)")
    exit(1)
}
// The counter itself: a new array is at least one allocation (else a 0 below would mean nothing).
bce_allocations_start()
let probe = [Int](repeating: 7, count: Int(getpid() % 100) + 100)
guard bce_allocations_stop() >= 1, probe.count >= 100 else {
    print("the allocation counter counted no allocation for a new array")
    exit(1)
}
var total = 0, calls = 0
for rows in [400, 20_000] {
    for (name, count) in try measure(Float.self, rows: rows) + measure(Double.self, rows: rows)
        + measure(BrainFloat16.self, rows: rows) + measure(Float16.self, rows: rows) {
        if count != 0 { print("\(name): \(count) allocations in \(repetitions) calls") }
        total += count
        calls += repetitions
    }
}
print("allocations: \(total) in \(calls) buffer-API calls (n = 20,000 and 1,000,000; Float, Double, bfloat16, Float16; 1 and 2 threads, default and lowest instruction set)")
exit(total == 0 && calls > 0 ? 0 : 1)
