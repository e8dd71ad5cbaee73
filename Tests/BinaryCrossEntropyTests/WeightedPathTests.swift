import Foundation
import Testing
import BinaryCrossEntropy

// The weighted and pos_weight paths (C kernels on the worker pool, scalar formulas for the groups
// they decline) in every broadcast pattern, against the scalar formulas and the Float80
// reference; their independence of the thread count; the same bits at every C level.

#if arch(x86_64) && !os(Windows) && !os(Android)

@Suite("Weighted and pos_weight paths", .serialized)
struct WeightedPathTests {
    /// Input shapes and the operand shape broadcast to them; each above the threading threshold
    /// (4096 elements) and not a multiple of 8, so blocks, groups the kernels decline and tails
    /// all occur.
    static let layouts: [(name: String, shape: [Int], operand: [Int])] = [
        ("scalar", [97, 50], []),
        ("per class (C,)", [97, 50], [50]),
        ("per channel (C, 1, 1)", [7, 3, 15, 13], [3, 1, 1]),
        ("full", [97, 50], [97, 50]),
        ("per row (N, 1)", [97, 50], [97, 1]),
    ]

    /// The flat index into an operand of `operandShape` broadcast to `shape` of output element `i`.
    static func broadcastIndex(_ i: Int, shape: [Int], operandShape: [Int]) -> Int {
        var rest = i, index = 0, operandStride = 1
        for k in 0..<shape.count {
            let dim = shape.count - 1 - k
            let coordinate = rest % shape[dim]
            rest /= shape[dim]
            if k < operandShape.count {
                let extent = operandShape[operandShape.count - 1 - k]
                if extent != 1 { index += coordinate * operandStride }
                operandStride *= extent
            }
        }
        return index
    }

    static func bits<S: BCEArithmetic>(_ value: S) -> UInt64 { Double(value).bitPattern }

    struct Case<S: BCEArithmetic> {
        let name: String
        let logits: Bool
        let x: NDArray<S>, y: NDArray<S>
        let weight: NDArray<S>?, posWeight: NDArray<S>?
        /// Per element: the operands' values as broadcast.
        let w: [S], p: [S]

        func loss(_ reduction: Reduction) throws -> NDArray<S> {
            logits ? try binaryCrossEntropyWithLogits(x, y, weight: weight, posWeight: posWeight, reduction: reduction)
                   : try binaryCrossEntropy(x, y, weight: weight, reduction: reduction)
        }

        func gradients(_ reduction: Reduction, _ g: NDArray<S>) throws -> BCEGradients<S> {
            logits ? try binaryCrossEntropyWithLogitsBackward(
                         x, y, weight: weight, posWeight: posWeight, reduction: reduction, gradOutput: g)
                   : try binaryCrossEntropyBackward(x, y, weight: weight, reduction: reduction, gradOutput: g)
        }

        /// d/dinput alone through the buffer API (d/dtarget not asked for), at `level` (nil: the
        /// library's default).
        func inputGradientAlone(_ reduction: Reduction, _ g: NDArray<S>, level: BCEInstructionSet? = nil) throws -> [S] {
            var dx = [S](repeating: 0, count: x.count)
            let (ws, ps) = (weight?.scalars ?? [], posWeight?.scalars ?? [])
            try x.scalars.withUnsafeBufferPointer { xb in
            try y.scalars.withUnsafeBufferPointer { yb in
            try ws.withUnsafeBufferPointer { wb in
            try ps.withUnsafeBufferPointer { pb in
            try g.scalars.withUnsafeBufferPointer { gb in
            try dx.withUnsafeMutableBufferPointer { out in
                let xv = BCETensorView(xb, shape: x.shape), yv = BCETensorView(yb, shape: y.shape)
                let wv = weight.map { BCETensorView(wb, shape: $0.shape) }
                let pv = posWeight.map { BCETensorView(pb, shape: $0.shape) }
                let gv = BCETensorView(gb, shape: g.shape), execution = BCEExecution(instructionSet: level)
                if logits {
                    try binaryCrossEntropyWithLogitsBackward(
                        xv, yv, weight: wv, posWeight: pv, reduction: reduction, gradOutput: gv, inputGradient: out,
                        execution: execution)
                } else {
                    try binaryCrossEntropyBackward(
                        xv, yv, weight: wv, reduction: reduction, gradOutput: gv, inputGradient: out, execution: execution)
                }
            } } } } } }
            return dx
        }

