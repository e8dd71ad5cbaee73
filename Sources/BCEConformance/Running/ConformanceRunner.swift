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
        for golden in cases {
            let caseStart = clock.now
            let outcome = try await implementation.evaluate(golden)
            let comparison = policy.compare(golden, outcome)
            let result = CaseResult(golden: golden, comparison: comparison, knownFailure: knownFailures.entry(for: golden.id),
                                    seconds: (clock.now - caseStart).seconds)
            progress?(result)
            results.append(result)
        }
        return RunReport(suite: suite, implementation: implementation.info, maxULP: policy.maxULP,
                         results: results, seconds: (clock.now - start).seconds)
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) * 1e-18
    }
}
