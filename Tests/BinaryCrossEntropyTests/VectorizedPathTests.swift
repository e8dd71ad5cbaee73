import Foundation
import Testing
import BinaryCrossEntropy

// The vectorised, multi-threaded paths (no weight, no pos_weight) against the scalar formulas and
// the Float80 reference, on random and edge inputs; and their independence of the thread count.

#if arch(x86_64) && !os(Windows) && !os(Android)

/// Float16 and BrainFloat16, by their bit patterns.
protocol SixteenBitFloat: BCEArithmetic where WideScalar == Double {
    init(bitPattern: UInt16)
    var bitPattern: UInt16 { get }
}
extension Float16: SixteenBitFloat {}
extension BrainFloat16: SixteenBitFloat {}

@Suite("Vectorised and multi-threaded paths", .serialized)
struct VectorizedPathTests {
    static let samples = ProcessInfo.processInfo.environment["BCE_VECTOR_SAMPLES"].flatMap { Int($0) } ?? 400_000

    /// Inputs in the lanes' domain and around its edges, mixed with the sampler's edge cases.
    static func inputs<S: BCEArithmetic>(
        _: S.Type, logits: Bool, hardTargets: Bool, seed: UInt64, count: Int = samples
    ) -> ([S], [S]) {
        var sampler = Sampler<S>(seed: seed)
        var rng = SplitMix64(seed: seed &+ 1)
        var xs: [S] = [], ys: [S] = []
        for _ in 0..<count {
            let kind = Int.random(in: 0..<4, using: &rng)
            let x: S
            if logits {
                x = kind == 0 ? sampler.logit() : S(Double.random(in: -40...40, using: &rng))
            } else {
                x = kind == 0 ? sampler.probability() : S(Double.random(in: 0...1, using: &rng))
            }
            xs.append(x)
            ys.append(kind == 1 || hardTargets ? S(Double(Int.random(in: 0...1, using: &rng))) : sampler.probability())
        }
        return (xs, ys)
    }

    /// The bits of a value widened to Double (exact, so equal bits mean equal values and signs).
    static func bits<S: BCEArithmetic>(_ value: S) -> UInt64 { Double(value).bitPattern }

    static func scalarLoss<S: BCEArithmetic>(logits: Bool, _ x: S, _ y: S) -> S.WideScalar {
        logits
            ? BCEWithLogitsFormulas.loss(input: x.bceWide, target: y.bceWide, posWeight: 1, hasPosWeight: false)
            : BCEFormulas.loss(input: x.bceWide, target: y.bceWide)
    }

    static func check<S: BCEArithmetic>(_: S.Type, logits: Bool, bound: Double, seed: UInt64) throws {
        try check(S.self, logits: logits, hardTargets: false, bound: bound, seed: seed)
        try check(S.self, logits: logits, hardTargets: true, bound: bound, seed: seed &+ 7)
    }

