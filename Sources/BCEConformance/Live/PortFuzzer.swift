import Foundation

/// Differential fuzzing of an implementation that is evaluated asynchronously and in batches (a
/// port, `live --port`) against the oracle, with the live generator restricted to the port's
/// capabilities. Pipelined: while the port computes one batch, the oracle computes the next.
///
/// Default mode is the verdict of CONTRACTS section 0: an element passes against the exact value
/// or against PyTorch's CPU arithmetic (`alternatives`, asked for only when the exact value alone
/// fails, so a correct port costs nothing extra); strict mode (`policy.maxULP`) the exact value only.
public struct PortFuzzer<Outcome: Sendable>: Sendable {
    /// The expected result of a case (the NumPy reference). Throws when the oracle itself fails.
    public typealias Oracle = LiveFuzzer.Oracle
    /// The acceptable alternatives of a value case (PyTorch's CPU arithmetic).
    public typealias Alternatives = @Sendable (GoldenCase) throws -> [GoldenCase.Alternative]
    /// The implementation(s) under test: results of several cases, in order.
    public typealias Batch = @Sendable ([GoldenCase]) async throws(ImplementationFailure) -> [Outcome]
    /// How an outcome compares (nil: not covered, with the reason: the port skipped it).
    public typealias Judge = @Sendable (GoldenCase, Outcome) throws(Failure) -> Judged

    public enum Judged: Sendable {
        case compared(GoldenCase, Comparison)
        case notCovered(String)
    }

    public var oracle: Oracle
    public var judge: Judge
    public var capabilities: Capabilities
    /// Cases per batch in flight.
    public var batchSize = 64
    /// Evaluations the shrinker may spend on one mismatch.
    public var shrinkBudget = 600
    /// The command the generated cases' comments name, before `--seed` (with `--port '...'`).
    public var command = "bce-conformance live"

    public init(oracle: @escaping Oracle, capabilities: Capabilities, judge: @escaping Judge) {
        self.oracle = oracle
        self.judge = judge
        self.capabilities = capabilities
    }

    public typealias Report = PortFuzzReport
    public typealias Failure = PortFuzzFailure
}

/// What a port fuzzing run found.
public struct PortFuzzReport: Sendable {
    /// Cases drawn, compared, and not covered (by reason: an expected error the port does not check, a skip).
    public var cases = 0
    public var compared = 0
    public var notCovered = 0
    public var byReason: [String: Int] = [:]
    public var seconds = 0.0
    public var mismatches: [LiveFuzzer.Mismatch] = []
    public var casesPerSecond: Double { seconds > 0 ? Double(cases) / seconds : 0 }
    public init() {}
}

public enum PortFuzzFailure: Error, CustomStringConvertible {
        case oracle(LiveFuzzer.OracleFailure)
        case implementation(ImplementationFailure)
        public var description: String {
            switch self {
            case .oracle(let e): e.description
            case .implementation(let e): "the port broke: \(e)"
            }
        }
}

extension PortFuzzer {
    public func run(seed: UInt64, first: Int = 0, count: Int, dtypes: [DType], maxMismatches: Int = 1,
                    evaluate: @escaping Batch, progress: (@Sendable (Report) -> Void)? = nil) async throws(Failure) -> Report {
        var generator = LiveCaseGenerator(seed: seed, dtypes: dtypes, capabilities: capabilities)
        generator.command = command
        let clock = ContinuousClock()
        let start = clock.now
        var report = Report()
        var pending: (cases: [(Int, GoldenCase)], task: Task<Result<[Outcome], ImplementationFailure>, Never>)?
        var next = first
        let end = first + count
        func judgePending() async throws(Failure) -> Bool {
            guard let p = pending else { return false }
            pending = nil
            let outcomes: [Outcome]
            switch await p.task.value {
            case .success(let o): outcomes = o
            case .failure(let e): throw .implementation(e)
            }
            for ((index, golden), outcome) in zip(p.cases, outcomes) {
                let judged: GoldenCase, comparison: Comparison
                switch try judge(golden, outcome) {
                case .notCovered(let reason):
                    report.notCovered += 1
                    report.byReason[reason, default: 0] += 1
                    continue
                case .compared(let g, let c):
                    (judged, comparison) = (g, c)
                }
                report.compared += 1
                guard comparison.status == .failed else { continue }
                let (shrunk, shrunkComparison) = try await shrink(judged, comparison, evaluate)
                report.mismatches.append(LiveFuzzer.Mismatch(seed: seed, index: index, original: judged, shrunk: shrunk,
                                                             comparison: shrunkComparison))
                if report.mismatches.count >= maxMismatches { return true }
            }
            report.seconds = (clock.now - start).seconds
            progress?(report)
            return false
        }
        while next < end {
            var batch = [(Int, GoldenCase)]()
            let stop = min(end, next + batchSize)
            while next < stop {
                let candidate = generator.makeCase(next)
                report.cases += 1
                let golden = try withOracle(candidate)
                if let reason = capabilities.notCoveredReason(golden) {
                    report.notCovered += 1
                    report.byReason[reason, default: 0] += 1
                } else {
                    batch.append((next, golden))
                }
                next += 1
            }
            if try await judgePending() { break }
            let cases = batch.map(\.1)
            pending = (batch, Task { () async -> Result<[Outcome], ImplementationFailure> in
                do throws(ImplementationFailure) {
                    return .success(try await evaluate(cases))
                } catch {
                    return .failure(error)
                }
            })
        }
        _ = try await judgePending()
        report.seconds = (clock.now - start).seconds
        return report
    }

