import Testing
import BinaryCrossEntropy

// Expected values derived by hand and checked with mpmath at 200 bits.

@Suite("BCEWithLogitsLoss values")
struct BCEWithLogitsValueTests {
    @Test("softplus values: y = 1 gives log(1 + e^-x), y = 0 gives log(1 + e^x), x = 0 gives log 2")
    func handValues() throws {
        let x = NDArray<Double>.of([4], [2, 2, 0, 0])
        let y = NDArray<Double>.of([4], [1, 0, 0.3, 1])
        let loss = try binaryCrossEntropyWithLogits(x, y, reduction: .none)
        #expect(loss.doubles == [0.1269280110429725, 2.1269280110429727, 0.6931471805599453, 0.6931471805599453])
    }

    @Test("pos_weight scales the positive term: x = 0, y = 1, p = 3 gives 3 log 2")
    func posWeightAtZero() throws {
        let loss = try binaryCrossEntropyWithLogits(
            NDArray<Double>(scalar: 0), NDArray(scalar: 1), posWeight: NDArray(scalar: 3))
        #expect(loss.scalar == 2.0794415416798357)
    }

    @Test("weight and pos_weight together: x = 1, y = ¼, p = 2, w = 3 → 3(¾ sp(1) + ½ sp(-1))")
    func weightAndPosWeight() throws {
        let loss = try binaryCrossEntropyWithLogits(
            NDArray<Double>(scalar: 1), NDArray(scalar: 0.25), weight: NDArray(scalar: 3),
            posWeight: NDArray(scalar: 2), reduction: .sum)
        #expect(loss.scalar == 3.4247313281933356)
    }

    @Test("x = -40.9, y = 0 in Float is 1.7272493e-18, not PyTorch's cancelled 0")
    func noCancellationForVeryNegativeLogits() throws {
        let loss = try binaryCrossEntropyWithLogits(NDArray<Float>(scalar: -40.9), NDArray(scalar: 0))
        // x is Float(-40.9) = -40.900001525878906; log1p(e^x) = 1.7272493084561313e-18.
        #expect(loss.scalar == Float(1.7272493084561313e-18))
        let mirrored = try binaryCrossEntropyWithLogits(NDArray<Float>(scalar: 40.9), NDArray(scalar: 1))
        #expect(mirrored.scalar == Float(1.7272493084561313e-18))
    }

