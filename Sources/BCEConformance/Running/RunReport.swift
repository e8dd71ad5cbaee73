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
    case passed, failed
    /// Outside the implementation's declared capabilities (never sent), or answered "skipped":
    /// neither passed nor failed, counted with its reason (CONTRACTS 5.1).
    case notCovered = "not_covered"
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
    /// Why the case was not covered (status `.notCovered`): outside the capabilities, or the port's skip reason.
    public var notCoveredReason: String?
    /// Outputs the case expects that the implementation does not declare (not compared, the rest was).
    public var uncoveredOutputs: [Capabilities.Output] = []

    /// A case outside the implementation's capabilities: never evaluated.
    public init(notCovered golden: GoldenCase, reason: String) {
        self.init(golden: golden, comparison: Comparison(status: .skipped, messages: [reason]), knownFailure: nil, seconds: 0)
    }

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
        case (.skipped, _):
            status = .notCovered
            notCoveredReason = comparison.messages.first ?? "skipped"
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
    /// `--require-full-coverage`: any not-covered case (or undeclared output) makes the run NOT CONFORMANT.
    public var requireFullCoverage = false

    public init(suite: SuiteIdentity, implementation: ImplementationInfo, maxULP: Double?, results: [CaseResult], seconds: Double,
                implementationFailure: ImplementationFailure? = nil, requireFullCoverage: Bool = false) {
        self.requireFullCoverage = requireFullCoverage
        self.suite = suite
        self.implementation = implementation
        self.maxULP = maxULP
        self.results = results
        self.seconds = seconds
        self.implementationFailure = implementationFailure
    }

    public func count(_ status: CaseStatus) -> Int { results.reduce(0) { $0 + ($1.status == status ? 1 : 0) } }

    /// Conformant: at least one case compared, nothing failed that was not a known failure (and,
    /// with --require-full-coverage, every case covered).
    public var isConformant: Bool { verdict == .conformant }

    public enum Verdict: String, Sendable, Codable {
        case conformant = "CONFORMANT"
        case notConformant = "NOT CONFORMANT"
        /// No case was compared (everything not covered, or no case at all): never conformant, exit 1.
        case nothingCompared = "NOTHING COMPARED"
    }

    public var verdict: Verdict {
        if implementationFailure != nil || results.contains(where: { $0.status == .failed }) { return .notConformant }
        if coverage.compared == 0 { return .nothingCompared }
        if requireFullCoverage, coverage.notCovered > 0 || !coverage.outputsNotCovered.isEmpty { return .notConformant }
        return .conformant
    }

    public var coverage: Coverage { Coverage(results) }
}

/// How much of the selection was actually compared (CONTRACTS 5.1).
public struct Coverage: Sendable, Equatable {
    /// Cases compared (passed, failed, expected failures, unexpected passes).
    public var compared = 0
    /// Cases not covered, in all and by reason.
    public var notCovered = 0
    public var byReason: [String: Int] = [:]
    /// Compared cases on which an expected output was not compared (not declared), per output.
    public var outputsNotCovered: [String: Int] = [:]

    public init(_ results: [CaseResult]) {
        for r in results {
            if r.status == .notCovered {
                notCovered += 1
                byReason[r.notCoveredReason ?? "skipped", default: 0] += 1
            } else {
                compared += 1
                for o in r.uncoveredOutputs { outputsNotCovered[o.rawValue, default: 0] += 1 }
            }
        }
    }

    /// "N cases (reason: n, reason: n)", most frequent reason first.
    public var notCoveredSummary: String {
        let reasons = byReason.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        return "\(notCovered) \(notCovered == 1 ? "case" : "cases") (" + reasons.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"
    }
}
