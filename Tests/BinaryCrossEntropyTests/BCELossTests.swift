import Testing
import BinaryCrossEntropy

// Expected values are derived by hand (and checked with mpmath at 200 bits), never taken from the
// library's output.

@Suite("BCELoss values")
struct BCELossValueTests {
    @Test("elementwise: -log(x) for y = 1, -log(1 - x) for y = 0, log 2 at x = y = 1/2")
    func elementwiseHandValues() throws {
        let x = NDArray<Double>.of([3], [0.25, 0.5, 0.5])
        let y = NDArray<Double>.of([3], [1, 0.5, 0])
        let loss = try binaryCrossEntropy(x, y, reduction: .none)
        // -log(1/4) = log 4; -(½ log ½ + ½ log ½) = log 2; -log(1 - ½) = log 2.
        #expect(loss.shape == [3])
        #expect(loss.doubles == [1.3862943611198906, 0.6931471805599453, 0.6931471805599453])
    }

    @Test("mean is sum / count and sum is the plain total, both 0-d")
    func meanAndSum() throws {
        let x = NDArray<Double>.of([2], [0.25, 0.5]), y = NDArray<Double>.of([2], [1, 0.5])
        let mean = try binaryCrossEntropy(x, y)
        let sum = try binaryCrossEntropy(x, y, reduction: .sum)
        #expect(mean.shape == [] && sum.shape == [])
        #expect(mean.scalar == 1.0397207708399179)   // (log 4 + log 2) / 2 = 1.5 log 2
        #expect(sum.scalar == 2.0794415416798357)    // 3 log 2
    }

    @Test("weighted mean divides by the element count, not the weight sum")
    func weightedMeanDividesByCount() throws {
        let x = NDArray<Double>.of([2], [0.25, 0.5]), y = NDArray<Double>.of([2], [1, 0.5])
        let w = NDArray<Double>.of([2], [2, 0])
        #expect(try binaryCrossEntropy(x, y, weight: w).scalar == 1.3862943611198906)   // 2 log 4 / 2
    }

    @Test("each log is clamped at -100 separately: (0,1) → 100, (0,½) → 50, (1,0) → 100", arguments: [
        (0.0, 1.0, 100.0), (0.0, 0.5, 50.0), (1.0, 0.0, 100.0), (1.0, 0.5, 50.0), (0.0, 0.0, 0.0),
    ])
    func logClamp(x: Double, y: Double, expected: Double) throws {
        #expect(try binaryCrossEntropy(NDArray<Float16>.of([], [x]), .of([], [y])).scalar == Float16(expected))
        #expect(try binaryCrossEntropy(NDArray<Float>.of([], [x]), .of([], [y])).scalar == Float(expected))
        #expect(try binaryCrossEntropy(NDArray<Double>.of([], [x]), .of([], [y])).scalar == expected)
    }

    @Test("x = y = 1 gives -0.0 as PyTorch's (y - 1) * 0 - y * 0 does")
    func signedZeroAtOne() throws {
        let loss = try binaryCrossEntropy(NDArray<Double>.of([], [1]), .of([], [1]), reduction: .none)
        #expect(loss.scalar == 0 && loss.scalar?.sign == .minus)
    }

    @Test("a Float subnormal input hits the clamp: log(1e-45) ≈ -103.3 → 100")
    func subnormalInputClamps() throws {
        let x = NDArray(scalar: Float.leastNonzeroMagnitude)
        #expect(try binaryCrossEntropy(x, NDArray(scalar: 1)).scalar == 100)
    }

    @Test("Float rounds once: -log1p(-0.1f) is 0.105360515 (the Float nearest the exact value)")
    func floatRoundedOnce() throws {
        #expect(try binaryCrossEntropy(NDArray<Float>.of([], [0.1]), .of([], [0])).scalar == 0.105360515)
    }

