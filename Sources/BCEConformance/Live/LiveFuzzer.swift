import Foundation

/// Differential fuzzing: random cases through an implementation and an oracle (the NumPy
/// reference, injected), compared by the same policy as the golden files. A mismatch is shrunk to
/// the smallest shape that still fails and printed as a ready-to-paste golden case.
public struct LiveFuzzer: Sendable {
    /// The expected result of a case, as the oracle computes it. Throws when the oracle itself fails.
    public typealias Oracle = @Sendable (GoldenCase) throws -> GoldenCase.Expectation
    /// The implementation under test.
    public typealias Implementation = @Sendable (GoldenCase) -> CaseOutcome

    public var implementation: Implementation
    public var oracle: Oracle
    public var policy: ComparisonPolicy
    /// Evaluations the shrinker may spend on one mismatch.
    public var shrinkBudget = 2000

    public init(implementation: @escaping Implementation, oracle: @escaping Oracle, policy: ComparisonPolicy) {
        self.implementation = implementation
        self.oracle = oracle
        self.policy = policy
    }

    public struct Mismatch: Sendable {
        /// Seed and index that generate the original case.
        public var seed: UInt64
        public var index: Int
        public var original: GoldenCase
        /// The smallest failing case found, with the oracle's expectation.
        public var shrunk: GoldenCase
        public var comparison: Comparison

        /// The shrunk case in golden format v1, ready to paste into a case file.
        public var goldenJSON: String { GoldenWriter.caseJSON(shrunk) }
    }

    public struct Report: Sendable {
        public var cases = 0
        public var seconds = 0.0
        public var mismatches: [Mismatch] = []
        public var casesPerSecond: Double { seconds > 0 ? Double(cases) / seconds : 0 }
        public init() {}
    }

    public struct OracleFailure: Error, CustomStringConvertible {
        public var caseID: String
        public var message: String
        public var description: String { "the reference failed on \(caseID): \(message)" }
        package init(caseID: String, message: String) { (self.caseID, self.message) = (caseID, message) }
    }

    /// Runs cases `first ..< first + count` of `seed` (drawn from `dtypes`), stopping after
    /// `maxMismatches` mismatches. `progress` sees the report so far after every case (so an
    /// interrupted run can still say what it found).
    public func run(
        seed: UInt64, first: Int = 0, count: Int, dtypes: [DType] = DType.allCases, maxMismatches: Int = 1,
        progress: ((Report) -> Void)? = nil
    ) throws(OracleFailure) -> Report {
        let generator = LiveCaseGenerator(seed: seed, dtypes: dtypes)
        let clock = ContinuousClock()
        let start = clock.now
        var report = Report()
        for index in first..<(first + count) {
            let candidate = generator.makeCase(index)
            report.cases += 1
            let (golden, comparison) = try check(candidate)
            if comparison.status == .failed {
                let (shrunk, shrunkComparison) = shrink(golden, comparison)
                report.mismatches.append(Mismatch(seed: seed, index: index, original: golden, shrunk: shrunk, comparison: shrunkComparison))
                if report.mismatches.count >= maxMismatches { break }
            }
            if let progress {
                report.seconds = (clock.now - start).seconds
                progress(report)
            }
        }
        report.seconds = (clock.now - start).seconds
        return report
    }

    /// The case with the oracle's expectation, and how the implementation compares with it.
    func check(_ candidate: GoldenCase) throws(OracleFailure) -> (GoldenCase, Comparison) {
        let golden = try Self.expecting(candidate, oracle)
        return (golden, policy.compare(golden, implementation(golden)))
    }

    /// `candidate` with `oracle`'s expectation (no alternatives); the oracle's own failure is an OracleFailure.
    static func expecting(_ candidate: GoldenCase, _ oracle: Oracle) throws(OracleFailure) -> GoldenCase {
        do {
            return candidate.with(expectation: try oracle(candidate))
        } catch {
            throw OracleFailure(caseID: candidate.id, message: "\(error)")
        }
    }

    /// Greedy shrinking (`ShrinkWalk`) for as long as the case still fails.
    func shrink(_ golden: GoldenCase, _ comparison: Comparison) -> (GoldenCase, Comparison) {
        var current = (golden, comparison)
        var walk = ShrinkWalk(from: golden, budget: shrinkBudget)
        while let candidate = walk.next() {
            guard let checked = try? check(candidate), checked.1.status == .failed else { continue }
            current = checked
            walk.accept(checked.0)
        }
        return current
    }
}

/// The order in which a greedy shrinker tries smaller cases: `CaseShrinker.candidates` of the
/// current case, most promising first; when one still fails (`accept`), the candidates of that one,
/// until none of a case's candidates fails or the budget of evaluations is spent. The shrinkers of
/// `LiveFuzzer` (synchronous) and `PortFuzzer` (through the port, asynchronous) both walk it.
package struct ShrinkWalk {
    private var candidates: [GoldenCase]
    private var position = 0
    private var budget: Int

    package init(from start: GoldenCase, budget: Int) {
        candidates = CaseShrinker.candidates(start)
        self.budget = budget
    }

    /// The next candidate to evaluate, or nil when the walk is over.
    package mutating func next() -> GoldenCase? {
        budget -= 1
        guard budget > 0, position < candidates.count else { return nil }
        position += 1
        return candidates[position - 1]
    }

    /// The last candidate still fails: continue from it.
    package mutating func accept(_ smaller: GoldenCase) {
        candidates = CaseShrinker.candidates(smaller)
        position = 0
    }
}

