import Testing
import BinaryCrossEntropy

// The span functions (SpanAPI.swift) against the NDArray API: the same bits for every entry point,
// and the errors a span caller can make (counts that do not match the shapes), named as for arrays.

/// Every span call of one loss, element type and weighting, compared with the NDArray API; the
/// failures' descriptions (empty when all agree).
private func compareSpansWithNDArray<S: BCEScalar>(
    _: S.Type, logits: Bool, weighted: Bool, posWeighted: Bool, soft: Bool, rows: Int
) throws -> [String] {
    var rng = SplitMix64(seed: 43)
    let shape = [rows, 4, 3], n = rows * 12
    // weight per channel (4, 1): one value per row of each (4, 3) matrix; pos_weight per class (3,).
    let weightShape = [4, 1], posWeightShape = [3]
    let input = (0..<n).map { _ in S(logits ? Double.random(in: -8...8, using: &rng) : Double.random(in: 0.001...0.999, using: &rng)) }
    let target = (0..<n).map { _ in S(soft ? Double.random(in: 0...1, using: &rng) : Double(Int.random(in: 0...1, using: &rng))) }
    let weight = (0..<4).map { _ in S(Double.random(in: 0.5...2, using: &rng)) }
    let posWeight = (0..<3).map { _ in S(Double.random(in: 0.5...4, using: &rng)) }
    let gradOutput = (0..<n).map { _ in S(Double.random(in: -1...1, using: &rng)) }
    let x = try NDArray(shape: shape, scalars: input), y = try NDArray(shape: shape, scalars: target)
    let w = weighted ? try NDArray(shape: weightShape, scalars: weight) : nil
    let p = posWeighted ? try NDArray(shape: posWeightShape, scalars: posWeight) : nil
    let ws = weighted ? weight.span : nil, ps = posWeighted ? posWeight.span : nil
    let label = "\(S.self) logits=\(logits) weight=\(weighted) posWeight=\(posWeighted) soft=\(soft)"
    var failures: [String] = []
    func check(_ got: [S], _ expected: [S], _ what: String) {
        if bitPatterns(got) != bitPatterns(expected) { failures.append("\(label): \(what)") }
    }

    for reduction in ScalarReduction.allCases {
        let expected = logits
            ? try binaryCrossEntropyWithLogits(x, y, weight: w, posWeight: p, reduction: reduction.reduction).scalar!
            : try binaryCrossEntropy(x, y, weight: w, reduction: reduction.reduction).scalar!
        let value = logits
            ? try binaryCrossEntropyWithLogits(input.span, target.span, shape: shape, weight: ws, weightShape: weightShape,
                                               posWeight: ps, posWeightShape: posWeightShape, reduction: reduction)
            : try binaryCrossEntropy(input.span, target.span, shape: shape, weight: ws, weightShape: weightShape, reduction: reduction)
        check([value], [expected], "\(reduction)")

        let expectedGradients = logits
            ? try binaryCrossEntropyWithLogitsBackward(x, y, weight: w, posWeight: p, reduction: reduction.reduction, gradOutput: NDArray(scalar: S(0.5)))
            : try binaryCrossEntropyBackward(x, y, weight: w, reduction: reduction.reduction, gradOutput: NDArray(scalar: S(0.5)))
        // Fused, with and without d/dtarget.
        var dx = [S](repeating: 0, count: n), dy = [S](repeating: 0, count: n), dxAlone = [S](repeating: 0, count: n)
        do {
            var dxs = dx.mutableSpan
            var dys: MutableSpan<S>? = dy.mutableSpan
            let fused = logits
                ? try binaryCrossEntropyWithLogitsAndGradients(
                    input.span, target.span, shape: shape, weight: ws, weightShape: weightShape, posWeight: ps,
                    posWeightShape: posWeightShape, reduction: reduction, gradOutput: 0.5, inputGradient: &dxs, targetGradient: &dys)
                : try binaryCrossEntropyAndGradients(
                    input.span, target.span, shape: shape, weight: ws, weightShape: weightShape, reduction: reduction,
                    gradOutput: 0.5, inputGradient: &dxs, targetGradient: &dys)
            check([fused], [expected], "fused \(reduction): loss")
        }
        check(dx, expectedGradients.input.scalars, "fused \(reduction): d/dinput")
        check(dy, expectedGradients.target.scalars, "fused \(reduction): d/dtarget")
        do {
            var dxs = dxAlone.mutableSpan
            let fused = logits
                ? try binaryCrossEntropyWithLogitsAndGradients(
                    input.span, target.span, shape: shape, weight: ws, weightShape: weightShape, posWeight: ps,
                    posWeightShape: posWeightShape, reduction: reduction, gradOutput: 0.5, inputGradient: &dxs)
                : try binaryCrossEntropyAndGradients(
                    input.span, target.span, shape: shape, weight: ws, weightShape: weightShape, reduction: reduction,
                    gradOutput: 0.5, inputGradient: &dxs)
            check([fused], [expected], "fused without d/dtarget \(reduction): loss")
        }
        check(dxAlone, expectedGradients.input.scalars, "fused without d/dtarget \(reduction): d/dinput")
        // Backward of a 0-d grad_output (its shape left to the default), without d/dtarget.
        var dxBackward = [S](repeating: 0, count: n)
        let half: [S] = [0.5]
        do {
            var dxs = dxBackward.mutableSpan
            if logits {
                try binaryCrossEntropyWithLogitsBackward(
                    input.span, target.span, shape: shape, weight: ws, weightShape: weightShape, posWeight: ps,
                    posWeightShape: posWeightShape, reduction: reduction.reduction, gradOutput: half.span, inputGradient: &dxs)
            } else {
                try binaryCrossEntropyBackward(
                    input.span, target.span, shape: shape, weight: ws, weightShape: weightShape,
                    reduction: reduction.reduction, gradOutput: half.span, inputGradient: &dxs)
            }
        }
        check(dxBackward, expectedGradients.input.scalars, "backward \(reduction): d/dinput")
    }

    // .none: the elementwise losses, and the gradients of a per-element grad_output.
    let expectedNone = logits
        ? try binaryCrossEntropyWithLogits(x, y, weight: w, posWeight: p, reduction: .none)
        : try binaryCrossEntropy(x, y, weight: w, reduction: .none)
    var output = [S](repeating: 0, count: n)
    do {
        var os = output.mutableSpan
        if logits {
            try binaryCrossEntropyWithLogits(input.span, target.span, shape: shape, weight: ws, weightShape: weightShape,
                                             posWeight: ps, posWeightShape: posWeightShape, into: &os)
        } else {
            try binaryCrossEntropy(input.span, target.span, shape: shape, weight: ws, weightShape: weightShape, into: &os)
        }
    }
    check(output, expectedNone.scalars, "none: elementwise losses")
    let g = try NDArray(shape: shape, scalars: gradOutput)
    let expectedNoneGradients = logits
        ? try binaryCrossEntropyWithLogitsBackward(x, y, weight: w, posWeight: p, reduction: .none, gradOutput: g)
        : try binaryCrossEntropyBackward(x, y, weight: w, reduction: .none, gradOutput: g)
    var dx = [S](repeating: 0, count: n), dy = [S](repeating: 0, count: n)
    do {
        var dxs = dx.mutableSpan
        var dys: MutableSpan<S>? = dy.mutableSpan
        if logits {
            try binaryCrossEntropyWithLogitsBackward(
                input.span, target.span, shape: shape, weight: ws, weightShape: weightShape, posWeight: ps,
                posWeightShape: posWeightShape, reduction: .none, gradOutput: gradOutput.span, inputGradient: &dxs,
                targetGradient: &dys)
        } else {
            try binaryCrossEntropyBackward(
                input.span, target.span, shape: shape, weight: ws, weightShape: weightShape, reduction: .none,
                gradOutput: gradOutput.span, inputGradient: &dxs, targetGradient: &dys)
        }
    }
    check(dx, expectedNoneGradients.input.scalars, "none: d/dinput")
    check(dy, expectedNoneGradients.target.scalars, "none: d/dtarget")
    return failures
}

