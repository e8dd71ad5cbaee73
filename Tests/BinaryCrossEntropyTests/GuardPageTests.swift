#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import BinaryCrossEntropy

// Every buffer-API entry point with each operand right against an inaccessible page: a kernel
// that reads or writes one byte outside an operand (a group loaded past a scalar weight's one
// element, a tail read as a whole vector) faults here, where ordinary arrays would let it pass
// unnoticed (a read past the end only faults at a page edge). Each result must also equal the
// same call's on ordinary arrays, bit for bit.
//
// The case this was written for: the first Float-lane version of bce_logits_half_terms loaded a
// stride-0 weight as eight elements, 14 bytes past a one-element operand (fixed in f547796; with
// that line restored, `operandsAgainstGuardPages` dies of SIGSEGV in its first Float16 case).

/// `count` scalars in their own mapping, ending exactly where an inaccessible page begins (or,
/// `guardBefore`, starting exactly where one ends). Unmapped on deinit.
private final class GuardedBuffer<S> {
    private let mapping: UnsafeMutableRawPointer
    private let mappingLength: Int
    let pointer: UnsafeMutablePointer<S>
    let count: Int

    init(_ values: [S], guardBefore: Bool) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let bytes = values.count * MemoryLayout<S>.stride
        let dataPages = max(1, (bytes + page - 1) / page)
        mappingLength = (dataPages + 2) * page
        let raw = mmap(nil, mappingLength, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)!
        precondition(raw != MAP_FAILED, "mmap failed")
        mapping = raw
        // Inaccessible first and last pages around the data pages.
        precondition(mprotect(raw, page, PROT_NONE) == 0)
        precondition(mprotect(raw + (dataPages + 1) * page, page, PROT_NONE) == 0)
        let start = guardBefore ? raw + page : raw + (dataPages + 1) * page - bytes
        count = values.count
        pointer = start.bindMemory(to: S.self, capacity: max(1, values.count))
        pointer.initialize(from: values, count: values.count)
    }

    deinit { munmap(mapping, mappingLength) }

    var buffer: UnsafeBufferPointer<S> { UnsafeBufferPointer(start: pointer, count: count) }
    var mutableBuffer: UnsafeMutableBufferPointer<S> { UnsafeMutableBufferPointer(start: pointer, count: count) }
    var values: [S] { Array(buffer) }
}

/// How a weight or pos_weight broadcasts to an input of shape (rows, classes).
private enum Pattern: CaseIterable {
    case absent, scalar, perClass, full

    func shape(rows: Int, classes: Int) -> [Int]? {
        switch self {
        case .absent: nil
        case .scalar: []
        case .perClass: [classes]
        case .full: [rows, classes]
        }
    }
}

/// The operands of one case, as plain arrays.
private struct CaseValues<S: BCEScalar> {
    var shape: [Int]
    var input: [S], target: [S], gradOutput: [S]
    var weight: [S]?, posWeight: [S]?
    var weightShape: [Int]?, posWeightShape: [Int]?

    init(logits: Bool, rows: Int, classes: Int, weight: Pattern, posWeight: Pattern, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        shape = [rows, classes]
        let n = rows * classes
        input = (0..<n).map { _ in
            S(logits ? Double.random(in: -8...8, using: &rng) : Double.random(in: 0.01...0.99, using: &rng))
        }
        // Hard and soft targets mixed, so both kinds of group run.
        target = (0..<n).map { i in
            S(i % 3 == 0 ? Double.random(in: 0...1, using: &rng) : Double(Int.random(in: 0...1, using: &rng)))
        }
        gradOutput = (0..<n).map { _ in S(Double.random(in: -1...1, using: &rng)) }
        weightShape = weight.shape(rows: rows, classes: classes)
        posWeightShape = posWeight.shape(rows: rows, classes: classes)
        self.weight = weightShape.map { s in (0..<elementCount(of: s)!).map { _ in S(Double.random(in: 0.5...2, using: &rng)) } }
        self.posWeight = posWeightShape.map { s in (0..<elementCount(of: s)!).map { _ in S(Double.random(in: 0.5...4, using: &rng)) } }
    }
}