        /// The scalar formulas' d/dinput and d/dtarget of element `i` for grad_output `g` over
        /// `divisor`, in the wide type before rounding (what the kernels reproduce).
        func scalarGradients(_ i: Int, g: S, divisor: S.WideScalar) -> (input: S.WideScalar, target: S.WideScalar) {
            let (xw, yw, pw) = (x.scalars[i].bceWide, y.scalars[i].bceWide, p[i].bceWide)
            let scale = g.bceWide * w[i].bceWide
            let hasP = posWeight != nil
            return logits
                ? (BCEWithLogitsFormulas.inputGradientFactor(input: xw, target: yw, posWeight: pw, hasPosWeight: hasP) * scale / divisor,
                   BCEWithLogitsFormulas.targetGradientFactor(input: xw, posWeight: pw, hasPosWeight: hasP) * scale / divisor)
                : (BCEFormulas.inputGradientFactor(input: xw, target: yw, epsilon: S.bceGradientEpsilon.bceWide) * scale / divisor,
                   BCEFormulas.targetGradientFactor(input: xw) * scale / divisor)
        }

        /// The exact d/dinput and d/dtarget of element `i` (Float80), each with its scale (the
        /// formula's largest term), for grad_output `g` over `divisor`.
        func exactGradients(_ i: Int, g: S, divisor: S.WideScalar)
            -> (input: (value: Reference, scale: Reference), target: (value: Reference, scale: Reference)) {
            let (rx, ry, rw) = (Reference(x.scalars[i]), Reference(y.scalars[i]), Reference(w[i]))
            let rg = Reference(g) / Reference(divisor), rp: Reference? = posWeight != nil ? Reference(p[i]) : nil
            return logits
                ? (ReferenceLogits.inputGradient(x: rx, y: ry, p: rp, w: rw, g: rg),
                   ReferenceLogits.targetGradient(x: rx, p: rp, w: rw, g: rg))
                : (ReferenceBCE.inputGradient(x: rx, y: ry, w: rw, g: rg, epsilon: Reference(S.bceGradientEpsilon)),
                   ReferenceBCE.targetGradient(x: rx, w: rw, g: rg))
        }

        /// The scalar formulas' term of element `i`, in the wide type (what the kernels reproduce).
        func scalarTerm(_ i: Int) -> S.WideScalar {
            let (xw, yw) = (x.scalars[i].bceWide, y.scalars[i].bceWide)
            let term = logits
                ? BCEWithLogitsFormulas.loss(input: xw, target: yw, posWeight: p[i].bceWide, hasPosWeight: posWeight != nil)
                : BCEFormulas.loss(input: xw, target: yw)
            return term * w[i].bceWide
        }
    }

    /// Inputs of `layout`, with a weight and/or pos_weight of the layout's operand shape (for
    /// BCELoss always a weight); weights from the sampler (0, 1, six decades), negated where
    /// `signed` (outside the accuracy promise: compared with the scalar path only).
    static func makeCase<S: BCEArithmetic>(
        _: S.Type, logits: Bool, hard: Bool, layout: Int, weight hasWeight: Bool, posWeight hasPosWeight: Bool,
        signed: Bool = false, seed: UInt64
    ) -> Case<S> {
        let (name, shape, operandShape) = layouts[layout]
        let count = shape.reduce(1, *)
        let (xs, ys) = VectorizedPathTests.inputs(S.self, logits: logits, hardTargets: hard, seed: seed, count: count)
        var sampler = Sampler<S>(seed: seed &+ 11)
        let operandCount = operandShape.reduce(1, *)
        func operand() -> [S] {
            (0..<operandCount).map { k in
                let v = sampler.weight()
                return signed && k % 3 == 1 ? -v : v
            }
        }
        let ws = hasWeight ? operand() : [S(1)]
        let ps = hasPosWeight ? operand() : [S(1)]
        let index = { (i: Int) in broadcastIndex(i, shape: shape, operandShape: operandShape) }
        return Case(
            name: "\(logits ? "bce_with_logits" : "bce") \(S.self) \(hard ? "hard" : "soft") \(name)"
                + "\(hasWeight ? " weight" : "")\(hasPosWeight ? " pos_weight" : "")\(signed ? " signed" : "")",
            logits: logits, x: try! NDArray(shape: shape, scalars: xs), y: try! NDArray(shape: shape, scalars: ys),
            weight: hasWeight ? try! NDArray(shape: operandShape, scalars: ws) : nil,
            posWeight: hasPosWeight ? try! NDArray(shape: operandShape, scalars: ps) : nil,
            w: (0..<count).map { hasWeight ? ws[index($0)] : 1 },
            p: (0..<count).map { hasPosWeight ? ps[index($0)] : 1 })
    }

