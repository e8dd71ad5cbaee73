import Foundation
import Testing
import BinaryCrossEntropy

// Measures the error of every loss and gradient, in ULP, against a Float80 evaluation of the
// definitions (TestSupport.swift), over random and edge inputs, and asserts the issue's bounds:
// loss ≤ 1 ULP (Float16), ≤ 2 ULP (Float, Double) for targets in [0, 1] and pos_weight ≥ 0;
// gradients ≤ 2 ULP of the larger term of their formula. The worst cases are printed
// ("ULP worst ...") so they can be reported.
//
// Float16 and Float are computed by the library in Double, so a Float80 reference is independent
// and ~2^-11 ULP accurate at Double's precision, i.e. exact for these purposes. Double is computed
// by the library in Float80 too; the reference's own error (a couple of Float80 ULP, from glibc's
// long double libm) is then about 2^-10 Double ULP, so the measured figures are good to ±0.002 ULP.

#if arch(x86_64) && !os(Windows) && !os(Android)

/// The worst error seen, with its inputs.
struct Worst: CustomStringConvertible {
    var ulps = 0.0
    var at = ""
    mutating func record(_ error: Double, _ inputs: @autoclosure () -> String) {
        if !(error <= ulps) { ulps = error; at = inputs() }   // NaN errors are recorded too
    }
    var description: String { String(format: "%.4f ULP", ulps) + (at.isEmpty ? "" : " at " + at) }
}

/// Input generators, scaled to each element type's range.
struct Sampler<S: BCEArithmetic> {
    var rng: SplitMix64
    /// Decimal exponent of the smallest positive normal value, and digits of precision.
    let smallExponent: Double, digits: Double, largestLogit: Double

    init(seed: UInt64) {
        rng = SplitMix64(seed: seed)
        smallExponent = -Double(S.leastNormalMagnitude).magnitude.log10Floor
        digits = Double(S.significandBitCount + 1) * 0.30103
        largestLogit = min(Double(S.greatestFiniteMagnitude) / 8, 800)
    }

    mutating func uniform(_ range: ClosedRange<Double>) -> Double { Double.random(in: range, using: &rng) }

    /// A probability: uniform, tiny, just below 1, or exactly 0 or 1.
    mutating func probability() -> S {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return 0
        case 1: return 1
        case 2, 3: return S(pow(10, -uniform(0...smallExponent + 4)))   // includes subnormals
        case 4, 5: return S(1 - pow(10, -uniform(0...digits)))
        default: return S(uniform(0...1))
        }
    }

    /// A logit: small, moderate, large, of either sign, or 0.
    mutating func logit() -> S {
        let sign: Double = Bool.random(using: &rng) ? 1 : -1
        switch Int.random(in: 0..<8, using: &rng) {
        case 0: return 0
        case 1, 2: return S(sign * pow(10, uniform(-8...log10(largestLogit))))
        case 3: return S(sign * uniform(0...largestLogit))
        default: return S(uniform(-30...30))
        }
    }

    /// A non-negative weight: 1, 0, moderate or spread over six decades.
    mutating func weight() -> S {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0, 1: return 1
        case 2: return 0
        case 3: return S(pow(10, uniform(-3...min(3, log10(Double(S.greatestFiniteMagnitude)) - 3))))
        default: return S(uniform(0...4))
        }
    }

    /// An upstream gradient of either sign.
    mutating func upstream() -> S { S((Bool.random(using: &rng) ? 1 : -1) * uniform(0.1...10)) }
}

private extension Double {
    var log10Floor: Double { Foundation.floor(Foundation.log10(self)) }
}

@Suite("Accuracy in ULP against a Float80 reference")
struct AccuracyTests {
    /// Samples per dtype and loss; set BCE_ACCURACY_SAMPLES for a longer measurement.
    static let samples = ProcessInfo.processInfo.environment["BCE_ACCURACY_SAMPLES"].flatMap { Int($0) } ?? 60_000

    struct Report { var loss = Worst(), mean = Worst(), gradInput = Worst(), gradTarget = Worst() }