    static func check<S: BCEArithmetic>(_: S.Type, logits: Bool, hardTargets: Bool, bound: Double, seed: UInt64) throws {
        let (xs, ys) = inputs(S.self, logits: logits, hardTargets: hardTargets, seed: seed)
        let x = NDArray(xs), y = NDArray(ys)
        let name = "\(logits ? "bce_with_logits" : "bce") \(S.self)\(hardTargets ? " hard targets" : "")"
        func loss(_ reduction: Reduction) throws -> NDArray<S> {
            logits ? try binaryCrossEntropyWithLogits(x, y, reduction: reduction)
                   : try binaryCrossEntropy(x, y, reduction: reduction)
        }
        BCEThreads.maximum = 2
        let values = try loss(.none).scalars
        var worst = Worst()
        var differing = 0
        var exactSum = CompensatedSum<Reference>()
        for i in 0..<xs.count {
            let exact = logits
                ? ReferenceLogits.loss(x: Reference(xs[i]), y: Reference(ys[i]), p: nil, w: 1)
                : ReferenceBCE.loss(x: Reference(xs[i]), y: Reference(ys[i]), w: 1)
            exactSum.add(exact)
            worst.record(ulpError(values[i], exact), "x=\(xs[i]) y=\(ys[i])")
            let scalar = S(bceRounding: scalarLoss(logits: logits, xs[i], ys[i]))
            if Self.bits(scalar) != Self.bits(values[i]) { differing += 1 }
        }
        let mean = try loss(.mean).scalar!
        var meanWorst = Worst()
        meanWorst.record(ulpError(mean, exactSum.value / Reference(xs.count)), "mean")
        print("ULP worst vectorised \(name) loss: \(worst); mean: \(meanWorst); "
              + "\(differing) of \(xs.count) differ from the scalar path")
        #expect(worst.ulps <= bound, "\(name) \(worst)")
        #expect(meanWorst.ulps <= bound, "\(name) mean \(meanWorst)")
        let allowed = allowedScalarDifferences(S.self, floatLanes: logits, count: xs.count)
        #expect(differing <= allowed, "\(name): \(differing) differ from the scalar path")

        // Bit-identical whatever the thread count.
        let sum = try loss(.sum).scalar!
        for threads in [1, 3, 8] {
            BCEThreads.maximum = threads
            #expect(Self.bits(try loss(.mean).scalar!) == Self.bits(mean), "\(name) mean, \(threads) threads")
            #expect(Self.bits(try loss(.sum).scalar!) == Self.bits(sum), "\(name) sum, \(threads) threads")
            #expect(try loss(.none).scalars.map(Self.bits) == values.map(Self.bits), "\(name) none, \(threads) threads")
        }
        BCEThreads.maximum = BCEThreads.processorCount
    }

    @Test("BCE: within the bound, the scalar path's bits but near ties, any thread count")
    func bce() throws {
        try Self.check(Float.self, logits: false, bound: 2, seed: 101)
        try Self.check(Float16.self, logits: false, bound: 1, seed: 102)
        try Self.check(BrainFloat16.self, logits: false, bound: 1, seed: 104)
        try Self.check(Double.self, logits: false, bound: 2, seed: 103)
    }

    @Test("BCE with logits: within the bound, the scalar path's bits but near ties, any thread count")
    func logits() throws {
        try Self.check(Float.self, logits: true, bound: 2, seed: 111)
        try Self.check(Float16.self, logits: true, bound: 1, seed: 112)
        try Self.check(BrainFloat16.self, logits: true, bound: 1, seed: 114)
        try Self.check(Double.self, logits: true, bound: 2, seed: 113)
    }

    /// Every loss, dtype, reduction and target kind, with each instruction set: the results of
    /// `level` as bit patterns.
    /// `level` as bit patterns (nil: without the C kernels).
    static func everyResult(_ level: BCEInstructionSet?) throws -> [String: [UInt64]] {
        try BCEVectorKernels.withLevel(level) { () throws -> [String: [UInt64]] in
            #expect(BCEVectorKernels.threadLevel == level, "\(String(describing: level)) is supported but not in use")
            return try everyResult()
        }
    }

    static func everyResult() throws -> [String: [UInt64]] {
        var results: [String: [UInt64]] = [:]
        func record<S: BCEArithmetic>(_: S.Type, seed: UInt64) throws {
            for logits in [false, true] {
                for hard in [false, true] {
                    // 20,003 elements: blocks, a partial block and a tail of 3 past the last group of 8.
                    let (xs, ys) = inputs(S.self, logits: logits, hardTargets: hard, seed: seed, count: 20_003)
                    let x = NDArray(xs), y = NDArray(ys)
                    // Float: the Double lane sums before the final rounding too, which would hide
                    // differences far below a Float ULP.
                    if S.self == Float.self {
                        let sum = try laneSum(logits: logits, xs as! [Float], ys as! [Float])
                        results["Float logits=\(logits) hard=\(hard) Double lane sum"] =
                            [sum.sum.bitPattern, sum.compensation.bitPattern]
                    }
                    // Gradients, with grad_output per element (none) and one value (mean).
                    let gs = xs.indices.map { S(Double($0 % 7) * 0.25 - 0.75) }
                    for (reduction, g) in [(Reduction.none, NDArray(gs)), (.mean, NDArray(scalar: S(0.5)))] {
                        let value = logits
                            ? try binaryCrossEntropyWithLogitsBackward(x, y, reduction: reduction, gradOutput: g)
                            : try binaryCrossEntropyBackward(x, y, reduction: reduction, gradOutput: g)
                        results["\(S.self) logits=\(logits) hard=\(hard) \(reduction) gradients"] =
                            (value.input.scalars + value.target.scalars).map(Self.bits)
                    }
                    for reduction in Reduction.allCases {
                        let value = logits
                            ? try binaryCrossEntropyWithLogits(x, y, reduction: reduction)
                            : try binaryCrossEntropy(x, y, reduction: reduction)
                        results["\(S.self) logits=\(logits) hard=\(hard) \(reduction)"] = value.scalars.map(Self.bits)
                    }
                }
            }
        }
        try record(Float.self, seed: 201)
        try record(Double.self, seed: 202)
        try record(Float16.self, seed: 203)
        try record(BrainFloat16.self, seed: 204)
        return results
    }

