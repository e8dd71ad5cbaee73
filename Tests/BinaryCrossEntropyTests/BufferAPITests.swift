import AllocationCounting
import Foundation
import Testing
import BinaryCrossEntropy

// The buffer API against the NDArray API (same bits, same errors in the same order), per-call
// execution options (same bits whatever they are), and the allocation counter used to measure it (scripts/alloc-check.sh).

/// Operands of one comparison: input (rows, 50), target, weight (50,), pos_weight (50,), all as
/// arrays kept alive by the test.
private struct Operands<S: BCEScalar> {
    var shape: [Int]
    var input: [S], target: [S], weight: [S], posWeight: [S], gradOutput: [S]

    init(rows: Int, logits: Bool, soft: Bool, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        shape = [rows, 50]
        let n = rows * 50
        input = (0..<n).map { _ in S(logits ? Double.random(in: -8...8, using: &rng) : Double.random(in: 0.001...0.999, using: &rng)) }
        target = (0..<n).map { _ in S(soft ? Double.random(in: 0...1, using: &rng) : Double(Int.random(in: 0...1, using: &rng))) }
        weight = (0..<50).map { _ in S(Double.random(in: 0.5...2, using: &rng)) }
        posWeight = (0..<50).map { _ in S(Double.random(in: 0.5...4, using: &rng)) }
        gradOutput = (0..<n).map { _ in S(Double.random(in: -1...1, using: &rng)) }
    }
}

