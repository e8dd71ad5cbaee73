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

    /// `--require-full-coverage`: a not-covered case fails the run.
    public var requireFullCoverage = false

    /// Runs `cases` in order. A case outside the implementation's capabilities is not covered and
    /// never sent; the others are compared on the declared outputs only. Throws when the
    /// implementation itself broke (exit code 4); the failure names the case it broke on.
    public func run(_ cases: [GoldenCase], on implementation: some LossImplementation, suite: SuiteIdentity,
                    progress: (@Sendable (CaseResult) -> Void)? = nil) async throws(ImplementationFailure) -> RunReport {
        let clock = ContinuousClock()
        let start = clock.now
        var results = [CaseResult]()
        results.reserveCapacity(cases.count)
        let capabilities = implementation.info.capabilities
        if let synchronous = implementation as? any SynchronousLossImplementation {
            results = runConcurrently(cases, on: synchronous, capabilities)
            if let progress { results.forEach(progress) }
        } else {
            for golden in cases {
                let result: CaseResult
                if let reason = capabilities.notCoveredReason(golden) {
                    result = CaseResult(notCovered: golden, reason: reason)
                } else {
                    result = try await runOne(golden, on: implementation, capabilities)
                }
                progress?(result)
                results.append(result)
            }
        }
        return RunReport(suite: suite, implementation: implementation.info, maxULP: policy.maxULP,
                         results: results, seconds: (clock.now - start).seconds, requireFullCoverage: requireFullCoverage)
    }
}

extension ConformanceRunner {
    func runOne(_ golden: GoldenCase, on implementation: some LossImplementation,
                _ capabilities: Capabilities) async throws(ImplementationFailure) -> CaseResult {
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = try await implementation.evaluate(golden)
        return result(golden, outcome, capabilities, seconds: (clock.now - start).seconds)
    }

    /// The comparison of a covered case's outcome, on the declared outputs only.
    public func result(_ golden: GoldenCase, _ outcome: CaseOutcome, _ capabilities: Capabilities = .everything,
                       seconds: Double) -> CaseResult {
        var r = CaseResult(golden: golden, comparison: policy.compare(capabilities.restricted(golden), outcome),
                           knownFailure: knownFailures.entry(for: golden.id), seconds: seconds)
        if r.status != .notCovered { r.uncoveredOutputs = capabilities.uncoveredOutputs(golden) }
        return r
    }

    /// Every core at once (Dispatch, synchronous evaluation); results in case order.
    func runConcurrently(_ cases: [GoldenCase], on implementation: any SynchronousLossImplementation,
                         _ capabilities: Capabilities) -> [CaseResult] {
        let slots = Mutex([CaseResult?](repeating: nil, count: cases.count))
        DispatchQueue.concurrentPerform(iterations: cases.count) { i in
            if let reason = capabilities.notCoveredReason(cases[i]) {
                let r = CaseResult(notCovered: cases[i], reason: reason)
                slots.withLock { $0[i] = r }
                return
            }
            let clock = ContinuousClock()
            let start = clock.now
            let outcome = implementation.evaluateNow(cases[i])
            let r = result(cases[i], outcome, capabilities, seconds: (clock.now - start).seconds)
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
