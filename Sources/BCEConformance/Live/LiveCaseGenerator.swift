/// Random cases for live differential fuzzing: shapes, dtypes, options and values, biased towards
/// the edges where implementations go wrong (0, 1, their neighbours, subnormals, huge logits,
/// infinities, NaN, zero and negative weights) and, now and then, invalid inputs.
///
/// Case `k` of seed `s` depends only on (s, k): `--seed s --first k --cases 1` reproduces it.
public struct LiveCaseGenerator: Sendable {
    public var seed: UInt64
    /// The dtypes cases are drawn from (all by default); the draw itself is the same whatever the
    /// list, so a case is reproduced by the same seed, index and list.
    public var dtypes: [DType]
    /// What the implementation under test declares (`live --port`): cases are drawn inside it
    /// (losses, reductions; a weight / pos_weight it does not accept is dropped after its draw),
    /// again with the same draws whatever it is.
    public var capabilities: Capabilities
    /// The command the case comment names (before `--seed`), e.g. with `--port '...'`.
    public var command = "bce-conformance live"

    public init(seed: UInt64, dtypes: [DType] = DType.allCases, capabilities: Capabilities = .everything) {
        self.seed = seed
        self.dtypes = dtypes.isEmpty ? DType.allCases : dtypes
        self.capabilities = capabilities
    }

    /// One draw from `list` whatever its length (for the full list, the same draw as `pick`).
    static func draw<T>(_ list: [T], _ rng: inout SplitMix64) -> T { list[Int(rng.next() % UInt64(list.count))] }

    public func makeCase(_ index: Int) -> GoldenCase {
        var rng = SplitMix64(seed: seed &+ UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15)
        let losses = capabilities.losses.isEmpty ? LossKind.allCases : capabilities.losses
        let loss = Self.draw(losses, &rng)
        // One draw whatever the list's length (pick draws nothing from a one-element list), so the
        // rest of the case is the same for every list; for the default list this is pick's draw.
        let dtype = dtypes[Int(rng.next() % UInt64(dtypes.count))]
        let reduction = Self.draw(capabilities.reductions.isEmpty ? ReductionKind.allCases : capabilities.reductions, &rng)
        let shape = makeShape(&rng)
        func tensor(_ shape: [Int], _ sample: (inout SplitMix64) -> Double) -> GoldenTensor {
            let n = shape.reduce(1, *)
            var values = [Double]()
            values.reserveCapacity(n)
            for _ in 0..<n { values.append(dtype.rounded(sample(&rng))) }
            return try! GoldenTensor(dtype: dtype, shape: shape, values: values)
        }
        let input = tensor(shape) { loss == .bce ? Self.probability(&$0, dtype) : Self.logit(&$0, dtype) }
        var targetShape = shape
        if rng.chance(0.03) { targetShape = Self.perturbed(shape, &rng) }   // shape_mismatch
        let target = tensor(targetShape) { Self.target(&$0, loss) }
        var weight = rng.chance(0.35) ? tensor(Self.broadcastable(to: shape, &rng)) { Self.weight(&$0) } : nil
        var posWeight = loss == .bceWithLogits && rng.chance(0.35)
            ? tensor(Self.broadcastable(to: shape, &rng)) { Self.weight(&$0) } : nil
        if !capabilities.arguments.contains(.weight) { weight = nil }
        if !capabilities.arguments.contains(.posWeight) { posWeight = nil }
        var gradOutput: GoldenTensor?
        if rng.chance(0.35) {
            gradOutput = tensor(reduction == .none ? shape : []) { Self.weight(&$0) }
        }
        let dtypeOption = dtypes == DType.allCases ? "" : " --dtypes " + dtypes.map(\.rawValue).joined(separator: ",")
        let id = "\(loss.rawValue)/\(dtype.rawValue)/\(reduction.rawValue)/live-\(seed)-\(index)"
        return GoldenCase(id: id, comment: "found by \(command) --seed \(seed) --first \(index) --cases 1\(dtypeOption)",
                          loss: loss, dtype: dtype, reduction: reduction,
                          inputs: .init(input: input, target: target, weight: weight, posWeight: posWeight, gradOutput: gradOutput),
                          expectation: .error(kind: ""))
    }