/// Every buffer-API call of one loss, element type and weighting, compared with the NDArray API.
private func compareWithNDArray<S: BCEScalar>(
    _: S.Type, logits: Bool, weighted: Bool, posWeighted: Bool, soft: Bool, rows: Int,
    execution: BCEExecution = .default
) throws -> [String] {
    var failures: [String] = []
    let o = Operands<S>(rows: rows, logits: logits, soft: soft, seed: 41)
    let n = o.input.count
    let x = try NDArray(shape: o.shape, scalars: o.input), y = try NDArray(shape: o.shape, scalars: o.target)
    let w = weighted ? NDArray(o.weight) : nil, p = posWeighted ? NDArray(o.posWeight) : nil
    let label = "\(S.self) logits=\(logits) weight=\(weighted) posWeight=\(posWeighted) soft=\(soft) n=\(n)"
    try o.input.withUnsafeBufferPointer { xb in
    try o.target.withUnsafeBufferPointer { yb in
    try o.weight.withUnsafeBufferPointer { wb in
    try o.posWeight.withUnsafeBufferPointer { pb in
    try o.gradOutput.withUnsafeBufferPointer { gb in
        let xv = BCETensorView(xb, shape: o.shape), yv = BCETensorView(yb, shape: o.shape)
        let wv = weighted ? BCETensorView(wb) : nil, pv = posWeighted ? BCETensorView(pb) : nil
        var output = [S](repeating: 0, count: n), dx = [S](repeating: 0, count: n), dy = [S](repeating: 0, count: n)
        for reduction in ScalarReduction.allCases {
            let expected = logits
                ? try binaryCrossEntropyWithLogits(x, y, weight: w, posWeight: p, reduction: reduction.reduction).scalar!
                : try binaryCrossEntropy(x, y, weight: w, reduction: reduction.reduction).scalar!
            let value = logits
                ? try binaryCrossEntropyWithLogits(xv, yv, weight: wv, posWeight: pv, reduction: reduction, execution: execution)
                : try binaryCrossEntropy(xv, yv, weight: wv, reduction: reduction, execution: execution)
            if bitPatterns(value) != bitPatterns(expected) { failures.append("\(label) \(reduction): \(value) != \(expected)") }
            // Fused: the same loss, and the gradients of a 0-d grad_output of 0.5.
            let g = NDArray(scalar: S(0.5))
            let expectedGradients = logits
                ? try binaryCrossEntropyWithLogitsBackward(x, y, weight: w, posWeight: p, reduction: reduction.reduction, gradOutput: g)
                : try binaryCrossEntropyBackward(x, y, weight: w, reduction: reduction.reduction, gradOutput: g)
            let fused = try dx.withUnsafeMutableBufferPointer { dxb in
                try dy.withUnsafeMutableBufferPointer { dyb in
                    logits
                        ? try binaryCrossEntropyWithLogitsAndGradients(
                            xv, yv, weight: wv, posWeight: pv, reduction: reduction, gradOutput: 0.5,
                            inputGradient: dxb, targetGradient: dyb, execution: execution)
                        : try binaryCrossEntropyAndGradients(
                            xv, yv, weight: wv, reduction: reduction, gradOutput: 0.5, inputGradient: dxb,
                            targetGradient: dyb, execution: execution)
                }
            }
            if bitPatterns(fused) != bitPatterns(expected) { failures.append("\(label) fused \(reduction): loss \(fused) != \(expected)") }
            if bitPatterns(dx) != bitPatterns(expectedGradients.input.scalars) { failures.append("\(label) fused \(reduction): d/dinput") }
            if bitPatterns(dy) != bitPatterns(expectedGradients.target.scalars) { failures.append("\(label) fused \(reduction): d/dtarget") }
            // Without d/dtarget: d/dinput the same, the target-gradient buffer untouched.
            var onlyDx = [S](repeating: 0, count: n)
            try onlyDx.withUnsafeMutableBufferPointer { dxb in
                try withUnsafeTemporaryAllocation(of: S.self, capacity: 1) { g0 in
                    g0.initialize(repeating: 0.5)
                    let gv = BCETensorView(UnsafeBufferPointer(g0), shape: [])
                    if logits {
                        try binaryCrossEntropyWithLogitsBackward(
                            xv, yv, weight: wv, posWeight: pv, reduction: reduction.reduction, gradOutput: gv,
                            inputGradient: dxb, execution: execution)
                    } else {
                        try binaryCrossEntropyBackward(
                            xv, yv, weight: wv, reduction: reduction.reduction, gradOutput: gv, inputGradient: dxb,
                            execution: execution)
                    }
                }
            }
            if bitPatterns(onlyDx) != bitPatterns(expectedGradients.input.scalars) { failures.append("\(label) \(reduction): d/dinput alone") }
        }
        // .none: the elementwise losses, and gradients of a per-element grad_output.
        let expectedNone = logits
            ? try binaryCrossEntropyWithLogits(x, y, weight: w, posWeight: p, reduction: .none)
            : try binaryCrossEntropy(x, y, weight: w, reduction: .none)
        try output.withUnsafeMutableBufferPointer { ob in
            if logits {
                try binaryCrossEntropyWithLogits(xv, yv, weight: wv, posWeight: pv, into: ob, execution: execution)
            } else {
                try binaryCrossEntropy(xv, yv, weight: wv, into: ob, execution: execution)
            }
        }
        if bitPatterns(output) != bitPatterns(expectedNone.scalars) { failures.append("\(label) none: elementwise losses") }
        let gNone = try NDArray(shape: o.shape, scalars: o.gradOutput)
        let expectedNoneGradients = logits
            ? try binaryCrossEntropyWithLogitsBackward(x, y, weight: w, posWeight: p, reduction: .none, gradOutput: gNone)
            : try binaryCrossEntropyBackward(x, y, weight: w, reduction: .none, gradOutput: gNone)
        let gv = BCETensorView(gb, shape: o.shape)
        try dx.withUnsafeMutableBufferPointer { dxb in
            try dy.withUnsafeMutableBufferPointer { dyb in
                if logits {
                    try binaryCrossEntropyWithLogitsBackward(
                        xv, yv, weight: wv, posWeight: pv, reduction: .none, gradOutput: gv, inputGradient: dxb,
                        targetGradient: dyb, execution: execution)
                } else {
                    try binaryCrossEntropyBackward(
                        xv, yv, weight: wv, reduction: .none, gradOutput: gv, inputGradient: dxb, targetGradient: dyb,
                        execution: execution)
                }
            }
        }
        if bitPatterns(dx) != bitPatterns(expectedNoneGradients.input.scalars) { failures.append("\(label) none: d/dinput") }
        if bitPatterns(dy) != bitPatterns(expectedNoneGradients.target.scalars) { failures.append("\(label) none: d/dtarget") }
    }}}}}
    return failures
}

