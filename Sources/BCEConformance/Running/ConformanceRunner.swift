import Dispatch
import Foundation
import Synchronization

/// Puts golden cases through an implementation and compares each outcome by the policy.
public struct ConformanceRunner: Sendable {
    public var policy: ComparisonPolicy
    public var knownFailures: KnownFailures

    public init(policy: ComparisonPolicy = ComparisonPolicy(), knownFailures: KnownFailures = KnownFailures()) {
        self.policy = policy
        self.knownFailures = knownFailures
    }

    /// Runs `cases` in order. Throws when the implementation itself broke (exit code 4); the
    /// failure names the case it broke on.
    public func run(_ cases: [GoldenCase], on implementation: some LossImplementation, suite: SuiteIdentity,
                    progress: (@Sendable (CaseResult) -> Void)? = nil) async throws(ImplementationFailure) -> RunReport {
        let clock = ContinuousClock()
        let start = clock.now
        var results = [CaseResult]()
        results.reserveCapacity(cases.count)
        if let synchronous = implementation as? any SynchronousLossImplementation {
            results = runConcurrently(cases, on: synchronous)
            if let progress { results.forEach(progress) }
        } else {
            for golden in cases {
                let result = try await runOne(golden, on: implementation)
                progress?(result)
                results.append(result)
            }
        }
        return RunReport(suite: suite, implementation: implementation.info, maxULP: policy.maxULP,
                         results: results, seconds: (clock.now - start).seconds)
    }
}

extension ConformanceRunner {
    func runOne(_ golden: GoldenCase, on implementation: some LossImplementation) async throws(ImplementationFailure) -> CaseResult {
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = try await implementation.evaluate(golden)
        return result(golden, outcome, seconds: (clock.now - start).seconds)
    }

    func result(_ golden: GoldenCase, _ outcome: CaseOutcome, seconds: Double) -> CaseResult {
        CaseResult(golden: golden, comparison: policy.compare(golden, outcome), knownFailure: knownFailures.entry(for: golden.id),
                   seconds: seconds)
    }

    /// Every core at once (Dispatch, synchronous evaluation); results in case order.
    func runConcurrently(_ cases: [GoldenCase], on implementation: any SynchronousLossImplementation) -> [CaseResult] {
        let slots = Mutex([CaseResult?](repeating: nil, count: cases.count))
        DispatchQueue.concurrentPerform(iterations: cases.count) { i in
            let clock = ContinuousClock()
            let start = clock.now
            let outcome = implementation.evaluateNow(cases[i])
            let r = result(cases[i], outcome, seconds: (clock.now - start).seconds)
            slots.withLock { $0[i] = r }
        }
        return slots.withLock { $0.compactMap { $0 } }
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) * 1e-18
    }
}