@Suite("Span API")
struct SpanAPITests {
    @Test("every span call (mean, sum, none, backward and fused, each with and without d/dtarget) gives the NDArray API's bits: both losses, four dtypes, a per-channel weight and a per-class pos_weight, hard and soft targets")
    func sameBitsAsNDArray() throws {
        var failures: [String] = []
        func all<S: BCEScalar>(_ type: S.Type) throws {
            for logits in [false, true] {
                for (weighted, posWeighted) in [(false, false), (true, false), (false, true), (true, true)] where logits || !posWeighted {
                    for soft in [false, true] {
                        // 700 rows of 12: several blocks and a tail of both group widths.
                        failures += try compareSpansWithNDArray(
                            type, logits: logits, weighted: weighted, posWeighted: posWeighted, soft: soft, rows: 700)
                    }
                }
            }
        }
        try all(Float.self)
        try all(Double.self)
        try all(BrainFloat16.self)
        #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
        try all(Float16.self)
        #endif
        #expect(failures.isEmpty, "\(failures.count) disagreements, first: \(failures.prefix(5))")
    }

    @Test("span callers' mistakes are named as for arrays: a target or grad_output of another count, an input that does not fill its shape, a wrong-sized output, an omitted weight shape read as 1-d")
    func errors() throws {
        let x: [Float] = [0.5, 0.25, 0.25, 0.75], y: [Float] = [1, 0, 1, 0], three: [Float] = [1, 0, 1]
        // The target is read with the input's shape; another count is a shape mismatch with it as 1-d.
        #expect(throws: BCEError.shapeMismatch(input: [2, 2], target: [3])) {
            try binaryCrossEntropy(x.span, three.span, shape: [2, 2])
        }
        // An input that does not hold its shape's elements: as an inconsistent view.
        #expect(throws: BCEError.invalidShape(shape: [3], count: 4)) { try binaryCrossEntropy(x.span, y.span, shape: [3]) }
        // weightShape omitted: 1-d, so a (4,) weight does not broadcast to (2, 2); given as (2, 2) it does.
        #expect(throws: BCEError.notBroadcastable(argument: "weight", shape: [4], to: [2, 2])) {
            try binaryCrossEntropy(x.span, y.span, shape: [2, 2], weight: x.span)
        }
        let weighted = try binaryCrossEntropy(x.span, y.span, shape: [2, 2], weight: x.span, weightShape: [2, 2], reduction: .sum)
        let expected = try binaryCrossEntropy(
            NDArray(shape: [2, 2], scalars: x), NDArray(shape: [2, 2], scalars: y), weight: NDArray(shape: [2, 2], scalars: x),
            reduction: .sum).scalar!
        #expect(weighted.bitPattern == expected.bitPattern)
        // grad_output: 0-d by default for a reduction, so four elements do not fit; the input's
        // shape by default for .none, so three do not.
        var dx = [Float](repeating: 0, count: 4), small = [Float](repeating: 0, count: 3)
        var dxs = dx.mutableSpan
        #expect(throws: BCEError.notBroadcastable(argument: "grad_output", shape: [4], to: [])) {
            try binaryCrossEntropyWithLogitsBackward(x.span, y.span, shape: [2, 2], reduction: .mean, gradOutput: x.span, inputGradient: &dxs)
        }
        #expect(throws: BCEError.notBroadcastable(argument: "grad_output", shape: [3], to: [2, 2])) {
            try binaryCrossEntropyWithLogitsBackward(x.span, y.span, shape: [2, 2], reduction: .none, gradOutput: three.span, inputGradient: &dxs)
        }
        // A wrong-sized output buffer, before the range checks (y's 2 would be out of range).
        let outOfRange: [Float] = [1, 0, 2, 0]
        var smalls = small.mutableSpan
        #expect(throws: BCEError.notBroadcastable(argument: "output", shape: [3], to: [2, 2])) {
            try binaryCrossEntropy(x.span, outOfRange.span, shape: [2, 2], into: &smalls)
        }
        #expect(throws: BCEError.notBroadcastable(argument: "input_gradient", shape: [3], to: [2, 2])) {
            _ = try binaryCrossEntropyWithLogitsAndGradients(x.span, y.span, shape: [2, 2], inputGradient: &smalls)
        }
        #expect(throws: BCEError.targetOutOfRange(index: 2, value: 2)) {
            try binaryCrossEntropy(x.span, outOfRange.span, shape: [2, 2], into: &dxs)
        }
    }
}
