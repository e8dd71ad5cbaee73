import Testing
import BinaryCrossEntropy

/// `#expect(throws:)` with an exact typed error: checks the case and its payload.
func expectError<R>(_ expected: BCEError, sourceLocation: SourceLocation = #_sourceLocation,
                    _ body: () throws(BCEError) -> R) {
    do {
        _ = try body()
        Issue.record("expected \(expected), got a result", sourceLocation: sourceLocation)
    } catch {
        #expect(error == expected, sourceLocation: sourceLocation)
    }
}

@Suite("Errors: every case, with its payload")
struct ErrorTests {
    let x = NDArray<Float>.of([2, 3], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])

    @Test("input and target of different shapes: shapeMismatch with both shapes, for both losses")
    func shapeMismatch() {
        let y = NDArray<Float>.of([3, 2], [0, 0, 0, 0, 0, 0])
        expectError(.shapeMismatch(input: [2, 3], target: [3, 2])) { () throws(BCEError) in try binaryCrossEntropy(x, y) }
        expectError(.shapeMismatch(input: [2, 3], target: [3, 2])) { () throws(BCEError) in try binaryCrossEntropyWithLogits(x, y) }
        expectError(.shapeMismatch(input: [2, 3], target: [6])) { () throws(BCEError) in
            try binaryCrossEntropyBackward(x, NDArray<Float>.of([6], [0, 0, 0, 0, 0, 0]), gradOutput: NDArray(scalar: 1))
        }
    }

    @Test("BCE input outside [0, 1]: first bad flat index and its value; NaN and infinity fail too",
          arguments: [(1.5, 4), (-0.25, 0), (Double.nan, 5), (Double.infinity, 2)])
    func inputOutOfRange(bad: Double, index: Int) {
        var values: [Double] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
        values[index] = bad
        let input = NDArray<Double>.of([2, 3], values)
        expectError(.inputOutOfRange(index: index, value: bad)) { () throws(BCEError) in
            try binaryCrossEntropy(input, NDArray.of([2, 3], [0, 0, 0, 0, 0, 0]), reduction: .sum)
        }
        expectError(.inputOutOfRange(index: index, value: bad)) { () throws(BCEError) in
            try binaryCrossEntropy(input, NDArray.of([2, 3], [0, 0, 0, 0, 0, 0]), reduction: .none)
        }
        expectError(.inputOutOfRange(index: index, value: bad)) { () throws(BCEError) in
            try binaryCrossEntropyBackward(input, NDArray.of([2, 3], [0, 0, 0, 0, 0, 0]), gradOutput: NDArray(scalar: 1))
        }
    }

    @Test("BCE target outside [0, 1]: targetOutOfRange with index and value (Float16 value widened exactly)")
    func targetOutOfRange() {
        let y = NDArray<Float16>.of([3], [0, 1, -0.5])
        expectError(.targetOutOfRange(index: 2, value: -0.5)) { () throws(BCEError) in
            try binaryCrossEntropy(NDArray<Float16>.of([3], [0.5, 0.5, 0.5]), y)
        }
        let nanTarget = NDArray<Float16>.of([1], [.nan])
        expectError(.targetOutOfRange(index: 0, value: .nan)) { () throws(BCEError) in
            try binaryCrossEntropy(nanTarget.map0to(0.5), nanTarget)
        }
    }

    @Test("ranges are checked by ascending index, input before target at the same index")
    func rangeCheckOrder() {
        let input = NDArray<Double>.of([3], [0.5, 2, 3]), target = NDArray<Double>.of([3], [-1, 0.5, 0.5])
        expectError(.targetOutOfRange(index: 0, value: -1)) { () throws(BCEError) in try binaryCrossEntropy(input, target) }
        let both = NDArray<Double>.of([1], [7])
        expectError(.inputOutOfRange(index: 0, value: 7)) { () throws(BCEError) in try binaryCrossEntropy(both, both) }
    }

    @Test("BCE with logits never range-checks targets or inputs")
    func logitsAcceptAnyTarget() throws {
        _ = try binaryCrossEntropyWithLogits(NDArray<Float>.of([2], [5, -5]), .of([2], [-3, 42]))
    }

    @Test("weight that would enlarge the output or does not line up: notBroadcastable(\"weight\")",
          arguments: [[3, 2], [1, 2, 3], [2], [4, 1]])
    func weightNotBroadcastable(shape: [Int]) {
        let w = NDArray<Float>.of(shape, Array(repeating: 1, count: shape.reduce(1, *)))
        let input = shape == [3, 2] ? NDArray<Float>.of([2], [0.5, 0.5]) : x
        expectError(.notBroadcastable(argument: "weight", shape: shape, to: input.shape)) { () throws(BCEError) in
            try binaryCrossEntropy(input, input, weight: w)
        }
        expectError(.notBroadcastable(argument: "weight", shape: shape, to: input.shape)) { () throws(BCEError) in
            try binaryCrossEntropyWithLogits(input, input, weight: w)
        }
    }

    @Test("a (1,) weight on a 0-d input enlarges it: not broadcastable")
    func weightEnlargesScalar() {
        expectError(.notBroadcastable(argument: "weight", shape: [1], to: [])) { () throws(BCEError) in
            try binaryCrossEntropy(NDArray<Double>(scalar: 0.5), NDArray(scalar: 0.5), weight: .of([1], [2]))
        }
    }

    @Test("pos_weight not broadcastable: notBroadcastable(\"pos_weight\"), checked after weight")
    func posWeightNotBroadcastable() {
        let p = NDArray<Float>.of([2], [1, 1])
        expectError(.notBroadcastable(argument: "pos_weight", shape: [2], to: [2, 3])) { () throws(BCEError) in
            try binaryCrossEntropyWithLogits(x, x, posWeight: p)
        }
        expectError(.notBroadcastable(argument: "weight", shape: [2], to: [2, 3])) { () throws(BCEError) in
            try binaryCrossEntropyWithLogits(x, x, weight: p, posWeight: p)
        }
    }

    @Test("grad_output: one element for mean/sum, exactly the input's shape for none")
    func gradOutputShape() throws {
        expectError(.notBroadcastable(argument: "grad_output", shape: [2], to: [])) { () throws(BCEError) in
            try binaryCrossEntropyBackward(x, x, reduction: .mean, gradOutput: .of([2], [1, 1]))
        }
        expectError(.notBroadcastable(argument: "grad_output", shape: [], to: [2, 3])) { () throws(BCEError) in
            try binaryCrossEntropyWithLogitsBackward(x, x, reduction: .none, gradOutput: NDArray(scalar: 1))
        }
        expectError(.notBroadcastable(argument: "grad_output", shape: [3], to: [2, 3])) { () throws(BCEError) in
            try binaryCrossEntropyWithLogitsBackward(x, x, reduction: .none, gradOutput: .of([3], [1, 1, 1]))
        }
        // Any one-element shape is accepted for mean and sum.
        _ = try binaryCrossEntropyBackward(x, x, reduction: .sum, gradOutput: .of([1, 1], [1]))
    }

    @Test("check order: shape before weight before pos_weight before grad_output before ranges")
    func checkOrder() {
        let bad = NDArray<Float>.of([2], [5, 5]), wrongShape = NDArray<Float>.of([3], [0, 0, 0])
        expectError(.shapeMismatch(input: [2], target: [3])) { () throws(BCEError) in
            try binaryCrossEntropyWithLogitsBackward(bad, wrongShape, weight: wrongShape, posWeight: wrongShape,
                                                     gradOutput: wrongShape)
        }
        expectError(.notBroadcastable(argument: "pos_weight", shape: [3], to: [2])) { () throws(BCEError) in
            try binaryCrossEntropyWithLogitsBackward(bad, bad, posWeight: wrongShape, gradOutput: wrongShape)
        }
        expectError(.notBroadcastable(argument: "grad_output", shape: [3], to: [])) { () throws(BCEError) in
            try binaryCrossEntropyBackward(bad, bad, gradOutput: wrongShape)
        }
    }

    @Test("NDArray: negative dimension, count mismatch, Int overflow all throw invalidShape")
    func invalidShapes() {
        expectError(.invalidShape(shape: [2, -1], count: 0)) { () throws(BCEError) in try NDArray<Float>(shape: [2, -1], scalars: []) }
        expectError(.invalidShape(shape: [2, 2], count: 3)) { () throws(BCEError) in try NDArray<Float>(shape: [2, 2], scalars: [1, 2, 3]) }
        expectError(.invalidShape(shape: [Int.max, 2], count: 0)) { () throws(BCEError) in try NDArray<Float>(shape: [Int.max, 2], scalars: []) }
        expectError(.invalidShape(shape: [1 << 32, 1 << 32], count: -1)) { () throws(BCEError) in
            try NDArray<Double>(shape: [1 << 32, 1 << 32], repeating: 0)
        }
        // The count fits in Int but its size in bytes does not: Array would trap, we throw.
        expectError(.invalidShape(shape: [Int.max / 4], count: -1)) { () throws(BCEError) in
            try NDArray<Double>(shape: [Int.max / 4], repeating: 0)
        }
    }

    @Test("an NDArray whose scalars were edited to the wrong count is rejected, not trapped on")
    func driftedScalarCount() {
        var input = NDArray<Float>.of([2], [0.5, 0.5])
        input.scalars.append(0.5)
        expectError(.invalidShape(shape: [2], count: 3)) { () throws(BCEError) in try binaryCrossEntropy(input, input) }
        var weight = NDArray<Float>.of([2], [1, 1])
        weight.scalars.removeAll()
        let ok = NDArray<Float>.of([2], [0.5, 0.5])
        expectError(.invalidShape(shape: [2], count: 0)) { () throws(BCEError) in
            try binaryCrossEntropyWithLogits(ok, ok, posWeight: weight)
        }
    }

    @Test("kinds and descriptions name the golden-file kinds and PyTorch's messages")
    func kindsAndDescriptions() {
        #expect(BCEError.shapeMismatch(input: [1], target: [2]).kind.rawValue == "shape_mismatch")
        #expect(BCEError.inputOutOfRange(index: 0, value: 2).kind.rawValue == "input_out_of_range")
        #expect(BCEError.targetOutOfRange(index: 0, value: 2).kind.rawValue == "target_out_of_range")
        #expect(BCEError.notBroadcastable(argument: "weight", shape: [], to: []).kind.rawValue == "not_broadcastable")
        #expect(BCEError.invalidShape(shape: [], count: 2).kind.rawValue == "invalid_shape")
        #expect(BCEError.inputOutOfRange(index: 3, value: 2).description.contains("all elements of input should be between 0 and 1"))
        #expect(BCEError.targetOutOfRange(index: 3, value: 2).description.contains("all elements of target should be between 0 and 1"))
        #expect(BCEError.inputOutOfRange(index: 1, value: .nan) == .inputOutOfRange(index: 1, value: .nan))
        #expect(BCEError.inputOutOfRange(index: 1, value: 2) != .targetOutOfRange(index: 1, value: 2))
    }
}

private extension NDArray {
    /// The same shape, every element `value`.
    func map0to(_ value: Scalar) -> NDArray { (try? NDArray(shape: shape, repeating: value))! }
}