    /// The candidate with the oracle's expectation (no alternatives yet).
    func withOracle(_ candidate: GoldenCase) throws(Failure) -> GoldenCase {
        do throws(LiveFuzzer.OracleFailure) {
            return try LiveFuzzer.expecting(candidate, oracle)
        } catch {
            throw .oracle(error)
        }
    }

    /// Greedy shrinking (`ShrinkWalk`, as LiveFuzzer's), one case at a time through the port.
    func shrink(_ golden: GoldenCase, _ comparison: Comparison, _ evaluate: Batch) async throws(Failure) -> (GoldenCase, Comparison) {
        var current = (golden, comparison)
        var walk = ShrinkWalk(from: golden, budget: shrinkBudget)
        while let candidate = walk.next() {
            let checked = try withOracle(candidate)
            if capabilities.notCoveredReason(checked) != nil { continue }
            let outcome: Outcome
            do throws(ImplementationFailure) {
                guard let o = try await evaluate([checked]).first else { continue }
                outcome = o
            } catch {
                throw .implementation(error)
            }
            guard case .compared(let g, let c) = try judge(checked, outcome), c.status == .failed else { continue }
            current = (g, c)
            walk.accept(g)
        }
        return current
    }
}

extension GoldenCase {
    func with(acceptable: [Alternative]) -> GoldenCase {
        GoldenCase(id: id, comment: comment, flags: flags, loss: loss, dtype: dtype, reduction: reduction,
                   inputs: inputs, expectation: expectation, acceptable: acceptable, tolerance: tolerance, file: file)
    }
}

extension PortFuzzer where Outcome == CaseOutcome {
    /// One port against the oracle: compared on the declared outputs; in default mode, a failure
    /// against the exact value is judged again with PyTorch's arithmetic as an acceptable
    /// alternative (the case returned has it). A "skipped" result is not covered.
    public static func judgingOne(policy: ComparisonPolicy, capabilities: Capabilities, alternatives: Alternatives?) -> Judge {
        { golden, outcome throws(PortFuzzFailure) in
            if case .skipped(let reason) = outcome { return .notCovered(reason) }
            let comparison = policy.compare(capabilities.restricted(golden), outcome)
            guard comparison.status == .failed, policy.maxULP == nil, let alternatives, case .outputs = golden.expectation else {
                return .compared(golden, comparison)
            }
            var widened: GoldenCase
            do {
                widened = golden.with(acceptable: try alternatives(golden))
                // Flagged as the golden files flag it, so that the printed case passes `verify`.
                if ComparisonPolicy.firstWidening(widened) != nil {
                    widened = GoldenCase(id: widened.id, comment: widened.comment, flags: widened.flags + [ComparisonPolicy.widenedFlag],
                                         loss: widened.loss, dtype: widened.dtype, reduction: widened.reduction, inputs: widened.inputs,
                                         expectation: widened.expectation, acceptable: widened.acceptable,
                                         tolerance: widened.tolerance, file: widened.file)
                }
            } catch {
                throw .oracle(LiveFuzzer.OracleFailure(caseID: golden.id, message: "PyTorch's arithmetic: \(error)"))
            }
            return .compared(widened, policy.compare(capabilities.restricted(widened), outcome))
        }
    }
}