@Suite("Buffer API")
struct BufferAPITests {
    @Test("every buffer call (mean, sum, none, backward with and without d/dtarget, fused) gives the NDArray API's bits: both losses, four dtypes, no weight / weight / pos_weight, hard and soft targets")
    func sameBitsAsNDArray() throws {
        var failures: [String] = []
        for rows in [1, 200] {   // 50 elements (serial) and 10,000 (threaded blocks)
            for logits in [false, true] {
                for (weighted, posWeighted) in logits ? [(false, false), (true, false), (false, true)] : [(false, false), (true, false)] {
                    for soft in [false, true] {
                        failures += try compareWithNDArray(Float.self, logits: logits, weighted: weighted, posWeighted: posWeighted, soft: soft, rows: rows)
                        failures += try compareWithNDArray(Double.self, logits: logits, weighted: weighted, posWeighted: posWeighted, soft: soft, rows: rows)
                        #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
                        failures += try compareWithNDArray(Float16.self, logits: logits, weighted: weighted, posWeighted: posWeighted, soft: soft, rows: rows)
                        #endif
                        failures += try compareWithNDArray(BrainFloat16.self, logits: logits, weighted: weighted, posWeighted: posWeighted, soft: soft, rows: rows)
                    }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    @Test("per-call execution options (1, 2, 3 and 8 threads; the baseline C kernels; a spin) give the same bits")
    func executionOptionsSameBits() throws {
        var failures: [String] = []
        let options = [BCEExecution(threads: 1), BCEExecution(threads: 2), BCEExecution(threads: 3, spin: .microseconds(100)),
                       BCEExecution(threads: 8), BCEExecution(instructionSet: .baseline), BCEExecution(threads: 2, instructionSet: .baseline)]
        for execution in options {
            for logits in [false, true] {
                failures += try compareWithNDArray(Float.self, logits: logits, weighted: false, posWeighted: false, soft: false, rows: 300, execution: execution)
                failures += try compareWithNDArray(Double.self, logits: logits, weighted: false, posWeighted: logits, soft: true, rows: 300, execution: execution)
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    @Test("a call's instruction set is in force on the threads running its blocks, and only during the call")
    func instructionSetPerCall() {
        let before = BCEVectorKernels.threadLevel
        let seen = BlockCountsByLevel()
        let execution = BCEExecution(threads: 2, instructionSet: .baseline).resolved
        BlockPartition(count: 16 * BlockPartition.blockSize).forEachBlock(0 ..< 16, execution: execution) { b in
            seen.record(b, BCEVectorKernels.threadLevel)
        }
        #expect(seen.levels == Array(repeating: .baseline, count: 16))
        #expect(BCEVectorKernels.threadLevel == before)
        // Without the kernels on the calling thread: its calls' blocks run without them too.
        let withoutKernels = BlockCountsByLevel()
        BCEVectorKernels.withLevel(nil) {
            BlockPartition(count: 16 * BlockPartition.blockSize).forEachBlock(
                0 ..< 16, execution: BCEExecution(threads: 2).resolved
            ) { b in
                withoutKernels.record(b, without: BCEVectorKernels.threadLevel == nil)
            }
        }
        #expect(withoutKernels.withoutKernels == Array(repeating: true, count: 16))
        #expect(BCEVectorKernels.threadLevel == before)
    }

    @Test("the buffer API throws the NDArray API's errors, in its order, and names a wrong-sized output buffer")
    func errors() throws {
        let x: [Float] = [0.5, 1.5, 0.25, 0.75], y: [Float] = [1, 0, 2, 0]
        try x.withUnsafeBufferPointer { xb in
            try y.withUnsafeBufferPointer { yb in
                let xv = BCETensorView(xb, shape: [2, 2]), yv = BCETensorView(yb, shape: [2, 2])
                // Ranges: input 1.5 at index 1 comes before target 2 at index 2.
                #expect(throws: BCEError.inputOutOfRange(index: 1, value: 1.5)) { try binaryCrossEntropy(xv, yv) }
                #expect(throws: BCEError.inputOutOfRange(index: 1, value: 1.5)) {
                    try binaryCrossEntropy(NDArray.of([2, 2], [0.5, 1.5, 0.25, 0.75]) as NDArray<Float>, NDArray.of([2, 2], [1, 0, 2, 0]))
                }
                // A view whose shape does not match its elements, before everything else.
                #expect(throws: BCEError.invalidShape(shape: [3], count: 4)) {
                    try binaryCrossEntropy(BCETensorView(xb, shape: [3]), BCETensorView(yb, shape: [7]))
                }
                #expect(throws: BCEError.shapeMismatch(input: [2, 2], target: [4])) { try binaryCrossEntropy(xv, BCETensorView(yb)) }
                #expect(throws: BCEError.notBroadcastable(argument: "weight", shape: [4], to: [2, 2])) {
                    try binaryCrossEntropy(xv, yv, weight: BCETensorView(xb))
                }
                var small = [Float](repeating: 0, count: 3)
                try small.withUnsafeMutableBufferPointer { sb in
                    // A wrong-sized output is reported before the range checks.
                    #expect(throws: BCEError.notBroadcastable(argument: "output", shape: [3], to: [2, 2])) {
                        try binaryCrossEntropy(xv, yv, into: sb)
                    }
                    #expect(throws: BCEError.notBroadcastable(argument: "input_gradient", shape: [3], to: [2, 2])) {
                        _ = try binaryCrossEntropyWithLogitsAndGradients(xv, yv, inputGradient: sb)
                    }
                    var right = [Float](repeating: 0, count: 4)
                    try right.withUnsafeMutableBufferPointer { rb in
                        #expect(throws: BCEError.notBroadcastable(argument: "target_gradient", shape: [3], to: [2, 2])) {
                            _ = try binaryCrossEntropyWithLogitsAndGradients(xv, yv, inputGradient: rb, targetGradient: sb)
                        }
                        // grad_output is checked before the buffers.
                        #expect(throws: BCEError.notBroadcastable(argument: "grad_output", shape: [4], to: [])) {
                            try binaryCrossEntropyWithLogitsBackward(
                                xv, yv, reduction: .mean, gradOutput: BCETensorView(xb), inputGradient: sb)
                        }
                    }
                }
            }
        }
    }

