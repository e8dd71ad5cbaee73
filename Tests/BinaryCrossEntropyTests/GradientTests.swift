import Testing
import BinaryCrossEntropy

@Suite("Gradients: hand-derived values and PyTorch's edge cases")
struct GradientValueTests {
    @Test("BCE at x = ¼, y = 1: d/dx = (¼ - 1)/(¾·¼) = -4, d/dy = log(¾) - log(¼) = log 3")
    func bceHandValues() throws {
        let x = NDArray<Double>.of([2], [0.25, 0.25]), y = NDArray<Double>.of([2], [1, 1])
        let sum = try binaryCrossEntropyBackward(x, y, reduction: .sum, gradOutput: NDArray(scalar: 1))
        #expect(sum.input.doubles == [-4, -4])
        #expect(sum.target.doubles == [1.0986122886681098, 1.0986122886681098])
        let mean = try binaryCrossEntropyBackward(x, y, reduction: .mean, gradOutput: NDArray(scalar: 3))
        #expect(mean.input.doubles == [-6, -6])                       // 3 · -4 / 2
        #expect(mean.target.doubles == [1.6479184330021646, 1.6479184330021646])   // 1.5 log 3, rounded once
        let none = try binaryCrossEntropyBackward(
            x, y, weight: .of([2], [1, 2]), reduction: .none, gradOutput: .of([2], [0.5, 1]))
        #expect(none.input.doubles == [-2, -8])
    }

    @Test("BCE at x = 0 or 1: ±1/Double(Float(1e-12)) in Double, ±Float(1e12) in Float, ±infinity in Float16 (EPSILON rounds to 0)")
    func bceGradientAtBoundary() throws {
        let gradOutput = { (n: Int) in (0..<n).map { _ in 1.0 } }
        let xs: [Double] = [0, 1, 0], ys: [Double] = [1, 0, 0]
        let double = try binaryCrossEntropyBackward(
            NDArray<Double>.of([3], xs), .of([3], ys), reduction: .none, gradOutput: .of([3], gradOutput(3)))
        // PyTorch's EPSILON is a float: torch 2.15 float64 gives -1000000003995.8029 (c26d1a94a3f379b1), not -1e12.
        #expect(double.input.doubles == [-1000000003995.8029, 1000000003995.8029, 0])
        let float = try binaryCrossEntropyBackward(
            NDArray<Float>.of([3], xs), .of([3], ys), reduction: .none, gradOutput: .of([3], gradOutput(3)))
        // 1 / Float(1e-12) = 1.0000000039958e12, whose nearest Float is Float(1e12) = 999999995904.
        #expect(float.input.scalars == [-1e12, 1e12, 0])
        let half = try binaryCrossEntropyBackward(
            NDArray<Float16>.of([3], xs), .of([3], ys), reduction: .none, gradOutput: .of([3], gradOutput(3)))
        #expect(half.input.scalars[0] == -.infinity && half.input.scalars[1] == .infinity)
        #expect(half.input.scalars[2].isNaN)   // 0 / 0, as in PyTorch
        #expect(Float16.bceGradientEpsilon == 0)
    }

    @Test("BCE d/dy is not clamped: +infinity at x = 0, -infinity at x = 1")
    func bceTargetGradientUnclamped() throws {
        let g = try binaryCrossEntropyBackward(
            NDArray<Float>.of([2], [0, 1]), .of([2], [0.5, 0.5]), reduction: .sum, gradOutput: NDArray(scalar: 1))
        #expect(g.target.scalars == [.infinity, -.infinity])
    }

    @Test("BCE with logits without pos_weight: d/dx = sigmoid(x) - y, d/dy = -x")
    func logitsHandValues() throws {
        let x = NDArray<Double>.of([3], [0, 0, 2]), y = NDArray<Double>.of([3], [1, 0.25, 0])
        let g = try binaryCrossEntropyWithLogitsBackward(x, y, reduction: .sum, gradOutput: NDArray(scalar: 2))
        // 2 · sigmoid(2) = 1.76159415595576488811..., whose nearest Double is 1.7615941559557649
        // (doubling the rounded sigmoid(2) = 0.8807970779778823 would give ...646: rounded twice).
        #expect(g.input.doubles == [-1, 0.5, 1.7615941559557649])
        #expect(g.target.doubles == [-0.0, -0.0, -4])
    }