    @Test("Float16: x = -20, y = 0 is 2.06e-9, below Float16's subnormals, so 0; x = -10 is 4.54e-5")
    func float16SmallLosses() throws {
        #expect(try binaryCrossEntropyWithLogits(NDArray<Float16>(scalar: -20), NDArray(scalar: 0)).scalar == 0)
        // log1p(e^-10) = 4.5398899216870535e-05.
        #expect(try binaryCrossEntropyWithLogits(NDArray<Float16>(scalar: -10), NDArray(scalar: 0)).scalar
            == Float16(4.5398899216870535e-05))
    }

    @Test("targets outside [0, 1]: x = 1, y = 2 → -1 + log(1 + e^-1)")
    func targetOutsideUnitInterval() throws {
        let loss = try binaryCrossEntropyWithLogits(NDArray<Double>(scalar: 1), NDArray(scalar: 2))
        #expect(loss.scalar == -0.6867383124817772)
    }

    @Test("negative pos_weight: x = 1, y = 1, p = -1 → logsigmoid(1)")
    func negativePosWeight() throws {
        let loss = try binaryCrossEntropyWithLogits(
            NDArray<Double>(scalar: 1), NDArray(scalar: 1), posWeight: NDArray(scalar: -1))
        #expect(loss.scalar == -0.3132616875182228)
    }

    /// |actual - expected| within one spacing of the type at `expected`.
    func withinOneULP<S: BCEScalar>(_ actual: S?, _ expected: S) -> Bool {
        guard let actual else { return false }
        return (actual - expected).magnitude <= expected.ulp
    }

    // For y = 0 the loss is softplus(x) whatever p is: (1 - 0) * softplus(x) + p * 0 * softplus(-x).
    // PyTorch's form x - logsigmoid(x) * 1 gives -40 + 40 = 0 even in Float80 (the live fuzzer's
    // seed 2 case 878 and seed 4 case 492). log1p(e^-40) = 4.248354255291589e-18 (mpmath, 300 bits).
    @Test("negative pos_weight, y = 0, x = -40: softplus(-40) = 4.25e-18 in Float and Double, not 0")
    func negativePosWeightTargetZero() throws {
        let expected = 4.248354255291589e-18
        for p in [-2.0, -0.5, -1e30] {
            let d = try binaryCrossEntropyWithLogits(
                NDArray<Double>(scalar: -40), NDArray(scalar: 0), posWeight: NDArray(scalar: p))
            #expect(withinOneULP(d.scalar, expected), "Double p = \(p): \(String(describing: d.scalar))")
            let f = try binaryCrossEntropyWithLogits(
                NDArray<Float>(scalar: -40), NDArray(scalar: 0), posWeight: NDArray(scalar: Float(p)))
            #expect(withinOneULP(f.scalar, Float(expected)), "Float p = \(p): \(String(describing: f.scalar))")
        }
        // p < 0 with y = 1 is p * softplus(-x): -2 * softplus(-40) for x = 40.
        let mirrored = try binaryCrossEntropyWithLogits(
            NDArray<Double>(scalar: 40), NDArray(scalar: 1), posWeight: NDArray(scalar: -2))
        #expect(withinOneULP(mirrored.scalar, -2 * expected))
    }

    // y = -2^-70, x = -40: (1 + 2^-70) softplus(-40) - 2^-70 softplus(40) = 4.214472937401417e-18
    // (mpmath, 300 bits). PyTorch's form rounds (1 - y) * x to -40 and returns softplus(-40),
    // 0.8% too large; the decomposed form's two terms differ by a factor of 125, so it loses nothing.
    @Test("target just below 0, x = -40: 4.2145e-18 in Float and Double, not PyTorch's 4.2484e-18")
    func targetBelowZeroVeryNegativeLogit() throws {
        let expected = 4.214472937401417e-18
        let y = -0x1p-70
        let d = try binaryCrossEntropyWithLogits(NDArray<Double>(scalar: -40), NDArray(scalar: y))
        #expect(withinOneULP(d.scalar, expected), "\(String(describing: d.scalar))")
        let f = try binaryCrossEntropyWithLogits(NDArray<Float>(scalar: -40), NDArray(scalar: Float(y)))
        #expect(withinOneULP(f.scalar, Float(expected)), "\(String(describing: f.scalar))")
    }

    @Test("non-finite target or pos_weight with a finite logit follows PyTorch's formula")
    func nonFiniteTargetOrPosWeight() throws {
        // y = +inf, x = 2, p = 1/2: (1 - inf) * 2 - logsigmoid(2) * ((1/2 - 1) * inf + 1) = -inf - inf = -inf
        // (the decomposed form would give -inf + inf = NaN).
        let loss = try binaryCrossEntropyWithLogits(
            NDArray<Double>(scalar: 2), NDArray(scalar: .infinity), posWeight: NDArray(scalar: 0.5))
        #expect(loss.scalar == -.infinity)
        // p = +inf, x = 3: d/dy = logsigmoid(-3) - inf * logsigmoid(3) = +inf (not 0 * inf = NaN).
        let g = try binaryCrossEntropyWithLogitsBackward(
            NDArray<Double>(scalar: 3), NDArray(scalar: 0.5), posWeight: NDArray(scalar: .infinity),
            reduction: .sum, gradOutput: NDArray(scalar: 1))
        #expect(g.target.scalar == .infinity)
    }

    @Test("infinite logits follow PyTorch: -inf → NaN, +inf with y = 1 → NaN, +inf with y = 0 → +inf")
    func infiniteLogits() throws {
        let x = NDArray<Float>.of([4], [-.infinity, -.infinity, .infinity, .infinity])
        let y = NDArray<Float>.of([4], [0, 1, 1, 0])
        let loss = try binaryCrossEntropyWithLogits(x, y, reduction: .none).scalars
        #expect(loss[0].isNaN && loss[1].isNaN && loss[2].isNaN)
        #expect(loss[3] == .infinity)
        #expect(try binaryCrossEntropyWithLogits(x, y).scalar?.isNaN == true)
    }

    @Test("NaN anywhere gives NaN, with no error")
    func nanPropagates() throws {
        let loss = try binaryCrossEntropyWithLogits(
            NDArray<Double>.of([3], [.nan, 0, 0]), .of([3], [0, .nan, 1]),
            posWeight: .of([3], [1, 1, .nan]), reduction: .none)
        let allNaN = loss.scalars.allSatisfy { $0.isNaN }
        #expect(allNaN)
    }

    @Test("empty input: mean is NaN, sum is 0")
    func emptyInput() throws {
        let x = try NDArray<Float16>(shape: [2, 0], scalars: [])
        #expect(try binaryCrossEntropyWithLogits(x, x).scalar?.isNaN == true)
        #expect(try binaryCrossEntropyWithLogits(x, x, reduction: .sum).scalar == 0)
    }

    @Test("the module equals the functional form and defaults to mean")
    func moduleMatchesFunctional() throws {
        let x = NDArray<Float>.of([2, 2], [-3, -0.5, 0.5, 7]), y = NDArray<Float>.of([2, 2], [0, 1, 0.5, 1])
        let w = NDArray<Float>.of([2, 1], [1, 3]), p = NDArray<Float>.of([2], [2, 0.5])
        for reduction in Reduction.allCases {
            let module = BCEWithLogitsLoss(weight: w, posWeight: p, reduction: reduction)
            #expect(try module(x, y) == binaryCrossEntropyWithLogits(x, y, weight: w, posWeight: p, reduction: reduction))
        }
        #expect(BCEWithLogitsLoss<Float>().reduction == .mean)
    }
}