    /// The compensated Double sum of the Float lanes' terms, before any rounding to Float.
    static func laneSum(logits: Bool, _ xs: [Float], _ ys: [Float]) throws -> CompensatedSum<Double> {
        try xs.withUnsafeBufferPointer { x in
            try ys.withUnsafeBufferPointer { y throws(BCEError) in
                let (px, py) = (x.baseAddress!, y.baseAddress!)
                return logits
                    ? try VectorBCEWithLogitsLoss(input: px, target: py, count: xs.count).sum(0 ..< xs.count)
                    : try VectorBCELoss(input: px, target: py, count: xs.count).sum(0 ..< xs.count)
            }
        }
    }

    @Test("Every supported instruction set gives the baseline's bits, and the scalar formulas' but near ties: both losses and their gradients, Float, Double, Float16 and BrainFloat16")
    func instructionSetsAgree() throws {
        let levels = BCEInstructionSet.allCases.filter { $0 <= BCEVectorKernels.supported }
        print("instruction sets compared: \(levels.map(\.rawValue)) (supported: \(BCEVectorKernels.supported))")
        #expect(levels.first == .baseline)
        let reference = try Self.everyResult(.baseline)
        #expect(reference.count == 4 * 2 * 2 * (Reduction.allCases.count + 2) + 4)
        for level in levels.dropFirst() {
            let results = try Self.everyResult(level)
            for (name, bits) in reference.sorted(by: { $0.key < $1.key }) {
                let other = results[name] ?? []
                let differing = zip(bits, other).filter { $0 != $1 }.count
                #expect(other.count == bits.count && differing == 0,
                        "\(level) \(name): \(differing) of \(bits.count) results differ from the baseline")
            }
        }
        // Without the kernels every group takes the scalar formulas: the same but near ties.
        let scalar = try Self.everyResult(nil)
        for (name, bits) in reference.sorted(by: { $0.key < $1.key }) where name.contains(" none") {
            let other = scalar[name] ?? []
            let differing = zip(bits, other).filter { $0 != $1 }.count
            let allowed = allowedScalarDifferences(named: name, count: bits.count)
            #expect(other.count == bits.count && differing <= allowed,
                    "\(name): \(differing) of \(bits.count) differ from the scalar formulas")
        }
    }

    @Test("Asking for an instruction set above the supported one uses the supported one")
    func instructionSetIsClamped() {
        BCEVectorKernels.active = .avx512
        #expect(BCEVectorKernels.active == BCEVectorKernels.supported)
        BCEVectorKernels.active = .baseline
        #expect(BCEVectorKernels.active == .baseline)
        BCEVectorKernels.active = BCEVectorKernels.supported
        #expect(BCEInstructionSet(named: "swift") == .baseline)
        #expect(BCEInstructionSet(named: "avx2") == .avx2)
        #expect(BCEInstructionSet(named: "sse") == nil)
    }

    /// The vectorised gradients (Float, Float16, Double; no weight, no pos_weight) against the scalar
    /// formulas and the Float80 reference, with grad_output per element (`none`) and one value
    /// (`mean`), and their independence of the thread count.
    static func checkGradients<S: BCEArithmetic>(_: S.Type, logits: Bool, hardTargets: Bool, bound: Double, seed: UInt64) throws {
        let (xs, ys) = inputs(S.self, logits: logits, hardTargets: hardTargets, seed: seed, count: 100_003)
        var rng = SplitMix64(seed: seed &+ 3)
        let gs = xs.map { _ in S(Double.random(in: -2...2, using: &rng)) }
        let x = NDArray(xs), y = NDArray(ys)
        let name = "\(logits ? "bce_with_logits" : "bce") \(S.self)\(hardTargets ? " hard targets" : "") gradients"
        func gradients(_ reduction: Reduction, _ g: NDArray<S>) throws -> BCEGradients<S> {
            logits ? try binaryCrossEntropyWithLogitsBackward(x, y, reduction: reduction, gradOutput: g)
                   : try binaryCrossEntropyBackward(x, y, reduction: reduction, gradOutput: g)
        }
        BCEThreads.maximum = 2
        for (reduction, g) in [(Reduction.none, NDArray(gs)), (.mean, NDArray(scalar: S(0.75)))] {
            let result = try gradients(reduction, g)
            let divisor: S.WideScalar = reduction == .mean ? S.WideScalar(xs.count) : 1
            var worst = Worst(), differing = 0
            for i in 0..<xs.count {
                let gi = reduction == .none ? gs[i] : S(0.75)
                let (xw, yw, gw) = (xs[i].bceWide, ys[i].bceWide, gi.bceWide)
                let scalar: (S.WideScalar, S.WideScalar) = logits
                    ? (BCEWithLogitsFormulas.inputGradientFactor(input: xw, target: yw, posWeight: 1, hasPosWeight: false) * gw / divisor,
                       BCEWithLogitsFormulas.targetGradientFactor(input: xw, posWeight: 1, hasPosWeight: false) * gw / divisor)
                    : (BCEFormulas.inputGradientFactor(input: xw, target: yw, epsilon: S.bceGradientEpsilon.bceWide) * gw / divisor,
                       BCEFormulas.targetGradientFactor(input: xw) * gw / divisor)
                if Self.bits(S(bceRounding: scalar.0)) != Self.bits(result.input.scalars[i])
                    || Self.bits(S(bceRounding: scalar.1)) != Self.bits(result.target.scalars[i]) {
                    differing += 1
                    if differing < 4 && S.self != Double.self { print("differs from the scalar path: \(name) i=\(i) x=\(xs[i]) y=\(ys[i]) g=\(gi) scalar=\(S(bceRounding: scalar.0)),\(S(bceRounding: scalar.1)) vector=\(result.input.scalars[i]),\(result.target.scalars[i])") }
                }
                let (rx, ry, rg) = (Reference(xs[i]), Reference(ys[i]), Reference(gi) / Reference(divisor))
                let dx = logits ? ReferenceLogits.inputGradient(x: rx, y: ry, p: nil, w: 1, g: rg)
                                : ReferenceBCE.inputGradient(x: rx, y: ry, w: 1, g: rg, epsilon: Reference(S.bceGradientEpsilon))
                let dy = logits ? ReferenceLogits.targetGradient(x: rx, p: nil, w: 1, g: rg)
                                : ReferenceBCE.targetGradient(x: rx, w: 1, g: rg)
                worst.record(ulpError(result.input.scalars[i], dx.value, scale: dx.scale), "d/dx x=\(xs[i]) y=\(ys[i]) g=\(gi)")
                worst.record(ulpError(result.target.scalars[i], dy.value, scale: dy.scale), "d/dy x=\(xs[i]) y=\(ys[i]) g=\(gi)")
            }
            print("ULP worst vectorised \(name) \(reduction): \(worst); \(differing) of \(xs.count) differ from the scalar path")
            #expect(worst.ulps <= bound, "\(name) \(reduction) \(worst)")
            let allowed = allowedScalarDifferences(S.self, floatLanes: logits, count: xs.count)
            #expect(differing <= allowed, "\(name) \(reduction): \(differing) differ from the scalar path")
            for threads in [1, 3] {
                BCEThreads.maximum = threads
                let again = try gradients(reduction, g)
                #expect(again.input.scalars.map(Self.bits) == result.input.scalars.map(Self.bits), "\(name) \(threads) threads")
                #expect(again.target.scalars.map(Self.bits) == result.target.scalars.map(Self.bits), "\(name) \(threads) threads")
            }
            BCEThreads.maximum = 2
        }
        BCEThreads.maximum = BCEThreads.processorCount
    }

    @Test("Vectorised gradients (Float, Float16, Double): within the bound, the scalar path's bits but near ties, any thread count")
    func gradients() throws {
        for logits in [false, true] {
            for hard in [false, true] {
                try Self.checkGradients(Float.self, logits: logits, hardTargets: hard, bound: 2, seed: 301)
                try Self.checkGradients(Float16.self, logits: logits, hardTargets: hard, bound: 1, seed: 302)
                try Self.checkGradients(BrainFloat16.self, logits: logits, hardTargets: hard, bound: 1, seed: 304)
                try Self.checkGradients(Double.self, logits: logits, hardTargets: hard, bound: 2, seed: 303)
            }
        }
    }

    /// The C lanes' rounding of Double to Float16 and BrainFloat16 (once, on the bits), through
    /// BCEWithLogitsLoss's d/dtarget without pos_weight: `-x * g` for elements in the lanes' domain
    /// (|x| ≤ 700) and any grad_output, so the product (exact in Double: two 11- or 8-bit
    /// significands) lands on ties, in the subnormal range, beyond the overflow threshold, on
    /// infinities and NaN. Each result must be the scalar path's `S(bceRounding:)` bit for bit.
    static func checkRounding<S: SixteenBitFloat>(_: S.Type, seed: UInt64, crafted: [(S, S)]) throws -> (ties: Int, subnormal: Int, infinite: Int, nan: Int) {
        var rng = SplitMix64(seed: seed)
        var xs: [S] = [], gs: [S] = []
        for (x, g) in crafted { xs.append(x); gs.append(g) }
        while xs.count < 200_000 {
            let x = S(bitPattern: UInt16(truncatingIfNeeded: rng.next()))
            guard x.isFinite, abs(Double(x)) <= 700 else { continue }
            xs.append(x)
            gs.append(S(bitPattern: UInt16(truncatingIfNeeded: rng.next())))
        }
        let ys = xs.indices.map { S(Double($0 % 2)) }
        let gradients = try binaryCrossEntropyWithLogitsBackward(NDArray(xs), NDArray(ys), reduction: .none, gradOutput: NDArray(gs))
        var counts = (ties: 0, subnormal: 0, infinite: 0, nan: 0), failures: [String] = []
        for i in xs.indices {
            let product = Double(-xs[i]) * Double(gs[i])
            let expected = S(bceRounding: product)
            let actual = gradients.target.scalars[i]
            if expected.bitPattern != actual.bitPattern && failures.count < 5 {
                failures.append("x=\(xs[i]) g=\(gs[i]) -x*g=\(product): \(actual) (0x\(String(actual.bitPattern, radix: 16))), expected \(expected) (0x\(String(expected.bitPattern, radix: 16)))")
            }
            if product.isNaN { counts.nan += 1 } else if expected.isInfinite && product.isFinite { counts.infinite += 1 }
            else if expected.isSubnormal { counts.subnormal += 1 }
            if product.isFinite && expected.isFinite {
                let value = Double(expected)
                let distance: Double = abs(value - product)
                let above: Double = Double(expected.nextUp) - value, below: Double = value - Double(expected.nextDown)
                if distance != 0 && (distance == above / 2 || distance == below / 2) { counts.ties += 1 }
            }
        }
        #expect(failures.isEmpty, "\(S.self) at \(String(describing: BCEVectorKernels.threadLevel)): \(failures)")
        return counts
    }

    @Test("Float16 and BrainFloat16 lanes round once, ties to even, subnormals, overflow and NaN as the scalar path, on every level")
    func halfRounding() throws {
        BCEThreads.maximum = 2
        defer { BCEThreads.maximum = BCEThreads.processorCount }
        for level in BCEInstructionSet.allCases where level <= BCEVectorKernels.supported {
            try BCEVectorKernels.withLevel(level) { () throws in
                // Ties: 3 (1 + 2^-10) needs 12 significant bits, half-way between two Float16s;
                // 48 * 1365 = 65520, the overflow threshold (a tie: rounds to infinity);
                // 3 * 2^-12 * 2^-13 = 1.5 * 2^-24, a tie between subnormals.
                let half = try Self.checkRounding(Float16.self, seed: 701, crafted: [
                    (3, 1 + 0x1p-10), (3, -(1 + 0x1p-10)), (5, 1 + 0x1p-10), (48, 1365), (48, -1365), (47, 1365),
                    (3 * 0x1p-12, 0x1p-13), (0x1p-12, 0x1p-13), (1, .nan), (-1, .infinity), (0, .infinity), (-0.0, 2)])
                print("Float16 rounding at \(level): \(half)")
                #expect(half.ties > 50 && half.subnormal > 1000 && half.infinite > 1000 && half.nan > 100, "\(half)")
                // BrainFloat16: 3 (1 + 2^-7) needs 9 bits; 3 * 2^-100 * 2^-34 = 1.5 * 2^-133 (subnormal
                // tie); 600 * 2^127 overflows.
                let brain = try Self.checkRounding(BrainFloat16.self, seed: 702, crafted: [
                    (3, 1 + 0x1p-7), (-3, 1 + 0x1p-7), (5, 1 + 0x1p-7), (3 * 0x1p-100, 0x1p-34), (0x1p-100, 0x1p-34),
                    (600, BrainFloat16(0x1p127)), (1, .nan), (-1, .infinity), (0, .infinity)])
                print("BrainFloat16 rounding at \(level): \(brain)")
                #expect(brain.ties > 50 && brain.subnormal > 1000 && brain.infinite > 100 && brain.nan > 100, "\(brain)")
            }
        }
    }

    @Test("Logits gradients with soft targets and |x| < 1 (the expm1 form): the scalar path's bits, 0.5 ULP, tiny x kept")
    func logitsGradientsNearZero() throws {
        func check<S: BCEArithmetic>(_: S.Type, seed: UInt64) throws {
            var rng = SplitMix64(seed: seed)
            let n = 200_000
            var xs: [S] = [], ys: [S] = []
            for i in 0..<n {
                // Mostly |x| < 1 (the rewritten branch), some 1 ≤ |x| < 2, and tiny x with y = 1/2.
                if i % 16 == 0 {
                    xs.append(S(Double.random(in: 1e-30...1e-6, using: &rng) * (rng.next() & 1 == 0 ? 1 : -1)))
                    ys.append(0.5)
                } else {
                    xs.append(S(Double.random(in: -2...2, using: &rng)))
                    ys.append(S(Double.random(in: 0...1, using: &rng)))
                }
            }
            let g = NDArray(xs.indices.map { S(Double($0 % 5) * 0.5 - 1) })
            let result = try binaryCrossEntropyWithLogitsBackward(NDArray(xs), NDArray(ys), reduction: .none, gradOutput: g)
            var worst = Worst(), differing = 0
            for i in 0..<n {
                let gi = g.scalars[i]
                let factor = BCEWithLogitsFormulas.inputGradientFactor(
                    input: xs[i].bceWide, target: ys[i].bceWide, posWeight: 1, hasPosWeight: false)
                if Self.bits(S(bceRounding: factor * gi.bceWide)) != Self.bits(result.input.scalars[i]) { differing += 1 }
                let exact = ReferenceLogits.inputGradient(x: Reference(xs[i]), y: Reference(ys[i]), p: nil, w: 1, g: Reference(gi))
                worst.record(ulpError(result.input.scalars[i], exact.value, scale: exact.scale), "x=\(xs[i]) y=\(ys[i])")
                let quarter = Double(xs[i]) / 4 * Double(gi)
                if i % 16 == 0 && abs(quarter) >= Double(S.leastNormalMagnitude) {
                    // y = 1/2: sigmoid(x) - 1/2 = x/4 (1 - x²/12 + ...), not 0.
                    #expect(abs(Double(result.input.scalars[i]) - quarter) <= abs(quarter) * 1e-3, "x=\(xs[i]) g=\(gi)")
                }
            }
            print("ULP worst vectorised logits gradient \(S.self), |x| < 2, soft targets: \(worst); \(differing) of \(n) differ from the scalar path")
            #expect(worst.ulps <= 1, "\(S.self) \(worst)")
            #expect(differing <= allowedScalarDifferences(S.self, floatLanes: false, count: n), "\(S.self): \(differing) differ from the scalar path")
        }
        BCEThreads.maximum = 2
        try check(Float.self, seed: 401)
        try check(Float16.self, seed: 402)
        BCEThreads.maximum = BCEThreads.processorCount
    }

    #if arch(x86_64) && !os(Windows) && !os(Android)
    @Test("Double logits d/dinput with soft targets (double-double lanes): within 1 ULP of the exact value where the factor cancels at most 64-fold, the scalar formulas' bits but near ties, with and without pos_weight")
    func doubleSoftTargetLogitsGradients() throws {
        var rng = SplitMix64(seed: 404)
        let n = 200_000
        let xs = (0..<n).map { _ in Double.random(in: -10...10, using: &rng) }
        let ys = (0..<n).map { _ in Double.random(in: 0...1, using: &rng) }
        let g = NDArray(xs.indices.map { Double($0 % 5) * 0.5 - 1 })
        for posWeight in [nil, NDArray((0..<n).map { _ in Double.random(in: 0.5...4, using: &rng) })] {
            let result = try binaryCrossEntropyWithLogitsBackward(NDArray(xs), NDArray(ys), posWeight: posWeight,
                                                                  reduction: .none, gradOutput: g)
            var worst = Worst(), checked = 0, differing = 0
            for i in 0..<n {
                let p = posWeight?.scalars[i]
                let factor = BCEWithLogitsFormulas.inputGradientFactor(
                    input: xs[i].bceWide, target: ys[i].bceWide, posWeight: (p ?? 1).bceWide, hasPosWeight: p != nil)
                if Self.bits(Double(bceRounding: factor * g.scalars[i].bceWide)) != Self.bits(result.input.scalars[i]) { differing += 1 }
                let exact = ReferenceLogits.inputGradient(x: Reference(xs[i]), y: Reference(ys[i]), p: p.map { Reference($0) },
                                                          w: 1, g: Reference(g.scalars[i]))
                // Where the products cancel more than 64-fold the lane takes the scalar formulas,
                // whose error (and the Float80 reference's) grows with the cancellation.
                guard exact.scale <= 64 * exact.value.magnitude else { continue }
                checked += 1
                worst.record(ulpError(result.input.scalars[i], exact.value), "x=\(xs[i]) y=\(ys[i]) p=\(p.map { "\($0)" } ?? "none")")
            }
            print("ULP worst vectorised logits gradient Double, soft targets, pos_weight \(posWeight == nil ? "none" : "full"): \(worst) in \(checked) elements cancelling at most 64-fold; \(differing) of \(n) differ from the scalar path")
            #expect(checked > n * 3 / 4)
            #expect(worst.ulps <= 1, "\(worst)")
            #expect(differing <= allowedScalarDifferences(Double.self, floatLanes: false, count: n), "\(differing) differ from the scalar path")
        }
    }
    #endif

    @Test("The first out-of-range element is reported whichever thread finds which block first")
    func firstErrorAcrossBlocks() throws {
        var xs = [Float](repeating: 0.5, count: 100_000)
        var ys = [Float](repeating: 1, count: 100_000)
        xs[90_001] = 2
        ys[40_000] = -1
        xs[40_001] = .nan
        for threads in [1, 2, 5] {
            BCEThreads.maximum = threads
            for reduction in Reduction.allCases {
                #expect(throws: BCEError.targetOutOfRange(index: 40_000, value: -1)) {
                    try binaryCrossEntropy(NDArray(xs), NDArray(ys), reduction: reduction)
                }
            }
        }
        BCEThreads.maximum = BCEThreads.processorCount
    }
}
#endif