    @Test("BCE with logits with pos_weight 3 at x = 0, y = 1: d/dx = -1.5, d/dy = -log 2 + 3 log 2")
    func logitsPosWeightHandValues() throws {
        let g = try binaryCrossEntropyWithLogitsBackward(
            NDArray<Double>(scalar: 0), NDArray(scalar: 1), posWeight: NDArray(scalar: 3),
            gradOutput: NDArray(scalar: 1))
        #expect(g.input.scalar == -1.5)
        #expect(g.target.scalar == 1.3862943611198906)
    }

    @Test("BCE with logits, x = ∓40.9 in Float: d/dx = ±1.7272493e-18, not PyTorch's 0 for y = 1")
    func logitsGradientWithoutCancellation() throws {
        let g = try binaryCrossEntropyWithLogitsBackward(
            NDArray<Float>.of([2], [-40.9, 40.9]), .of([2], [0, 1]), reduction: .sum, gradOutput: NDArray(scalar: 1))
        // sigmoid(-40.900001525878906) = 1.7272493084561313e-18.
        #expect(g.input.scalars == [Float(1.7272493084561313e-18), -Float(1.7272493084561313e-18)])
    }

    @Test("BCE with logits at infinite x: d/dx = 1 - y or -y, d/dy = ∓infinity")
    func logitsGradientAtInfinity() throws {
        let g = try binaryCrossEntropyWithLogitsBackward(
            NDArray<Float>.of([2], [.infinity, -.infinity]), .of([2], [0.25, 0.25]),
            reduction: .sum, gradOutput: NDArray(scalar: 1))
        #expect(g.input.scalars == [0.75, -0.25])
        #expect(g.target.scalars == [-.infinity, .infinity])
    }

    @Test("tiny logits are not absorbed: x = 1e-30, y = ½ gives d/dx = x/4; p = 1 gives d/dy = -x exactly")
    func tinyLogits() throws {
        let x = NDArray<Double>(scalar: 1e-30), y = NDArray<Double>(scalar: 0.5), one = NDArray<Double>(scalar: 1)
        let g = try binaryCrossEntropyWithLogitsBackward(x, y, posWeight: one, gradOutput: one)
        // sigmoid(x) - ½ = tanh(x/2)/2 = x/4 - x³/48 + ...: 2.5e-31 to Double precision.
        #expect(g.input.scalar == 2.5e-31)
        #expect(g.target.scalar == -1e-30)
        let plain = try binaryCrossEntropyWithLogitsBackward(x, y, gradOutput: one)
        #expect(plain.input.scalar == 2.5e-31 && plain.target.scalar == -1e-30)
    }

    @Test("BCE d/dy near x = ½ keeps relative accuracy: x = ½ + 2^-40 gives -logit(x) = -2^-38(1 + O(2^-80))")
    func bceTargetGradientNearHalf() throws {
        let x = 0.5 + 0x1p-40
        let g = try binaryCrossEntropyBackward(NDArray<Double>(scalar: x), NDArray(scalar: 0.5), gradOutput: NDArray(scalar: 1))
        // logit(½ + d) = log((1 + 2d)/(1 - 2d)) = 4d + (16/3)d³ + ...; with d = 2^-40 that is 2^-38 to 80 bits.
        #expect(g.target.scalar == -0x1p-38)
    }

    @Test("gradients of an empty input are empty arrays of its shape")
    func emptyGradients() throws {
        let x = try NDArray<Double>(shape: [0], scalars: [])
        let g = try binaryCrossEntropyBackward(x, x, gradOutput: NDArray(scalar: 1))
        #expect(g.input.shape == [0] && g.target.shape == [0])
    }

    @Test("the modules' gradients equal the functional backward")
    func moduleGradients() throws {
        let x = NDArray<Float>.of([2], [0.2, 0.7]), y = NDArray<Float>.of([2], [1, 0])
        let w = NDArray<Float>(scalar: 2), one = NDArray<Float>(scalar: 1)
        let bce = try BCELoss(weight: w).gradients(x, y, gradOutput: one)
        let bceF = try binaryCrossEntropyBackward(x, y, weight: w, gradOutput: one)
        #expect(bce.input == bceF.input && bce.target == bceF.target)
        let logits = try BCEWithLogitsLoss(posWeight: w, reduction: .sum).gradients(x, y, gradOutput: one)
        let logitsF = try binaryCrossEntropyWithLogitsBackward(x, y, posWeight: w, reduction: .sum, gradOutput: one)
        #expect(logits.input == logitsF.input && logits.target == logitsF.target)
    }
}