@Suite("BCEWithLogitsLoss broadcasting")
struct BCEWithLogitsBroadcastTests {
    @Test("a (C, 1, 1) pos_weight is per channel of (B, C, H, W)")
    func perChannelPosWeight() throws {
        let shape = [2, 3, 2, 2], count = 24
        let x = NDArray<Double>.of(shape, (0..<count).map { Double($0 % 7) - 3 })
        let y = NDArray<Double>.of(shape, (0..<count).map { Double($0 % 3) / 2 })
        let channelWeights: [Double] = [0.5, 2, 4]
        let perChannel = try binaryCrossEntropyWithLogits(
            x, y, posWeight: .of([3, 1, 1], channelWeights), reduction: .none)
        let expanded = (0..<count).map { channelWeights[($0 / 4) % 3] }
        let full = try binaryCrossEntropyWithLogits(x, y, posWeight: .of(shape, expanded), reduction: .none)
        #expect(perChannel == full)
    }

    @Test("pos_weight (C,) lines up with the last dimension; weight (C,), (1, C), (N, C) agree")
    func trailingBroadcast() throws {
        let x = NDArray<Float>.of([2, 3], [-2, -1, 0, 1, 2, 3]), y = NDArray<Float>.of([2, 3], [0, 1, 1, 0.5, 1, 0])
        let row: [Double] = [3, 0.25, 1.5]
        let a = try binaryCrossEntropyWithLogits(x, y, weight: .of([3], row), posWeight: .of([3], row), reduction: .none)
        let b = try binaryCrossEntropyWithLogits(x, y, weight: .of([1, 3], row), posWeight: .of([1, 3], row), reduction: .none)
        let c = try binaryCrossEntropyWithLogits(x, y, weight: .of([2, 3], row + row), posWeight: .of([2, 3], row + row), reduction: .none)
        #expect(a == b && b == c)
    }
}