extension GoldenCase {
    package func with(expectation: Expectation) -> GoldenCase {
        GoldenCase(id: id, comment: comment, flags: flags, loss: loss, dtype: dtype, reduction: reduction,
                   inputs: inputs, expectation: expectation, tolerance: tolerance, file: file)
    }

    func with(inputs: Inputs) -> GoldenCase {
        GoldenCase(id: id, comment: comment, flags: flags, loss: loss, dtype: dtype, reduction: reduction,
                   inputs: inputs, expectation: expectation, tolerance: tolerance, file: file)
    }
}

/// The smaller variants of a case the shrinker tries, most promising first.
package enum CaseShrinker {
    package static func candidates(_ c: GoldenCase) -> [GoldenCase] {
        var result = [GoldenCase]()
        let i = c.inputs
        if i.weight != nil { var j = i; j.weight = nil; result.append(c.with(inputs: j)) }
        if i.posWeight != nil { var j = i; j.posWeight = nil; result.append(c.with(inputs: j)) }
        if i.gradOutput != nil { var j = i; j.gradOutput = nil; result.append(c.with(inputs: j)) }
        let shape = i.input.shape
        // Remove one slice along an axis: halves first, then single indices.
        for axis in shape.indices where shape[axis] > 1 {
            let n = shape[axis]
            var ranges = [0..<(n / 2), (n / 2)..<n]
            ranges += (0..<n).map { $0..<($0 + 1) }
            for range in ranges {
                if let inputs = removing(range, axis: axis, from: i, reduction: c.reduction) { result.append(c.with(inputs: inputs)) }
            }
        }
        // Drop a dimension of size 1.
        for axis in shape.indices where shape[axis] == 1 {
            if let inputs = squeezing(axis: axis, from: i, reduction: c.reduction) { result.append(c.with(inputs: inputs)) }
        }
        return result
    }

    /// Removes indices `range` along `axis` of the input (and of every tensor aligned with it).
    static func removing(_ range: Range<Int>, axis: Int, from i: GoldenCase.Inputs, reduction: ReductionKind) -> GoldenCase.Inputs? {
        let rank = i.input.shape.count
        func cut(_ t: GoldenTensor?, sameShapeOnly: Bool) -> GoldenTensor?? {
            guard let t else { return .some(nil) }
            let tAxis = axis - (rank - t.shape.count)
            if sameShapeOnly, t.shape != i.input.shape { return .some(t) }
            guard tAxis >= 0, tAxis < t.shape.count, t.shape[tAxis] == i.input.shape[axis] else { return .some(t) }
            return t.removing(range, axis: tAxis).map { .some($0) } ?? .none
        }
        guard let input = i.input.removing(range, axis: axis),
              case .some(let target?) = cut(i.target, sameShapeOnly: true),
              case .some(let weight) = cut(i.weight, sameShapeOnly: false),
              case .some(let posWeight) = cut(i.posWeight, sameShapeOnly: false),
              case .some(let gradOutput) = reduction == .none ? cut(i.gradOutput, sameShapeOnly: true) : .some(i.gradOutput)
        else { return nil }
        return GoldenCase.Inputs(input: input, target: target, weight: weight, posWeight: posWeight, gradOutput: gradOutput)
    }

    static func squeezing(axis: Int, from i: GoldenCase.Inputs, reduction: ReductionKind) -> GoldenCase.Inputs? {
        let rank = i.input.shape.count
        func squeeze(_ t: GoldenTensor?, sameShape: Bool) -> GoldenTensor?? {
            guard let t else { return .some(nil) }
            if sameShape {
                guard t.shape == i.input.shape else { return .some(t) }
                return .some(t.squeezing(axis: axis))
            }
            let tAxis = axis - (rank - t.shape.count)
            if tAxis < 0 { return .some(t) }
            guard t.shape[tAxis] == 1 else { return .none }
            return .some(t.squeezing(axis: tAxis))
        }
        guard case .some(let target?) = squeeze(i.target, sameShape: true),
              case .some(let weight) = squeeze(i.weight, sameShape: false),
              case .some(let posWeight) = squeeze(i.posWeight, sameShape: false),
              case .some(let gradOutput) = reduction == .none ? squeeze(i.gradOutput, sameShape: true) : .some(i.gradOutput)
        else { return nil }
        return GoldenCase.Inputs(input: i.input.squeezing(axis: axis), target: target, weight: weight, posWeight: posWeight,
                                 gradOutput: gradOutput)
    }
}

extension GoldenTensor {
    /// This tensor without indices `range` along `axis` (row-major).
    func removing(_ range: Range<Int>, axis: Int) -> GoldenTensor? {
        guard axis < shape.count, range.lowerBound >= 0, range.upperBound <= shape[axis], !range.isEmpty else { return nil }
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        let n = shape[axis]
        var values = [Double]()
        values.reserveCapacity(count - outer * range.count * inner)
        for o in 0..<outer {
            for k in 0..<n where !range.contains(k) {
                let base = (o * n + k) * inner
                values.append(contentsOf: self.values[base..<(base + inner)])
            }
        }
        var newShape = shape
        newShape[axis] -= range.count
        return try? GoldenTensor(dtype: dtype, shape: newShape, values: values)
    }

    func squeezing(axis: Int) -> GoldenTensor {
        var newShape = shape
        newShape.remove(at: axis)
        return (try? GoldenTensor(dtype: dtype, shape: newShape, values: values)) ?? self
    }
}
