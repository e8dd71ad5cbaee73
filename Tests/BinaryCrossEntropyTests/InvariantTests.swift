import Foundation
import Testing
import BinaryCrossEntropy

// Invariants PyTorch's own test suite checks (test/test_nn.py and common_nn.py).

@Suite("Invariants")
struct InvariantTests {
    static func randomProbabilities<S: BCEScalar>(_ n: Int, _ rng: inout SplitMix64) -> [S] {
        (0..<n).map { i in
            switch i % 5 {
            case 0: 0
            case 1: 1
            default: S(Double.random(in: 0...1, using: &rng))
            }
        }
    }

    static func lossNeverNegative<S: BCEScalar>(_: S.Type) throws {
        var rng = SplitMix64(seed: 3)
        let n = 4000
        let x = NDArray<S>(randomProbabilities(n, &rng)), y = NDArray<S>(randomProbabilities(n, &rng))
        #expect(try binaryCrossEntropy(x, y, reduction: .none).scalars.allSatisfy { $0 >= 0 })
        let logits = NDArray<S>((0..<n).map { _ in S(Double.random(in: -30...30, using: &rng)) })
        let p = NDArray<S>((0..<n).map { _ in S(Double.random(in: 0...4, using: &rng)) })
        #expect(try binaryCrossEntropyWithLogits(logits, y, posWeight: p, reduction: .none).scalars.allSatisfy { $0 >= 0 })
    }

    @Test("the loss is never negative for targets in [0, 1] (and pos_weight ≥ 0)")
    func nonNegative() throws {
        try Self.lossNeverNegative(Float16.self)
        try Self.lossNeverNegative(Float.self)
        try Self.lossNeverNegative(Double.self)
    }

    @Test("BCEWithLogits(x) matches BCE(sigmoid(x)) where sigmoid(x) is well inside (0, 1)")
    func logitsMatchProbabilities() throws {
        var rng = SplitMix64(seed: 4)
        let logits = (0..<500).map { _ in Double.random(in: -8...8, using: &rng) }
        let targets = (0..<500).map { _ in Double.random(in: 0...1, using: &rng) }
        let sigmoid = logits.map { 1 / (1 + exp(-$0)) }
        let viaLogits = try binaryCrossEntropyWithLogits(NDArray(logits), NDArray(targets), reduction: .none)
        let viaProbabilities = try binaryCrossEntropy(NDArray(sigmoid), NDArray(targets), reduction: .none)
        #expect(close(viaLogits.doubles, viaProbabilities.doubles, relative: 1e-9))   // sigmoid rounded to Double first: up to ~1e-16 / (1 - sigmoid) relative
    }

    @Test("a pos_weight of ones equals no pos_weight, loss and input gradient")
    func posWeightOfOnes() throws {
        var rng = SplitMix64(seed: 5)
        let x = NDArray<Float>((0..<300).map { _ in Float.random(in: -20...20, using: &rng) })
        let y = NDArray<Float>((0..<300).map { _ in Float.random(in: 0...1, using: &rng) })
        let ones = NDArray<Float>(Array(repeating: 1, count: 300))
        #expect(try binaryCrossEntropyWithLogits(x, y, posWeight: ones, reduction: .none)
            == binaryCrossEntropyWithLogits(x, y, reduction: .none))
        let one = NDArray<Float>(scalar: 1)
        #expect(try binaryCrossEntropyWithLogitsBackward(x, y, posWeight: ones, gradOutput: one).input
            == binaryCrossEntropyWithLogitsBackward(x, y, gradOutput: one).input)
    }

    @Test("weight (C,), (1, C) and (N, C) give the same loss and gradients, every reduction")
    func weightBroadcastForms() throws {
        var rng = SplitMix64(seed: 6)
        let n = 7, c = 5
        let x = NDArray<Double>.of([n, c], (0..<n * c).map { _ in Double.random(in: 0...1, using: &rng) })
        let y = NDArray<Double>.of([n, c], (0..<n * c).map { _ in Double.random(in: 0...1, using: &rng) })
        let row = (0..<c).map { _ in Double.random(in: 0...3, using: &rng) }
        let weights: [NDArray<Double>] = [.of([c], row), .of([1, c], row), .of([n, c], Array((0..<n).map { _ in row }.joined()))]
        for reduction in Reduction.allCases {
            let losses = try weights.map { try binaryCrossEntropy(x, y, weight: $0, reduction: reduction) }
            #expect(losses.allSatisfy { $0 == losses[0] })
            let grad = reduction == .none ? NDArray<Double>.of([n, c], Array(repeating: 1, count: n * c)) : NDArray(scalar: 1)
            let gradients = try weights.map {
                try binaryCrossEntropyWithLogitsBackward(x, y, weight: $0, posWeight: $0, reduction: reduction, gradOutput: grad)
            }
            #expect(gradients.allSatisfy { $0.input == gradients[0].input && $0.target == gradients[0].target })
        }
    }

    @Test("mean equals sum / count for the same inputs (in the wide type, so bit-equal up to one rounding)")
    func meanIsSumOverCount() throws {
        let x = NDArray<Double>((0..<1000).map { Double($0) / 1000 }), y = NDArray<Double>((0..<1000).map { Double($0 % 2) })
        let mean = try binaryCrossEntropy(x, y).scalar ?? .nan
        let sum = try binaryCrossEntropy(x, y, reduction: .sum).scalar ?? .nan
        #expect(close(mean, sum / 1000, relative: 2e-16))
    }
}