    static func measureBCE<S: BCEArithmetic>(_: S.Type, seed: UInt64) throws -> Report {
        var sampler = Sampler<S>(seed: seed)
        let n = samples
        var xs: [S] = [], ys: [S] = [], ws: [S] = [], gs: [S] = []
        for _ in 0..<n {
            xs.append(sampler.probability()); ys.append(sampler.probability())
            ws.append(sampler.weight()); gs.append(sampler.upstream())
        }
        let x = NDArray(xs), y = NDArray(ys), w = NDArray(ws), g = NDArray(gs)
        let loss = try binaryCrossEntropy(x, y, weight: w, reduction: .none).scalars
        let grads = try binaryCrossEntropyBackward(x, y, weight: w, reduction: .none, gradOutput: g)
        var report = Report()
        let epsilon = Reference(S.bceGradientEpsilon)
        var exactSum = CompensatedSum<Reference>()
        for i in 0..<n {
            let (xi, yi, wi, gi) = (Reference(xs[i]), Reference(ys[i]), Reference(ws[i]), Reference(gs[i]))
            let inputs = "x=\(xs[i]) y=\(ys[i]) w=\(ws[i]) g=\(gs[i])"
            let exact = ReferenceBCE.loss(x: xi, y: yi, w: wi)
            exactSum.add(exact)
            report.loss.record(ulpError(loss[i], exact), inputs)
            let dx = ReferenceBCE.inputGradient(x: xi, y: yi, w: wi, g: gi, epsilon: epsilon)
            report.gradInput.record(ulpError(grads.input.scalars[i], dx.value, scale: dx.scale), inputs)
            let dy = ReferenceBCE.targetGradient(x: xi, w: wi, g: gi)
            report.gradTarget.record(ulpError(grads.target.scalars[i], dy.value, scale: dy.scale), inputs)
        }
        let mean = try binaryCrossEntropy(x, y, weight: w, reduction: .mean).scalar ?? .nan
        report.mean.record(ulpError(mean, exactSum.value / Reference(n)), "mean of \(n)")
        return report
    }

    static func measureLogits<S: BCEArithmetic>(_: S.Type, seed: UInt64, posWeight: Bool) throws -> Report {
        var sampler = Sampler<S>(seed: seed)
        let n = samples
        var xs: [S] = [], ys: [S] = [], ws: [S] = [], ps: [S] = [], gs: [S] = []
        for _ in 0..<n {
            xs.append(sampler.logit()); ys.append(sampler.probability())
            ws.append(sampler.weight()); ps.append(sampler.weight()); gs.append(sampler.upstream())
        }
        let x = NDArray(xs), y = NDArray(ys), w = NDArray(ws), g = NDArray(gs)
        let p: NDArray<S>? = posWeight ? NDArray(ps) : nil
        let loss = try binaryCrossEntropyWithLogits(x, y, weight: w, posWeight: p, reduction: .none).scalars
        let grads = try binaryCrossEntropyWithLogitsBackward(x, y, weight: w, posWeight: p, reduction: .none, gradOutput: g)
        var report = Report()
        var exactSum = CompensatedSum<Reference>()
        for i in 0..<n {
            let (xi, yi, wi, gi) = (Reference(xs[i]), Reference(ys[i]), Reference(ws[i]), Reference(gs[i]))
            let pi: Reference? = posWeight ? Reference(ps[i]) : nil
            let inputs = "x=\(xs[i]) y=\(ys[i]) w=\(ws[i]) p=\(posWeight ? "\(ps[i])" : "none") g=\(gs[i])"
            let exact = ReferenceLogits.loss(x: xi, y: yi, p: pi, w: wi)
            exactSum.add(exact)
            report.loss.record(ulpError(loss[i], exact), inputs)
            let dx = ReferenceLogits.inputGradient(x: xi, y: yi, p: pi, w: wi, g: gi)
            report.gradInput.record(ulpError(grads.input.scalars[i], dx.value, scale: dx.scale), inputs)
            let dy = ReferenceLogits.targetGradient(x: xi, p: pi, w: wi, g: gi)
            report.gradTarget.record(ulpError(grads.target.scalars[i], dy.value, scale: dy.scale), inputs)
        }
        let mean = try binaryCrossEntropyWithLogits(x, y, weight: w, posWeight: p, reduction: .mean).scalar ?? .nan
        report.mean.record(ulpError(mean, exactSum.value / Reference(n)), "mean of \(n)")
        return report
    }

    static func check(_ report: Report, _ name: String, lossBound: Double) {
        print("ULP worst \(name) loss: \(report.loss)")
        print("ULP worst \(name) mean: \(report.mean)")
        print("ULP worst \(name) grad_input (of largest term): \(report.gradInput)")
        print("ULP worst \(name) grad_target (of largest term): \(report.gradTarget)")
        #expect(report.loss.ulps <= lossBound, "\(name) loss \(report.loss)")
        #expect(report.mean.ulps <= lossBound, "\(name) mean \(report.mean)")
        #expect(report.gradInput.ulps <= 2, "\(name) grad_input \(report.gradInput)")
        #expect(report.gradTarget.ulps <= 2, "\(name) grad_target \(report.gradTarget)")
    }