@Suite("Gradients against central finite differences (Double)")
struct FiniteDifferenceTests {
    /// Central difference of `f` at each coordinate of `point`, step h·max(1, |v|).
    static func numericGradient(_ point: [Double], h: Double = 1e-6, _ f: ([Double]) throws -> Double) rethrows -> [Double] {
        try point.indices.map { i in
            let step = h * max(1, abs(point[i]))
            var plus = point, minus = point
            plus[i] += step
            minus[i] -= step
            return (try f(plus) - f(minus)) / (plus[i] - minus[i])
        }
    }

    @Test("BCE: analytic d/dx and d/dy match finite differences for mean and sum", arguments: [Reduction.mean, .sum])
    func bce(reduction: Reduction) throws {
        var rng = SplitMix64(seed: 1)
        let x = (0..<12).map { _ in Double.random(in: 0.05...0.95, using: &rng) }
        let y = (0..<12).map { _ in Double.random(in: 0.01...0.99, using: &rng) }   // y ± step stays in range
        let w = NDArray<Double>.of([3, 1], [0.5, 1, 2])
        let shape = [3, 4]
        let g = try binaryCrossEntropyBackward(
            .of(shape, x), .of(shape, y), weight: w, reduction: reduction, gradOutput: NDArray(scalar: 1.5))
        func loss(_ x: [Double], _ y: [Double]) throws -> Double {
            1.5 * (try binaryCrossEntropy(.of(shape, x), .of(shape, y), weight: w, reduction: reduction).scalar ?? .nan)
        }
        #expect(close(g.input.doubles, try Self.numericGradient(x) { try loss($0, y) }, relative: 1e-6))
        #expect(close(g.target.doubles, try Self.numericGradient(y) { try loss(x, $0) }, relative: 1e-6))
    }

    @Test("BCE with logits: d/dx and d/dy match finite differences, with and without pos_weight",
          arguments: [Reduction.mean, .sum], [false, true])
    func logits(reduction: Reduction, withPosWeight: Bool) throws {
        var rng = SplitMix64(seed: 2)
        let x = (0..<12).map { _ in Double.random(in: -6...6, using: &rng) }
        let y = (0..<12).map { _ in Double.random(in: -0.5...1.5, using: &rng) }
        let shape = [2, 6]
        let w = NDArray<Double>.of([6], [1, 2, 0.5, 3, 1, 0.25])
        let p: NDArray<Double>? = withPosWeight ? .of([2, 1], [2.5, 0.3]) : nil
        let g = try binaryCrossEntropyWithLogitsBackward(
            .of(shape, x), .of(shape, y), weight: w, posWeight: p, reduction: reduction, gradOutput: NDArray(scalar: 0.75))
        func loss(_ x: [Double], _ y: [Double]) throws -> Double {
            0.75 * (try binaryCrossEntropyWithLogits(
                .of(shape, x), .of(shape, y), weight: w, posWeight: p, reduction: reduction).scalar ?? .nan)
        }
        #expect(close(g.input.doubles, try Self.numericGradient(x) { try loss($0, y) }, relative: 1e-6))
        #expect(close(g.target.doubles, try Self.numericGradient(y) { try loss(x, $0) }, relative: 1e-6))
    }

    @Test("reduction none: the gradient is the elementwise derivative times grad_output")
    func noneReduction() throws {
        let x = NDArray<Double>.of([3], [0.2, 0.5, 0.9]), y = NDArray<Double>.of([3], [0, 1, 0.3])
        let upstream: [Double] = [1, -2, 0.5]
        let g = try binaryCrossEntropyBackward(x, y, reduction: .none, gradOutput: .of([3], upstream))
        let numeric = try (0..<3).map { i -> Double in
            try Self.numericGradient([x.scalars[i]]) {
                try binaryCrossEntropy(.of([], $0), .of([], [y.scalars[i]])).scalar ?? .nan
            }[0] * upstream[i]
        }
        #expect(close(g.input.doubles, numeric, relative: 1e-6))
    }
}
