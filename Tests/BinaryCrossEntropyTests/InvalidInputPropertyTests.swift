import Testing
import BinaryCrossEntropy

/// Random arguments, mostly invalid, through the public API: nothing traps, and each call throws
/// exactly the error an independent oracle of the documented check order predicts
/// (docs/CONTRACTS.md section 1; ``BCEError``): array consistency (input, target, weight,
/// pos_weight, grad_output), input vs target shape, weight broadcast, pos_weight broadcast,
/// grad_output shape, then (BCE only) the ranges by ascending flat index, input before target.
@Suite("Random invalid inputs: the documented error, never a trap")
struct InvalidInputPropertyTests {
    static let iterations = 20_000

    @Test("Float16", arguments: [UInt64(16)]) func float16(seed: UInt64) { check(Float16.self, seed: seed) }
    @Test("Float", arguments: [UInt64(32)]) func float32(seed: UInt64) { check(Float.self, seed: seed) }
    @Test("Double", arguments: [UInt64(64)]) func float64(seed: UInt64) { check(Double.self, seed: seed) }

    @Test("NDArray: random shapes, negative, overflowing or of the wrong count, throw invalidShape")
    func arrayConstruction() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<Self.iterations {
            let shape = (0..<Int.random(in: 0...4, using: &rng)).map { _ in Self.extent(&rng) }
            let count = Int.random(in: 0...8, using: &rng)
            let expected = Oracle.elementCount(shape)
            do {
                let a = try NDArray<Float>(shape: shape, scalars: Array(repeating: 0.5, count: count))
                #expect(expected == count && a.count == count, "\(shape) with \(count) scalars was accepted")
            } catch {
                #expect(error == .invalidShape(shape: shape, count: count))
                #expect(expected != count, "\(shape) with \(count) scalars was rejected")
            }
            // Where Array(repeating:count:) would trap on the size, it must throw.
            if expected.map({ $0.multipliedReportingOverflow(by: MemoryLayout<Float>.stride).overflow }) ?? true {
                #expect(throws: BCEError.self) { try NDArray<Float>(shape: shape, repeating: 0) }
            }
        }
    }

    /// A dimension: mostly 0 to 3, sometimes negative or huge (the product may overflow).
    static func extent(_ rng: inout SplitMix64) -> Int {
        switch Int.random(in: 0..<20, using: &rng) {
        case 0: -Int.random(in: 1...3, using: &rng)
        case 1: Int.random(in: 1 << 31 ... 1 << 62, using: &rng)
        default: Int.random(in: 0...3, using: &rng)
        }
    }

    func check<S: BCEScalar>(_: S.Type, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var thrown = [BCEErrorKind: Int](), succeeded = 0
        for iteration in 0..<Self.iterations {
            let call = RandomCall<S>(&rng)
            let expected = call.oracle()
            do {
                let shapes = try call.run()
                if let expected {
                    Issue.record("iteration \(iteration): \(call) returned, expected \(expected)")
                } else {
                    #expect(shapes == call.resultShapes, "iteration \(iteration): \(call)")
                }
                succeeded += 1
            } catch {
                #expect(error == expected, "iteration \(iteration): \(call)")
                thrown[error.kind, default: 0] += 1
            }
        }
        // The generator reaches every kind, and valid calls too.
        #expect(thrown.keys.count == BCEErrorKind.allCases.count, "\(thrown)")
        #expect(succeeded > Self.iterations / 20, "only \(succeeded) valid calls")
    }
}

/// One random call of the public API: a loss (as a function or a module), forward or gradients.
struct RandomCall<S: BCEScalar>: CustomStringConvertible {
    var logits: Bool
    var backward: Bool
    var module: Bool
    var reduction: Reduction
    var input: NDArray<S>
    var target: NDArray<S>
    var weight: NDArray<S>?
    var posWeight: NDArray<S>?
    var gradOutput: NDArray<S>?

    var description: String {
        "\(logits ? "logits" : "bce") \(backward ? "backward" : "forward") \(reduction) input \(input.shape)/\(input.count) "
            + "target \(target.shape)/\(target.count) weight \(weight.map { "\($0.shape)/\($0.count)" } ?? "-") "
            + "pos_weight \(posWeight.map { "\($0.shape)/\($0.count)" } ?? "-") grad \(gradOutput.map { "\($0.shape)/\($0.count)" } ?? "-")"
    }