    @Test("BCELoss: Float16 ≤ 1 ULP, Float and Double ≤ 2 ULP; gradients ≤ 2 ULP of their largest term")
    func bce() throws {
        Self.check(try Self.measureBCE(Float16.self, seed: 11), "bce float16", lossBound: 1)
        Self.check(try Self.measureBCE(Float.self, seed: 12), "bce float32", lossBound: 2)
        Self.check(try Self.measureBCE(Double.self, seed: 13), "bce float64", lossBound: 2)
    }

    @Test("BCEWithLogitsLoss, with and without pos_weight: same bounds", arguments: [false, true])
    func logits(posWeight: Bool) throws {
        let suffix = posWeight ? " pos_weight" : ""
        Self.check(try Self.measureLogits(Float16.self, seed: 21, posWeight: posWeight), "bce_with_logits\(suffix) float16", lossBound: 1)
        Self.check(try Self.measureLogits(Float.self, seed: 22, posWeight: posWeight), "bce_with_logits\(suffix) float32", lossBound: 2)
        Self.check(try Self.measureLogits(Double.self, seed: 23, posWeight: posWeight), "bce_with_logits\(suffix) float64", lossBound: 2)
    }

    @Test("exhaustive Float16 BCE: every input in [0, 1] against targets 0, ½, 1 and a random one, ≤ 1 ULP")
    func exhaustiveFloat16() throws {
        var inputs: [Float16] = []
        var bits: UInt16 = 0
        while Float16(bitPattern: bits) <= 1 { inputs.append(Float16(bitPattern: bits)); bits += 1 }
        var worst = Worst()
        for target in [0, 0.5, 1, 0.3337] as [Float16] {
            let loss = try binaryCrossEntropy(NDArray(inputs), NDArray(Array(repeating: target, count: inputs.count)), reduction: .none)
            for (x, l) in zip(inputs, loss.scalars) {
                worst.record(ulpError(l, ReferenceBCE.loss(x: Reference(x), y: Reference(target), w: 1)), "x=\(x) y=\(target)")
            }
        }
        print("ULP worst bce float16 exhaustive-x loss: \(worst)")
        #expect(worst.ulps <= 1)
    }

    /// Evaluated in Double itself, exp(-|x|) underflows for |x| > 708 before the product with
    /// p · w can bring it back into range, and a subnormal target or weight has lost bits before
    /// it is scaled back up, so results whose unweighted value is below Double's normal range,
    /// and subnormal y, are excluded: they are the only places this path is worse. The bound
    /// asserted is 4 ULP; 600,000 samples measured 2.98 (BCE) and 3.44 (with logits).
    @Test("Double evaluated in Double (the non-x86_64 path), normal results, measured for the record: within 4 ULP")
    func doubleWithoutFloat80() {
        var sampler = Sampler<Double>(seed: 31)
        var bce = Worst(), logits = Worst()
        for _ in 0..<Self.samples {
            let x = sampler.probability(), w = sampler.weight()
            var y = sampler.probability()
            if y.isSubnormal { y = 0 }
            let l = BCEFormulas.loss(input: x, target: y) * w
            bce.record(ulpError(l, ReferenceBCE.loss(x: Reference(x), y: Reference(y), w: Reference(w))), "x=\(x) y=\(y) w=\(w)")
            let z = sampler.logit(), p = sampler.weight()
            let m = BCEWithLogitsFormulas.loss(input: z, target: y, posWeight: p, hasPosWeight: true) * w
            let exact = ReferenceLogits.loss(x: Reference(z), y: Reference(y), p: Reference(p), w: Reference(w))
            if exact.magnitude >= Reference(Double.leastNormalMagnitude) * Swift.max(1, Reference(w)) {
                logits.record(ulpError(m, exact), "x=\(z) y=\(y) p=\(p) w=\(w)")
            }
        }
        print("ULP worst bce float64-in-double loss: \(bce)")
        print("ULP worst bce_with_logits float64-in-double loss: \(logits)")
        #expect(bce.ulps <= 4 && logits.ulps <= 4)
    }
}
#endif
