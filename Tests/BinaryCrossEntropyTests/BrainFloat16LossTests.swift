import Testing
import BinaryCrossEntropy

// Both losses and both gradients in BrainFloat16: accuracy against the Float80 evaluation of the
// definitions (TestSupport.swift; independent of the library's Double evaluation), on the
// weighted scalar path and on the vectorised path, and the edge values PyTorch defines.

#if arch(x86_64) && !os(Windows) && !os(Android)

@Suite("BrainFloat16 losses and gradients")
struct BrainFloat16LossTests {
    @Test("BCELoss in bfloat16: loss and mean ≤ 1 ULP, gradients ≤ 2 ULP of their largest term (weighted, scalar path)")
    func bceAccuracy() throws {
        AccuracyTests.check(try AccuracyTests.measureBCE(BrainFloat16.self, seed: 41), "bce bfloat16", lossBound: 1)
    }

    @Test("BCEWithLogitsLoss in bfloat16, with and without pos_weight: the same bounds", arguments: [false, true])
    func logitsAccuracy(posWeight: Bool) throws {
        let name = "bce_with_logits\(posWeight ? " pos_weight" : "") bfloat16"
        AccuracyTests.check(
            try AccuracyTests.measureLogits(BrainFloat16.self, seed: posWeight ? 43 : 42, posWeight: posWeight),
            name, lossBound: 1)
    }

    @Test("exhaustive bfloat16 BCE: every input in [0, 1] against targets 0, ½, 1 and a random one, ≤ 1 ULP, vectorised and scalar paths")
    func exhaustiveInputs() throws {
        var inputs: [BrainFloat16] = []
        var bits: UInt16 = 0
        while BrainFloat16(bitPattern: bits) <= 1 { inputs.append(BrainFloat16(bitPattern: bits)); bits += 1 }
        #expect(inputs.count == 0x3F81)
        var worst = Worst()
        let ones = NDArray([BrainFloat16](repeating: 1, count: inputs.count))
        for target in [0, 0.5, 1, 0.3337] as [BrainFloat16] {
            let y = NDArray([BrainFloat16](repeating: target, count: inputs.count))
            let vectorised = try binaryCrossEntropy(NDArray(inputs), y, reduction: .none)
            let scalar = try binaryCrossEntropy(NDArray(inputs), y, weight: ones, reduction: .none)
            for (i, x) in inputs.enumerated() {
                let exact = ReferenceBCE.loss(x: Reference(x), y: Reference(target), w: 1)
                worst.record(ulpError(vectorised.scalars[i], exact), "x=\(x) y=\(target) vectorised")
                worst.record(ulpError(scalar.scalars[i], exact), "x=\(x) y=\(target) scalar")
            }
        }
        print("ULP worst bce bfloat16 exhaustive-x loss: \(worst)")
        #expect(worst.ulps <= 1)
    }

    @Test("vectorised losses in bfloat16 (no weight): within 1 ULP, the scalar path's bits but near ties, any thread count", arguments: [false, true])
    func vectorisedLosses(logits: Bool) throws {
        try VectorizedPathTests.check(BrainFloat16.self, logits: logits, bound: 1, seed: logits ? 512 : 502)
    }

    @Test("vectorised gradients in bfloat16 (no weight): within 1 ULP of the largest term, the scalar path's bits but near ties", arguments: [false, true])
    func vectorisedGradients(logits: Bool) throws {
        for hard in [false, true] {
            try VectorizedPathTests.checkGradients(BrainFloat16.self, logits: logits, hardTargets: hard, bound: 1, seed: logits ? 532 : 522)
        }
    }

    @Test("PyTorch's edge values in bfloat16: the -100 log clamp, EPSILON in the gradient, infinite logits, out-of-range errors")
    func edges() throws {
        // log(0) clamps at -100: x = 0, y = 1 gives 100 (bfloat16 100 is exact).
        let clamp = try binaryCrossEntropy(NDArray([0, 1] as [BrainFloat16]), NDArray([1, 0] as [BrainFloat16]), reduction: .none)
        #expect(clamp.scalars == [100, 100])
        // EPSILON = 1e-12 is 0x2B8D in bfloat16 (it is 0 in Float16): at x = 0, y = 1 the input
        // gradient is (0 - 1) / EPSILON, finite: -9.9643e+11, as torch 2.15 gives.
        #expect(BrainFloat16.bceGradientEpsilon.bitPattern == 0x2B8D)
        let grads = try binaryCrossEntropyBackward(
            NDArray([0] as [BrainFloat16]), NDArray([1] as [BrainFloat16]), reduction: .none, gradOutput: NDArray([1] as [BrainFloat16]))
        let expected = BrainFloat16(-1 / Double(BrainFloat16.bceGradientEpsilon))
        #expect(grads.input.scalars == [expected] && expected == -9.9643e11)
        #expect(grads.target.scalars == [.infinity])   // -logit(0)
        // Logits ±infinity: PyTorch's formula in IEEE arithmetic, as torch 2.15 gives in bfloat16:
        // (1 - y) x - logsigmoid(x) is 0 · inf = NaN at +inf, y = 1; inf at +inf, y = 0; -inf + inf = NaN at -inf.
        let logits = try binaryCrossEntropyWithLogits(
            NDArray([.infinity, .infinity, -.infinity] as [BrainFloat16]), NDArray([1, 0, 0] as [BrainFloat16]), reduction: .none)
        #expect(logits.scalars[0].isNaN && logits.scalars[1] == .infinity && logits.scalars[2].isNaN)
        #expect(throws: BCEError.inputOutOfRange(index: 1, value: Double(BrainFloat16(1.5)))) {
            try binaryCrossEntropy(NDArray([0.5, 1.5] as [BrainFloat16]), NDArray([0, 0] as [BrainFloat16]))
        }
        #expect(throws: BCEError.targetOutOfRange(index: 0, value: -1)) {
            try binaryCrossEntropy(NDArray([0.5] as [BrainFloat16]), NDArray([-1] as [BrainFloat16]))
        }
        // A mean over 100,000 elements is accumulated wide and rounded once: the exact mean of
        // a constant term is that term.
        let n = 100_000
        let mean = try binaryCrossEntropy(NDArray([BrainFloat16](repeating: 0.25, count: n)),
                                          NDArray([BrainFloat16](repeating: 1, count: n)))
        #expect(mean.scalars == [BrainFloat16(1.3862943611198906 as Double)])   // -log(1/4) = 2 ln 2
    }
}

#endif