    /// Every case of one element type: both losses, hard and soft targets, weight, pos_weight and
    /// both, each in every layout (or, `thin`, in one layout each, the layouts taken in turn).
    static func cases<S: BCEArithmetic>(_: S.Type, seed: UInt64, signed: Bool = false, thin: Bool = false) -> [Case<S>] {
        var result: [Case<S>] = []
        for logits in [false, true] {
            for hard in [false, true] {
                let modes = logits ? [(true, false), (false, true), (true, true)] : [(true, false)]
                for (w, p) in modes {
                    for layout in thin ? [result.count % layouts.count] : Array(layouts.indices) {
                        result.append(makeCase(
                            S.self, logits: logits, hard: hard, layout: layout, weight: w, posWeight: p,
                            signed: signed, seed: seed &+ UInt64(result.count)))
                    }
                }
            }
        }
        return result
    }

    static func checkForward<S: BCEArithmetic>(_: S.Type, bound: Double, seed: UInt64) throws {
        for c in cases(S.self, seed: seed) {
            BCEThreads.maximum = 2
            let values = try c.loss(.none).scalars
            var worst = Worst(), differing = 0
            var exactSum = CompensatedSum<Reference>()
            for i in values.indices {
                let (rx, ry) = (Reference(c.x.scalars[i]), Reference(c.y.scalars[i]))
                let exact = c.logits
                    ? ReferenceLogits.loss(x: rx, y: ry, p: c.posWeight == nil ? nil : Reference(c.p[i]), w: Reference(c.w[i]))
                    : ReferenceBCE.loss(x: rx, y: ry, w: Reference(c.w[i]))
                exactSum.add(exact)
                worst.record(ulpError(values[i], exact), "x=\(c.x.scalars[i]) y=\(c.y.scalars[i]) w=\(c.w[i]) p=\(c.p[i])")
                if bits(S(bceRounding: c.scalarTerm(i))) != bits(values[i]) { differing += 1 }
            }
            #expect(worst.ulps <= bound, "\(c.name): \(worst)")
            #expect(differing <= allowedScalarDifferences(S.self, floatLanes: c.logits, count: values.count),
                    "\(c.name): \(differing) differ from the scalar path")
            let mean = try c.loss(.mean).scalar!, sum = try c.loss(.sum).scalar!
            #expect(ulpError(mean, exactSum.value / Reference(values.count)) <= bound, "\(c.name) mean \(mean)")
            #expect(ulpError(sum, exactSum.value) <= bound, "\(c.name) sum \(sum)")
            for threads in [1, 3] {
                BCEThreads.maximum = threads
                #expect(bits(try c.loss(.mean).scalar!) == bits(mean), "\(c.name) mean, \(threads) threads")
                #expect(bits(try c.loss(.sum).scalar!) == bits(sum), "\(c.name) sum, \(threads) threads")
                #expect(try c.loss(.none).scalars.map(bits) == values.map(bits), "\(c.name) none, \(threads) threads")
            }
        }
        BCEThreads.maximum = BCEThreads.processorCount
    }

    @Test("Weighted and pos_weight forward passes, every broadcast pattern: within the bound, the scalar path's bits but near ties, any thread count")
    func forward() throws {
        try Self.checkForward(Float.self, bound: 2, seed: 401)
        try Self.checkForward(Double.self, bound: 2, seed: 402)
        try Self.checkForward(Float16.self, bound: 1, seed: 403)
        try Self.checkForward(BrainFloat16.self, bound: 1, seed: 404)
    }

    static func checkGradients<S: BCEArithmetic>(_: S.Type, bound: Double, seed: UInt64) throws {
        for c in cases(S.self, seed: seed, thin: true) {
            let n = c.x.count
            var rng = SplitMix64(seed: seed &+ 5)
            let gs = (0..<n).map { _ in S(Double.random(in: -2...2, using: &rng)) }
            BCEThreads.maximum = 2
            for (reduction, g) in [(Reduction.none, try NDArray(shape: c.x.shape, scalars: gs)), (.mean, NDArray(scalar: S(0.75)))] {
                let result = try c.gradients(reduction, g)
                let divisor: S.WideScalar = reduction == .mean ? S.WideScalar(n) : 1
                var worst = Worst(), differing = 0
                for i in 0..<n {
                    let gi = reduction == .none ? gs[i] : S(0.75)
                    let scalar = c.scalarGradients(i, g: gi, divisor: divisor)
                    if bits(S(bceRounding: scalar.input)) != bits(result.input.scalars[i])
                        || bits(S(bceRounding: scalar.target)) != bits(result.target.scalars[i]) {
                        differing += 1
                    }
                    let (dx, dy) = c.exactGradients(i, g: gi, divisor: divisor)
                    let at = "x=\(c.x.scalars[i]) y=\(c.y.scalars[i]) w=\(c.w[i]) p=\(c.p[i]) g=\(gi)"
                    worst.record(ulpError(result.input.scalars[i], dx.value, scale: dx.scale), "d/dx " + at)
                    worst.record(ulpError(result.target.scalars[i], dy.value, scale: dy.scale), "d/dy " + at)
                }
                #expect(worst.ulps <= bound, "\(c.name) \(reduction) gradients: \(worst)")
                let floatLanes = c.logits && c.name.contains(" hard ")
                #expect(differing <= allowedScalarDifferences(S.self, floatLanes: floatLanes, count: n), "\(c.name) \(reduction) gradients: \(differing) differ from the scalar path")
                for threads in [1, 3] {
                    BCEThreads.maximum = threads
                    let again = try c.gradients(reduction, g)
                    #expect(again.input.scalars.map(bits) == result.input.scalars.map(bits), "\(c.name) \(reduction) d/dx, \(threads) threads")
                    #expect(again.target.scalars.map(bits) == result.target.scalars.map(bits), "\(c.name) \(reduction) d/dy, \(threads) threads")
                }
                BCEThreads.maximum = 2
            }
        }
        BCEThreads.maximum = BCEThreads.processorCount
    }

    @Test("Weighted and pos_weight gradients, every broadcast pattern: within the bound, the scalar path's bits but near ties, any thread count")
    func gradients() throws {
        try Self.checkGradients(Float.self, bound: 2, seed: 501)
        try Self.checkGradients(Double.self, bound: 2, seed: 502)
        try Self.checkGradients(Float16.self, bound: 1, seed: 503)
        try Self.checkGradients(BrainFloat16.self, bound: 1, seed: 504)
    }

    /// d/dinput alone (the buffer API without d/dtarget; Float16 and BrainFloat16 logits with hard
    /// targets take the Float lanes, Kernels.c, with or without it) in every case and without
    /// weights, with grad_output
    /// per element, 0.75 over n and four times the least normal magnitude (results below the normal
    /// range): within `bound` ULP of the exact value, the scalar formulas' bits but near ties, the
    /// same bits at every instruction set and thread count.
    static func checkInputGradientAlone<S: BCEArithmetic>(_: S.Type, bound: Double, seed: UInt64) throws {
        let levels = BCEInstructionSet.allCases.filter { $0 <= BCEVectorKernels.supported }
        var all = cases(S.self, seed: seed)
        for hard in [false, true] {
            all.append(makeCase(S.self, logits: true, hard: hard, layout: 0, weight: false, posWeight: false,
                                seed: seed &+ (hard ? 98 : 99)))
        }
        // Logits in the Float lanes' domain throughout, so most groups of sixteen take them: hard
        // targets, soft targets, and soft targets next to sigmoid(x) (where sigmoid(x) - y cancels,
        // so most groups of eight must leave the Float lanes' sigmoid for the Double lanes').
        var uniform = SplitMix64(seed: seed &+ 77)
        let shape = [97, 50], n = 97 * 50
        let uw = (0..<50).map { _ in S(Double.random(in: 0.5...2, using: &uniform)) }
        let up = (0..<50).map { _ in S(Double.random(in: 0.5...4, using: &uniform)) }
        for targets in ["hard", "soft", "soft near sigmoid"] {
            let range = targets == "hard" ? 30.0 : 8
            let ux = (0..<n).map { _ in S(Double.random(in: -range...range, using: &uniform)) }
            let uy = ux.map { x -> S in
                switch targets {
                case "hard": return S(Double(Int.random(in: 0...1, using: &uniform)))
                case "soft": return S(Double.random(in: 0...1, using: &uniform))
                default: return S(1 / (1 + exp(-Double(x))) * (1 + Double.random(in: -0x1p-9...0x1p-9, using: &uniform)))
                }
            }
            for weighted in [false, true] {
                all.append(Case(
                    name: "bce_with_logits \(S.self) \(targets) uniform in [-\(Int(range)), \(Int(range))]\(weighted ? " per class (C,) weight pos_weight" : "")",
                    logits: true, x: try NDArray(shape: shape, scalars: ux), y: try NDArray(shape: shape, scalars: uy),
                    weight: weighted ? NDArray(uw) : nil, posWeight: weighted ? NDArray(up) : nil,
                    w: (0..<n).map { weighted ? uw[$0 % 50] : 1 }, p: (0..<n).map { weighted ? up[$0 % 50] : 1 }))
            }
        }
        var floatLaneElements = 0
        for c in all {
            let n = c.x.count
            var rng = SplitMix64(seed: seed &+ 5)
            let gs = (0..<n).map { _ in S(Double.random(in: -2...2, using: &rng)) }
            let tiny = S.leastNormalMagnitude * 4
            let runs: [(Reduction, NDArray<S>, S)] = [
                (.none, try NDArray(shape: c.x.shape, scalars: gs), 0), (.mean, NDArray(scalar: S(0.75)), 0.75),
                (.sum, NDArray(scalar: tiny), tiny)]
            let floatLanes = c.logits && (S.self == Float16.self || S.self == BrainFloat16.self)
            for (reduction, g, scalarG) in runs {
                BCEThreads.maximum = 2
                let result = try c.inputGradientAlone(reduction, g)
                let divisor: S.WideScalar = reduction == .mean ? S.WideScalar(n) : 1
                var worst = Worst(), differing = 0
                for i in 0..<n {
                    let gi = reduction == .none ? gs[i] : scalarG
                    if bits(S(bceRounding: c.scalarGradients(i, g: gi, divisor: divisor).input)) != bits(result[i]) { differing += 1 }
                    let dx = c.exactGradients(i, g: gi, divisor: divisor).input
                    worst.record(ulpError(result[i], dx.value, scale: dx.scale),
                                 "x=\(c.x.scalars[i]) y=\(c.y.scalars[i]) w=\(c.w[i]) p=\(c.p[i]) g=\(gi)")
                }
                if floatLanes { floatLaneElements += n }
                let allowed = allowedScalarDifferences(S.self, floatLanes: floatLanes, count: n)
                if floatLanes { print("d/dinput alone \(c.name) \(reduction): \(worst); \(differing) of \(n) differ from the scalar path") }
                #expect(worst.ulps <= bound, "\(c.name) \(reduction) d/dinput alone: \(worst)")
                #expect(differing <= allowed, "\(c.name) \(reduction) d/dinput alone: \(differing) differ from the scalar path")
                for level in levels {
                    #expect(try c.inputGradientAlone(reduction, g, level: level).map(bits) == result.map(bits),
                            "\(c.name) \(reduction) d/dinput alone at \(level)")
                }
                for threads in [1, 3] {
                    BCEThreads.maximum = threads
                    #expect(try c.inputGradientAlone(reduction, g).map(bits) == result.map(bits),
                            "\(c.name) \(reduction) d/dinput alone, \(threads) threads")
                }
            }
        }
        BCEThreads.maximum = BCEThreads.processorCount
        if S.self == Float16.self || S.self == BrainFloat16.self { #expect(floatLaneElements > 0) }
    }

    /// d/dinput alone for hard targets where g w is a tie of `S` (3 (1 + 2^-10) for Float16,
    /// 3 (1 + 2^-7) for BrainFloat16, and half of it): sigmoid(x) just below 1 (large |x|) or just
    /// off 1/2 (tiny x) decides the rounding, so every result must be within 1/2 ULP of the exact
    /// value (correctly rounded). The first Float-lane version computed sigmoid(|x|) = 1 / (1 + e)
    /// in Float, which is 1 for |x| > 17, and took tiny x into the Float lanes: it rounded such
    /// results away from the exact value.
    static func checkInputGradientTies<S: SixteenBitFloat>(_: S.Type, significandBits: Int) throws {
        let magnitudes: [Double] = [17, 20, 30, 45, 60, 79.5, 0x1p-30, 0x1p-24, 0x1p-22, 0x1p-20, 0x1p-18, 0x1p-14, 0.001]
        var xs: [S] = [], ys: [S] = []
        for m in magnitudes {
            for sign in [1.0, -1.0] {
                for y in [0.0, 1.0] {
                    // A group of sixteen of one kind, so the tiny-x groups show what the lanes decide.
                    for _ in 0..<16 { xs.append(S(sign * m)); ys.append(S(y)) }
                }
            }
        }
        let n = xs.count
        let w = 1 + Double.ulpOfOne * Double(1 << (52 - significandBits))   // 1 + 2^-significandBits
        for g in [3.0, 1.5] {
            let c = Case<S>(
                name: "ties \(S.self) g=\(g)", logits: true, x: NDArray(xs), y: NDArray(ys),
                weight: NDArray(scalar: S(w)), posWeight: nil, w: Array(repeating: S(w), count: n),
                p: Array(repeating: 1, count: n))
            for level in BCEInstructionSet.allCases where level <= BCEVectorKernels.supported {
                let result = try c.inputGradientAlone(.sum, NDArray(scalar: S(g)), level: level)
                var worst = Worst()
                for i in 0..<n {
                    let exact = c.exactGradients(i, g: S(g), divisor: 1).input
                    worst.record(ulpError(result[i], exact.value, scale: exact.scale), "x=\(xs[i]) y=\(ys[i])")
                }
                #expect(worst.ulps <= 0.5, "\(c.name) \(level): \(worst)")
            }
        }
    }

    @Test("BrainFloat16 BCEWithLogitsLoss: a term beyond Float's range (weight and pos_weight 2^63, x = -80) in a finite mean is the scalar formulas' mean at every level")
    func termBeyondFloatRange() throws {
        // One term p w softplus(80), about 2^132.3, above Float's largest (2^128) and BrainFloat16's;
        // 63 terms of weight 0; the mean, about 2^126.3, is finite. Summed in Double, as the scalar
        // formulas do, it stays finite whatever lanes compute the term.
        let n = 64
        let x = NDArray((0..<n).map { BrainFloat16($0 == 0 ? -80 : Double($0 % 7) - 3) })
        let y = NDArray((0..<n).map { _ in BrainFloat16(1) })
        let w = NDArray((0..<n).map { BrainFloat16($0 == 0 ? 0x1p63 : 0) })
        let p = NDArray((0..<n).map { _ in BrainFloat16(0x1p63) })
        func mean() throws -> BrainFloat16 {
            try binaryCrossEntropyWithLogits(x, y, weight: w, posWeight: p, reduction: .mean).scalar!
        }
        let scalar = try BCEVectorKernels.withLevel(nil) { try mean() }
        #expect(scalar.isFinite && Double(scalar) > 0x1p126)
        for level in BCEInstructionSet.allCases where level <= BCEVectorKernels.supported {
            let lanes = try BCEVectorKernels.withLevel(level) { try mean() }
            #expect(Self.bits(lanes) == Self.bits(scalar), "\(level): \(lanes), the scalar formulas \(scalar)")
        }
    }

    @Test("d/dinput alone, Float16 and BrainFloat16 hard targets with g w on a tie: correctly rounded for sigmoid just below 1 and just off 1/2")
    func inputGradientTies() throws {
        try Self.checkInputGradientTies(Float16.self, significandBits: 10)
        try Self.checkInputGradientTies(BrainFloat16.self, significandBits: 7)
    }

    @Test("d/dinput alone (no d/dtarget; Float16 and BrainFloat16 logits in Float lanes, hard and soft targets, cancelling ones too), every broadcast pattern and none: within the bound, the scalar path's bits but near ties, every level and thread count")
    func inputGradientAlone() throws {
        try Self.checkInputGradientAlone(Float16.self, bound: 1, seed: 511)
        try Self.checkInputGradientAlone(BrainFloat16.self, bound: 1, seed: 512)
        try Self.checkInputGradientAlone(Float.self, bound: 2, seed: 513)
        try Self.checkInputGradientAlone(Double.self, bound: 2, seed: 514)
    }

    /// Every weighted result (forward, three reductions; gradients) of Float, Double, Float16 and
    /// BrainFloat16 at `level`.
    /// (nil: the scalar formulas, without the C kernels).
    static func everyResult(_ level: BCEInstructionSet?, signed: Bool) throws -> [String: [UInt64]] {
        try BCEVectorKernels.withLevel(level) { () throws -> [String: [UInt64]] in try everyResult(signed: signed) }
    }

    static func everyResult(signed: Bool) throws -> [String: [UInt64]] {
        var results: [String: [UInt64]] = [:]
        func record<S: BCEArithmetic>(_: S.Type, seed: UInt64) throws {
            for c in cases(S.self, seed: seed, signed: signed, thin: true) {
                for reduction in Reduction.allCases {
                    results["\(c.name) \(reduction)"] = try c.loss(reduction).scalars.map(bits)
                }
                let gs = (0..<c.x.count).map { S(Double($0 % 7) * 0.25 - 0.75) }
                for (reduction, g) in [(Reduction.none, try NDArray(shape: c.x.shape, scalars: gs)), (.mean, NDArray(scalar: S(0.5)))] {
                    let value = try c.gradients(reduction, g)
                    results["\(c.name) \(reduction) gradients"] = (value.input.scalars + value.target.scalars).map(bits)
                }
            }
        }
        try record(Float.self, seed: 601)
        try record(Double.self, seed: 602)
        try record(Float16.self, seed: 603)
        try record(BrainFloat16.self, seed: 604)
        return results
    }

    @Test("Every C instruction set gives the same weighted bits; signed weights and pos_weights (outside the promise) give the scalar path's bits but near ties")
    func instructionSetsAgree() throws {
        let levels = BCEInstructionSet.allCases.filter { $0 <= BCEVectorKernels.supported }
        print("weighted: instruction sets compared: \(levels.map(\.rawValue))")
        guard let first = levels.first else { return }
        for signed in [false, true] {
            let reference = try Self.everyResult(first, signed: signed)
            for level in levels.dropFirst() {
                let results = try Self.everyResult(level, signed: signed)
                #expect(results.count == reference.count)
                for (name, bits) in reference.sorted(by: { $0.key < $1.key }) {
                    let differing = zip(bits, results[name] ?? []).filter { $0 != $1 }.count
                    #expect(results[name]?.count == bits.count && differing == 0,
                            "\(level) \(name): \(differing) of \(bits.count) differ from \(first)")
                }
            }
            // The scalar formulas (without the C kernels) against the kernels.
            let scalar = try Self.everyResult(nil, signed: signed)
            for (name, bits) in reference.sorted(by: { $0.key < $1.key }) where name.hasSuffix(" none") {
                let differing = zip(bits, scalar[name] ?? []).filter { $0 != $1 }.count
                let allowed = allowedScalarDifferences(named: name, count: bits.count)
                #expect(differing <= allowed, "\(name): \(differing) of \(bits.count) differ from the scalar formulas")
            }
        }
    }

    @Test("Zero weights give the scalar path's signed zeros; the first out-of-range element is reported with a weight")
    func zerosAndErrors() throws {
        let n = 5000
        let xs = (0..<n).map { Double($0 % 97 + 1) / 99 }, ys = (0..<n).map { Double($0 % 2) }
        let x = try NDArray(shape: [100, 50], scalars: xs), y = try NDArray(shape: [100, 50], scalars: ys)
        let w = try NDArray(shape: [50], scalars: (0..<50).map { $0 % 2 == 0 ? -0.0 : 0.0 })
        for loss in [try binaryCrossEntropy(x, y, weight: w, reduction: .none),
                     try binaryCrossEntropyWithLogits(x, y, weight: w, reduction: .none)] {
            #expect(loss.scalars.enumerated().allSatisfy { i, v in v == 0 && v.sign == (i % 2 == 0 ? .minus : .plus) })
        }
        var bad = xs
        bad[4321] = 1.5
        bad[4999] = -1
        #expect(throws: BCEError.inputOutOfRange(index: 4321, value: 1.5)) {
            try binaryCrossEntropy(try NDArray(shape: [100, 50], scalars: bad), y, weight: w, reduction: .mean)
        }
        #expect(throws: BCEError.inputOutOfRange(index: 4321, value: 1.5)) {
            try binaryCrossEntropyBackward(try NDArray(shape: [100, 50], scalars: bad), y, weight: w, reduction: .none,
                                           gradOutput: x)
        }
    }
}

#endif