    private func makeShape(_ rng: inout SplitMix64) -> [Int] {
        let rank = rng.pick([0, 1, 1, 1, 2, 2, 3])
        return (0..<rank).map { _ in rng.pick([1, 1, 2, 3, 4, 5, 8, 16]) + (rng.chance(0.02) ? -1 : 0) }
    }

    /// A shape that broadcasts to `shape` without enlarging it (trailing alignment, some dims 1);
    /// now and then one that does not (not_broadcastable).
    static func broadcastable(to shape: [Int], _ rng: inout SplitMix64) -> [Int] {
        let rank = rng.next(upTo: shape.count + 1)
        var result = shape.suffix(rank).map { rng.chance(0.3) ? 1 : $0 }
        if rng.chance(0.03) { result = perturbed(result, &rng) }
        return result
    }

    static func perturbed(_ shape: [Int], _ rng: inout SplitMix64) -> [Int] {
        guard !shape.isEmpty, rng.chance(0.7) else { return shape + [2] }
        var s = shape
        let i = rng.next(upTo: s.count)
        s[i] += 1
        return s
    }

    static func probability(_ rng: inout SplitMix64, _ dtype: DType) -> Double {
        let tiny = dtype.ulp(atMagnitude: 0)
        switch rng.next(upTo: 20) {
        case 0: return 0
        case 1: return 1
        case 2: return tiny
        case 3: return tiny * Double(1 + rng.next(upTo: 1000))       // subnormal
        case 4: return 1 - dtype.ulp(atMagnitude: 0.75) / 2           // the neighbour below 1
        case 5: return pow2(-Double(rng.next(upTo: 60)))
        case 6: return 1 - pow2(-Double(1 + rng.next(upTo: 30)))
        case 7: return 0.5
        case 8 where rng.chance(0.3): return rng.pick([-0.5, 1.5, .nan, -0.0])  // out of range (or -0)
        default: return rng.unit()
        }
    }

    static func logit(_ rng: inout SplitMix64, _ dtype: DType) -> Double {
        let sign: Double = rng.chance(0.5) ? 1 : -1
        switch rng.next(upTo: 20) {
        case 0: return 0
        case 1: return sign * rng.pick([11.1, 17.3, 36.8, 88.8, 709.8, 745.2, 1e4, 1e30])
        case 2: return sign * dtype.ulp(atMagnitude: 0) * Double(1 + rng.next(upTo: 100))
        case 3 where rng.chance(0.3): return rng.pick([.infinity, -.infinity, .nan])
        case 4: return sign * pow2(Double(rng.next(upTo: 12)))
        default: return sign * rng.unit() * 12
        }
    }

    static func target(_ rng: inout SplitMix64, _ loss: LossKind) -> Double {
        switch rng.next(upTo: 10) {
        case 0, 1, 2: return 0
        case 3, 4, 5: return 1
        case 6 where rng.chance(0.2): return loss == .bce ? rng.pick([-0.25, 1.25, .nan]) : rng.pick([-0.5, 2, 1e3])
        default: return rng.unit()
        }
    }

    static func weight(_ rng: inout SplitMix64) -> Double {
        switch rng.next(upTo: 10) {
        case 0: return 0
        case 1: return -rng.unit() * 2
        case 2: return rng.pick([1e-3, 1e3, 65504])
        case 3, 4: return 1
        default: return rng.unit() * 2
        }
    }

    static func pow2(_ e: Double) -> Double { Double(sign: .plus, exponent: Int(e), significand: 1) }
}

/// A small, fast, reproducible generator (SplitMix64, Steele et al. 2014).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    package mutating func next(upTo n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    package mutating func pick<T>(_ choices: [T]) -> T { choices[next(upTo: choices.count)] }
    mutating func chance(_ p: Double) -> Bool { unit() < p }
    /// Uniform in [0, 1) with 53 random bits.
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
