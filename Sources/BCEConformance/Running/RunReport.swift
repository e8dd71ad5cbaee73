/// Names the golden suite a report is about.
public struct SuiteIdentity: Sendable, Equatable {
    public var suiteVersion: String
    public var manifestSHA256: String
    public var formatVersion: Int

    public init(suiteVersion: String, manifestSHA256: String, formatVersion: Int = GoldenFormat.version) {
        self.suiteVersion = suiteVersion
        self.manifestSHA256 = manifestSHA256
        self.formatVersion = formatVersion
    }

    public init(_ manifest: Manifest) {
        self.init(suiteVersion: manifest.suiteVersion, manifestSHA256: manifest.sha256, formatVersion: manifest.formatVersion)
    }
}

/// How one case ended, after the known-failures list is applied.
public enum CaseStatus: String, Sendable, Codable, CaseIterable {
    case passed, failed, skipped
    /// Failed, and listed in --known-failures: does not fail the run.
    case expectedFailure = "expected_failure"
    /// Listed in --known-failures but passed: reported so the entry can be removed; does not fail the run.
    case unexpectedPass = "unexpected_pass"
}

public struct CaseResult: Sendable {
    public var id: String
    public var file: String
    public var loss: LossKind
    public var dtype: DType
    public var reduction: ReductionKind
    public var flags: [String]
    public var status: CaseStatus
    public var comparison: Comparison
    public var knownFailureReason: String?
    public var seconds: Double
    /// The golden case itself: its comment and inputs, for reports that show a failing element's inputs.
    public var golden: GoldenCase

    public init(golden: GoldenCase, comparison: Comparison, knownFailure: KnownFailures.Entry?, seconds: Double) {
        id = golden.id
        file = golden.file
        loss = golden.loss
        dtype = golden.dtype
        reduction = golden.reduction
        flags = golden.flags
        self.comparison = comparison
        knownFailureReason = knownFailure?.reason
        self.seconds = seconds
        self.golden = golden
        switch (comparison.status, knownFailure != nil) {
        case (.skipped, _): status = .skipped
        case (.passed, false): status = .passed
        case (.passed, true): status = .unexpectedPass
        case (.failed, false): status = .failed
        case (.failed, true): status = .expectedFailure
        }
    }
}

/// Everything a run found: what was tested against what, and every case's result.
public struct RunReport: Sendable {
    public var suite: SuiteIdentity
    public var implementation: ImplementationInfo
    public var maxULP: Double?
    public var results: [CaseResult]
    public var seconds: Double
    /// Set when the run stopped because the implementation broke (exit code 4); `results` then
    /// holds the cases completed before.
    public var implementationFailure: ImplementationFailure?
    /// How the run was invoked, for the reproduction commands of failing cases (set by the CLI).
    public var invocation: Invocation?

    public init(suite: SuiteIdentity, implementation: ImplementationInfo, maxULP: Double?, results: [CaseResult], seconds: Double,
                implementationFailure: ImplementationFailure? = nil) {
        self.suite = suite
        self.implementation = implementation
        self.maxULP = maxULP
        self.results = results
        self.seconds = seconds
        self.implementationFailure = implementationFailure
    }

    public func count(_ status: CaseStatus) -> Int { results.reduce(0) { $0 + ($1.status == status ? 1 : 0) } }

    /// Conformant: nothing failed that was not a known failure.
    public var isConformant: Bool { implementationFailure == nil && !results.contains { $0.status == .failed } }
}