    init(_ rng: inout SplitMix64) {
        logits = Bool.random(using: &rng)
        backward = Bool.random(using: &rng)
        module = Bool.random(using: &rng)
        reduction = Reduction.allCases.randomElement(using: &rng)!
        let shape = Self.shape(&rng)
        input = Self.array(shape, &rng)
        target = Self.array(Int.random(in: 0..<8, using: &rng) == 0 ? Self.shape(&rng) : shape, &rng)
        if Bool.random(using: &rng) { weight = Self.array(Self.operandShape(for: shape, &rng), &rng) }
        if logits && Bool.random(using: &rng) { posWeight = Self.array(Self.operandShape(for: shape, &rng), &rng) }
        if backward {
            let gradShape: [Int]
            switch (reduction, Int.random(in: 0..<6, using: &rng)) {
            case (_, 0): gradShape = Self.shape(&rng)
            case (.none, _): gradShape = shape
            case (_, 1): gradShape = [1]
            case (_, 2): gradShape = [1, 1]
            default: gradShape = []
            }
            gradOutput = Self.array(gradShape, &rng)
        }
        // Now and then an array whose scalars drifted from its shape (`scalars` is public).
        if Int.random(in: 0..<25, using: &rng) == 0 {
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: input.scalars.append(0.5)
            case 1: target.scalars.append(0.5)
            case 2: weight?.scalars.append(0.5)
            case 3: posWeight?.scalars.append(0.5)
            default: gradOutput?.scalars.append(0.5)
            }
        }
    }

    static func shape(_ rng: inout SplitMix64) -> [Int] {
        (0..<Int.random(in: 0...3, using: &rng)).map { _ in Int.random(in: 0...3, using: &rng) }
    }

    /// Mostly a shape that broadcasts (a suffix of `shape` with some extents made 1), else any.
    static func operandShape(for shape: [Int], _ rng: inout SplitMix64) -> [Int] {
        if Int.random(in: 0..<4, using: &rng) == 0 { return Self.shape(&rng) }
        return shape.suffix(Int.random(in: 0...shape.count, using: &rng)).map { Bool.random(using: &rng) ? 1 : $0 }
    }

    /// Values in [0, 1] (valid for both losses), with now and then a bad one for BCE: outside
    /// [0, 1], NaN or an infinity.
    static func array(_ shape: [Int], _ rng: inout SplitMix64) -> NDArray<S> {
        let count = Oracle.elementCount(shape)!
        var values = (0..<count).map { _ in S(Double.random(in: 0...1, using: &rng)) }
        let specials: [S] = [.nan, .infinity, -.infinity, -S.leastNonzeroMagnitude, S(1).nextUp, 2, -1, -0.0, 0, 1,
                             S.greatestFiniteMagnitude]
        for i in values.indices where Int.random(in: 0..<12, using: &rng) == 0 {
            values[i] = specials.randomElement(using: &rng)!
        }
        return try! NDArray(shape: shape, scalars: values)
    }

    /// The output shapes of a valid call: the loss (the input's shape for none, else 0-d), or
    /// both gradients (the input's shape).
    var resultShapes: [[Int]] {
        backward ? [input.shape, input.shape] : [reduction == .none ? input.shape : []]
    }

    /// Runs the call through the public API; returns the shapes of what it returned.
    func run() throws(BCEError) -> [[Int]] {
        let g: BCEGradients<S>
        switch (logits, backward, module) {
        case (false, false, false): return [try binaryCrossEntropy(input, target, weight: weight, reduction: reduction).shape]
        case (false, false, true): return [try BCELoss(weight: weight, reduction: reduction)(input, target).shape]
        case (true, false, false):
            return [try binaryCrossEntropyWithLogits(input, target, weight: weight, posWeight: posWeight, reduction: reduction).shape]
        case (true, false, true):
            return [try BCEWithLogitsLoss(weight: weight, posWeight: posWeight, reduction: reduction)(input, target).shape]
        case (false, true, false):
            g = try binaryCrossEntropyBackward(input, target, weight: weight, reduction: reduction, gradOutput: gradOutput!)
        case (false, true, true):
            g = try BCELoss(weight: weight, reduction: reduction).gradients(input, target, gradOutput: gradOutput!)
        case (true, true, false):
            g = try binaryCrossEntropyWithLogitsBackward(input, target, weight: weight, posWeight: posWeight,
                                                         reduction: reduction, gradOutput: gradOutput!)
        case (true, true, true):
            g = try BCEWithLogitsLoss(weight: weight, posWeight: posWeight, reduction: reduction)
                .gradients(input, target, gradOutput: gradOutput!)
        }
        return [g.input.shape, g.target.shape]
    }

    /// The error the contract predicts, written from CONTRACTS section 1 without the library's code.
    func oracle() -> BCEError? {
        let arrays: [NDArray<S>?] = [input, target, weight, posWeight, gradOutput]
        for case let a? in arrays where Oracle.elementCount(a.shape) != a.scalars.count {
            return .invalidShape(shape: a.shape, count: a.scalars.count)
        }
        if input.shape != target.shape { return .shapeMismatch(input: input.shape, target: target.shape) }
        if let w = weight, !Oracle.broadcasts(w.shape, to: input.shape) {
            return .notBroadcastable(argument: "weight", shape: w.shape, to: input.shape)
        }
        if let p = posWeight, !Oracle.broadcasts(p.shape, to: input.shape) {
            return .notBroadcastable(argument: "pos_weight", shape: p.shape, to: input.shape)
        }
        if let g = gradOutput {
            if reduction == .none, g.shape != input.shape {
                return .notBroadcastable(argument: "grad_output", shape: g.shape, to: input.shape)
            }
            if reduction != .none, !g.shape.allSatisfy({ $0 == 1 }) {
                return .notBroadcastable(argument: "grad_output", shape: g.shape, to: [])
            }
        }
        if !logits {
            for i in input.scalars.indices {
                if !(0...1).contains(input.scalars[i]) { return .inputOutOfRange(index: i, value: Double(input.scalars[i])) }
                if !(0...1).contains(target.scalars[i]) { return .targetOutOfRange(index: i, value: Double(target.scalars[i])) }
            }
        }
        return nil
    }
}

/// The shape rules, restated from the contract.
enum Oracle {
    /// The product of the extents; nil if one is negative or it overflows (0 if any extent is 0).
    static func elementCount(_ shape: [Int]) -> Int? {
        guard shape.allSatisfy({ $0 >= 0 }) else { return nil }
        if shape.contains(0) { return 0 }
        var n = 1
        for d in shape {
            let (p, o) = n.multipliedReportingOverflow(by: d)
            if o { return nil }
            n = p
        }
        return n
    }

    /// Trailing alignment, each extent 1 or equal, never more dimensions than the target.
    static func broadcasts(_ shape: [Int], to target: [Int]) -> Bool {
        shape.count <= target.count && zip(shape.reversed(), target.reversed()).allSatisfy { $0 == 1 || $0 == $1 }
    }
}