    @Test("empty input: mean is NaN, sum is 0, none is empty with the input's shape")
    func emptyInput() throws {
        let x = try NDArray<Float>(shape: [0, 3], scalars: [])
        #expect(try binaryCrossEntropy(x, x).scalar?.isNaN == true)
        #expect(try binaryCrossEntropy(x, x, reduction: .sum).scalar == 0)
        let none = try binaryCrossEntropy(x, x, reduction: .none)
        #expect(none.shape == [0, 3] && none.count == 0)
    }

    @Test("0-d input and target give a 0-d loss for every reduction")
    func zeroDimensional() throws {
        for reduction in Reduction.allCases {
            let loss = try binaryCrossEntropy(NDArray<Double>(scalar: 0.25), NDArray(scalar: 1), reduction: reduction)
            #expect(loss.shape == [] && loss.scalar == 1.3862943611198906)
        }
    }

    @Test("the BCELoss module equals the functional form")
    func moduleMatchesFunctional() throws {
        let x = NDArray<Float>.of([2, 2], [0.1, 0.2, 0.7, 0.9]), y = NDArray<Float>.of([2, 2], [0, 1, 0.5, 1])
        let w = NDArray<Float>.of([2], [1, 3])
        for reduction in Reduction.allCases {
            let module = BCELoss(weight: w, reduction: reduction)
            #expect(try module(x, y) == binaryCrossEntropy(x, y, weight: w, reduction: reduction))
        }
        #expect(BCELoss<Float>().reduction == .mean)
    }
}

@Suite("BCELoss weight broadcasting")
struct BCEWeightBroadcastTests {
    let x = NDArray<Double>.of([2, 3], [0.1, 0.2, 0.3, 0.6, 0.7, 0.8])
    let y = NDArray<Double>.of([2, 3], [0, 1, 0.5, 1, 0, 0.25])

    @Test("weight (C,), (1, C) and (N, C) give the same answer")
    func weightShapesAgree() throws {
        let row: [Double] = [0.5, 2, 4]   // powers of two: scaling is exact
        let byC = try binaryCrossEntropy(x, y, weight: .of([3], row), reduction: .none)
        let by1C = try binaryCrossEntropy(x, y, weight: .of([1, 3], row), reduction: .none)
        let byNC = try binaryCrossEntropy(x, y, weight: .of([2, 3], row + row), reduction: .none)
        #expect(byC == by1C && by1C == byNC)
        let unweighted = try binaryCrossEntropy(x, y, reduction: .none).scalars
        #expect(byC.scalars == (0..<6).map { unweighted[$0] * row[$0 % 3] })
    }

    @Test("weights on empty inputs: (3,) and (1,) broadcast to (0, 3); (1,) broadcasts to (0,)")
    func weightsOnEmptyInputs() throws {
        let empty = try NDArray<Float>(shape: [0, 3], scalars: [])
        #expect(try binaryCrossEntropy(empty, empty, weight: .of([3], [1, 2, 3]), reduction: .sum).scalar == 0)
        #expect(try binaryCrossEntropy(empty, empty, weight: .of([1], [2]), reduction: .none).shape == [0, 3])
        let flat = try NDArray<Float>(shape: [0], scalars: [])
        #expect(try binaryCrossEntropyWithLogits(flat, flat, posWeight: .of([1], [2])).scalar?.isNaN == true)
    }

    @Test("weight (N, 1) scales rows; a 0-d weight scales everything")
    func rowAndScalarWeights() throws {
        let unweighted = try binaryCrossEntropy(x, y, reduction: .none).scalars
        let byRow = try binaryCrossEntropy(x, y, weight: .of([2, 1], [2, 4]), reduction: .none)
        #expect(byRow.scalars == (0..<6).map { unweighted[$0] * ($0 < 3 ? 2 : 4) })
        let byScalar = try binaryCrossEntropy(x, y, weight: NDArray(scalar: 8), reduction: .none)
        #expect(byScalar.scalars == unweighted.map { $0 * 8 })
    }
}