    @Test("a fused call of one reduction round (64 blocks, two threads) hands its blocks to the workers once, not once for the loss and once for the gradients")
    func fusedCallIsOnePass() throws {
        let n = 64 * BlockPartition.blockSize
        let x = (0..<n).map { Float($0 % 17) - 8 }, y = (0..<n).map { Float($0 % 2) }
        var dx = [Float](repeating: 0, count: n)
        let execution = BCEExecution(threads: 2)
        // Other suites' calls publish jobs too, and a busy pool runs a pass on its caller: one of
        // the tries without either suffices. Two passes would publish two jobs in every try. The
        // tries are spread over up to 10 s (a millisecond apart), not counted: back-to-back tries
        // can all fall inside one other suite's call.
        var handOffs: [UInt64] = []
        let deadline = monotonicNanoseconds() + 10_000_000_000
        try x.withUnsafeBufferPointer { xb in
            try y.withUnsafeBufferPointer { yb in
                try dx.withUnsafeMutableBufferPointer { dxb in
                    repeat {
                        let before = WorkerPool.shared.publishedJobs
                        _ = try binaryCrossEntropyWithLogitsAndGradients(
                            BCETensorView(xb), BCETensorView(yb), inputGradient: dxb, execution: execution)
                        handOffs.append(WorkerPool.shared.publishedJobs &- before)
                        usleep(1_000)
                    } while !handOffs.contains(1) && monotonicNanoseconds() < deadline
                }
            }
        }
        #expect(handOffs.contains(1), "jobs published per fused call, the last 30 tries: \(handOffs.suffix(30))")
    }

    @Test("an empty input: mean NaN, sum 0, nothing written, no error")
    func emptyInput() throws {
        let empty: [Double] = []
        try empty.withUnsafeBufferPointer { e in
            let v = BCETensorView(e, shape: [0, 50])
            #expect(try binaryCrossEntropy(v, v).isNaN)
            #expect(try binaryCrossEntropyWithLogits(v, v, reduction: .sum) == 0)
            var none: [Double] = []
            try none.withUnsafeMutableBufferPointer { try binaryCrossEntropy(v, v, into: $0) }
        }
    }

    #if os(Linux)
    @Test("the allocation counter counts: a new array is at least one allocation")
    func counterCounts() {
        bce_allocations_start()
        let array = [Int](repeating: 7, count: Int.random(in: 100...200))
        let counted = bce_allocations_stop()
        #expect(array.count >= 100 && counted >= 1)
    }
    #endif
}

/// The level seen by each block's thread, each written only by its block.
private final class BlockCountsByLevel: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<BCEInstructionSet?>
    init() {
        storage = .allocate(capacity: 16)
        storage.initialize(repeating: nil)
        flags.initialize(repeating: false)
    }
    deinit { storage.deallocate(); flags.deallocate() }
    private let flags = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 16)
    func record(_ block: Int, _ level: BCEInstructionSet?) { storage[block] = level }
    /// Whether block `block` ran without the C kernels.
    func record(_ block: Int, without: Bool) { flags[block] = without }
    var levels: [BCEInstructionSet?] { Array(storage) }
    var withoutKernels: [Bool] { Array(flags) }
}