/// The bits of every result of every entry point of one loss on `values`: the reduced losses,
/// the elementwise losses, the gradients with and without d/dtarget, the fused call. Operand and
/// result buffers are made by `make` (guarded or ordinary).
private func everyResult<S: BCEScalar>(
    _ values: CaseValues<S>, logits: Bool, execution: BCEExecution,
    make: ([S]) -> GuardedBuffer<S>?
) throws -> [String: [UInt64]] {
    // Either every buffer is guarded (make returns one) or none is (plain arrays below).
    var keep: [AnyObject] = []
    func buffer(_ v: [S]) -> UnsafeMutableBufferPointer<S> {
        if let guarded = make(v) {
            keep.append(guarded)
            return guarded.mutableBuffer
        }
        let plain = UnsafeMutableBufferPointer<S>.allocate(capacity: max(1, v.count))
        _ = plain.initialize(from: v)
        keep.append(Deallocator(plain))
        return UnsafeMutableBufferPointer(start: plain.baseAddress, count: v.count)
    }
    let n = values.input.count
    let x = BCETensorView(UnsafeBufferPointer(buffer(values.input)), shape: values.shape)
    let y = BCETensorView(UnsafeBufferPointer(buffer(values.target)), shape: values.shape)
    let w = values.weight.map { BCETensorView(UnsafeBufferPointer(buffer($0)), shape: values.weightShape!) }
    let p = values.posWeight.map { BCETensorView(UnsafeBufferPointer(buffer($0)), shape: values.posWeightShape!) }
    let g = BCETensorView(UnsafeBufferPointer(buffer(values.gradOutput)), shape: values.shape)
    let g0 = BCETensorView(UnsafeBufferPointer(buffer([values.gradOutput[0]])), shape: [])
    let zeros = [S](repeating: 0, count: n)
    var results: [String: [UInt64]] = [:]
    func record(_ name: String, _ v: [S]) { results[name] = bitPatterns(v) }
    for reduction in ScalarReduction.allCases {
        let loss = logits
            ? try binaryCrossEntropyWithLogits(x, y, weight: w, posWeight: p, reduction: reduction, execution: execution)
            : try binaryCrossEntropy(x, y, weight: w, reduction: reduction, execution: execution)
        record("loss \(reduction)", [loss])
        let dx = buffer(zeros), dy = buffer(zeros)
        let fused = logits
            ? try binaryCrossEntropyWithLogitsAndGradients(
                x, y, weight: w, posWeight: p, reduction: reduction, gradOutput: values.gradOutput[0],
                inputGradient: dx, targetGradient: dy, execution: execution)
            : try binaryCrossEntropyAndGradients(
                x, y, weight: w, reduction: reduction, gradOutput: values.gradOutput[0],
                inputGradient: dx, targetGradient: dy, execution: execution)
        record("fused \(reduction)", [fused] + Array(dx) + Array(dy))
    }
    let out = buffer(zeros)
    if logits {
        try binaryCrossEntropyWithLogits(x, y, weight: w, posWeight: p, into: out, execution: execution)
    } else {
        try binaryCrossEntropy(x, y, weight: w, into: out, execution: execution)
    }
    record("loss none", Array(out))
    for (reduction, gradOutput) in [(Reduction.none, g), (.mean, g0), (.sum, g0)] {
        for withTarget in [false, true] {
            let dx = buffer(zeros), dy = withTarget ? buffer(zeros) : nil
            if logits {
                try binaryCrossEntropyWithLogitsBackward(
                    x, y, weight: w, posWeight: p, reduction: reduction, gradOutput: gradOutput,
                    inputGradient: dx, targetGradient: dy, execution: execution)
            } else {
                try binaryCrossEntropyBackward(
                    x, y, weight: w, reduction: reduction, gradOutput: gradOutput,
                    inputGradient: dx, targetGradient: dy, execution: execution)
            }
            record("backward \(reduction) d/dtarget=\(withTarget)", Array(dx) + (dy.map(Array.init) ?? []))
        }
    }
    return results
}

/// Frees a plain buffer of ``everyResult`` when the call is done.
private final class Deallocator<S> {
    let buffer: UnsafeMutableBufferPointer<S>
    init(_ buffer: UnsafeMutableBufferPointer<S>) { self.buffer = buffer }
    deinit { buffer.deallocate() }
}

@Suite("Operands against guard pages")
struct GuardPageTests {
    /// Every element type, both losses, every weight and pos_weight pattern, shapes with and
    /// without a tail of each group width (8 and 16), at every supported instruction set, with
    /// every operand ending at an inaccessible page and then starting at one.
    @Test func operandsAgainstGuardPages() throws {
        try check(Float16.self)
        try check(BrainFloat16.self)
        try check(Float.self)
        try check(Double.self)
    }

    private func check<S: BCEScalar>(_: S.Type) throws {
        // (rows, classes): one element; a group and a bit; a per-class row that is no multiple of
        // 8 or 16; two blocks and a tail, across the parallel threshold.
        let shapes = [(1, 1), (1, 19), (3, 50), (84, 50)]
        let levels = BCEInstructionSet.allCases.filter { $0 <= BCEVectorKernels.supported }
        var checked = 0
        for logits in [false, true] {
            for weight in Pattern.allCases {
                for posWeight in logits ? Pattern.allCases : [.absent] {
                    for (index, (rows, classes)) in shapes.enumerated() {
                        let values = CaseValues<S>(
                            logits: logits, rows: rows, classes: classes, weight: weight, posWeight: posWeight,
                            seed: UInt64(index * 16 + checked % 16))
                        let plain = try everyResult(values, logits: logits, execution: .default) { _ in nil }
                        for level in levels {
                            for guardBefore in [false, true] {
                                let guarded = try everyResult(
                                    values, logits: logits, execution: BCEExecution(instructionSet: level)
                                ) { GuardedBuffer($0, guardBefore: guardBefore) }
                                let label = "\(S.self) logits=\(logits) weight=\(weight) posWeight=\(posWeight) "
                                    + "shape=\(values.shape) \(level) guardBefore=\(guardBefore)"
                                #expect(guarded.keys.sorted() == plain.keys.sorted(), "\(label)")
                                for (name, bits) in plain where guarded[name] != bits {
                                    Issue.record("\(label) \(name): differs from the same call on ordinary arrays")
                                }
                                checked += 1
                            }
                        }
                    }
                }
            }
        }
        // 4 shapes x (4 BCELoss weightings + 16 logits weightings) x levels x 2 layouts.
        #expect(checked == 4 * 20 * levels.count * 2)
    }
}
