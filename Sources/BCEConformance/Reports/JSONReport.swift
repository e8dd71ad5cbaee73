import SwiftBCEShared
import Foundation

/// `run --format json`: the machine-readable report (schema in docs/RUNNER.md, "report_version": 1).
/// Non-finite numbers are written as the strings "nan", "inf", "-inf".
public struct JSONReport: Codable, Sendable {
    public static let version = 1

    public var reportVersion: Int
    /// The runner that wrote the report (`bce-conformance --version`).
    public var runner: Runner
    public var suite: Suite
    public var implementation: ImplementationInfo
    public var options: Options
    public var summary: Summary
    /// What was compared and what was not covered (CONTRACTS 5.1).
    public var coverage: CoverageSummary
    public var cases: [Case]
    /// Present when the implementation broke and the run stopped (exit code 4).
    public var implementationFailure: Failure?

    public struct Failure: Codable, Sendable {
        public var caseID: String?
        public var message: String
        public var stderrTail: String
    }

    public struct Runner: Codable, Sendable {
        public var name: String
        public var version: String
    }

    public struct Suite: Codable, Sendable {
        public var version: String
        public var manifestSHA256: String
        public var formatVersion: Int
    }

    public struct Options: Codable, Sendable {
        public var maxULP: Double?
    }

    public struct Summary: Codable, Sendable {
        public var total: Int
        public var passed: Int
        public var failed: Int
        public var notCovered: Int
        public var expectedFailures: Int
        public var unexpectedPasses: Int
        public var conformant: Bool
        /// "CONFORMANT", "NOT CONFORMANT" or "NOTHING COMPARED".
        public var verdict: RunReport.Verdict
        public var seconds: Double
    }

    public struct CoverageSummary: Codable, Sendable {
        public var compared: Int
        public var notCovered: Int
        /// Not-covered cases per reason (keys written as given, e.g. "no pos_weight").
        public var byReason: [String: Int]
        /// Compared cases per expected output that was not compared because it was not declared.
        public var outputsNotCovered: [String: Int]
        /// The declared capabilities the verdict is for.
        public var conformantFor: Capabilities
        public var requireFullCoverage: Bool
    }

    public struct Location: Codable, Sendable {
        public var output: String
        public var index: Int
        public var expected: Double
        public var actual: Double
        public var problem: String?
        /// The acceptable alternatives' values this element was also compared with (absent when none).
        public var acceptable: [AcceptableValue]?
        /// Mismatches only (issue 13): |actual − expected| (both finite), relative to |expected| (not
        /// 0), in ULP (where meaningful), the kind of problem and why, and the inputs at the element
        /// (for a mean or sum loss: a few of the elements it reduces, and how many it reduces).
        public var absError: Double?
        public var relError: Double?
        public var ulp: Double?
        public var kind: ProblemKind?
        public var note: String?
        public var inputs: [ElementInputs]?
        public var reducedOver: Int?
    }

    /// A case-level problem (wrong or missing error, missing output, shape) and its kind.
    public struct CaseProblem: Codable, Sendable {
        public var message: String
        public var kind: ProblemKind
    }

    /// One row of a breakdown: how many cases, and how many ended in each status.
    public struct BreakdownRow: Codable, Sendable {
        public var cases: Int
        public var statuses: [String: Int]
    }

    public struct KindRow: Codable, Sendable {
        public var cases: Int
        public var problems: Int
        public var example: String
    }

    /// The summary by flag, by "loss/dtype/reduction" and by kind of problem (failing cases only).
    public struct Breakdown: Codable, Sendable {
        public var byFlag: [String: BreakdownRow]
        public var byConfiguration: [String: BreakdownRow]
        public var byKind: [String: KindRow]
    }

    public struct Case: Codable, Sendable {
        public var id: String
        public var file: String
        public var loss: String
        public var dtype: String
        public var reduction: String
        public var flags: [String]
        public var status: CaseStatus
        public var maxAbsError: Double
        public var maxRelError: Double
        public var maxULP: Double
        public var worstULPAt: Location?
        public var messages: [String]
        public var mismatchCount: Int
        public var mismatches: [Location]
        /// Elements that missed the exact value but matched an acceptable alternative (default mode).
        public var acceptedElements: Int
        public var knownFailureReason: String?
        /// Why the case was not covered (status "not_covered").
        public var reason: String?
        /// Expected outputs not compared on this case (not declared).
        public var outputsNotCovered: [String]?
        public var seconds: Double
        /// Failed cases (and expected failures) only: the case's comment, its case-level
        /// problems, the command that reruns it alone, and the one that prints its request line.
        public var comment: String?
        public var problems: [CaseProblem]?
        public var reproduce: String?
        public var request: String?
    }

    public var breakdown: Breakdown

    enum CodingKeys: String, CodingKey {
        case reportVersion = "report_version", runner, suite, implementation, options, summary, coverage, cases, implementationFailure, breakdown
    }

    public init(_ report: RunReport) {
        reportVersion = Self.version
        runner = Runner(name: "bce-conformance", version: SwiftBCEVersion.current)
        suite = Suite(version: report.suite.suiteVersion, manifestSHA256: report.suite.manifestSHA256,
                      formatVersion: report.suite.formatVersion)
        implementation = report.implementation
        options = Options(maxULP: report.maxULP)
        summary = Summary(total: report.results.count, passed: report.count(.passed), failed: report.count(.failed),
                          notCovered: report.count(.notCovered), expectedFailures: report.count(.expectedFailure),
                          unexpectedPasses: report.count(.unexpectedPass), conformant: report.isConformant,
                          verdict: report.verdict, seconds: report.seconds)
        let c = report.coverage
        coverage = CoverageSummary(compared: c.compared, notCovered: c.notCovered, byReason: c.byReason,
                                   outputsNotCovered: c.outputsNotCovered, conformantFor: report.implementation.capabilities,
                                   requireFullCoverage: report.requireFullCoverage)
        implementationFailure = report.implementationFailure.map {
            Failure(caseID: $0.caseID, message: $0.message, stderrTail: $0.stderrTail)
        }
        cases = report.results.map { r in
            let s = r.comparison.stats
            let failed = r.status == .failed || r.status == .expectedFailure
            let details = failed ? FailureDetail.of(r) : []
            return Case(id: r.id, file: r.file, loss: r.loss.rawValue, dtype: r.dtype.rawValue, reduction: r.reduction.rawValue,
                        flags: r.flags, status: r.status, maxAbsError: s.maxAbsolute, maxRelError: s.maxRelative,
                        maxULP: s.maxULP, worstULPAt: s.worstULPAt.map { Location($0, withProblem: false) },
                        messages: r.comparison.messages, mismatchCount: r.comparison.mismatchCount,
                        mismatches: failed ? details.compactMap { d in d.mismatch.map { Location($0, detail: d) } }
                                           : r.comparison.mismatches.map { Location($0, withProblem: true) },
                        acceptedElements: r.comparison.acceptedElements, knownFailureReason: r.knownFailureReason,
                        reason: r.notCoveredReason, outputsNotCovered: r.uncoveredOutputs.isEmpty ? nil : r.uncoveredOutputs.map(\.rawValue),
                        seconds: r.seconds,
                        comment: failed ? r.golden.comment : nil,
                        problems: failed ? details.compactMap { d in d.message.map { CaseProblem(message: $0, kind: d.kind) } } : nil,
                        reproduce: failed ? report.invocation?.command(for: r.id) : nil,
                        request: failed ? report.invocation?.requestCommand(for: r.id) : nil)
        }
        let b = RunBreakdown(report)
        func rows(_ rows: [RunBreakdown.Row]) -> [String: BreakdownRow] {
            Dictionary(uniqueKeysWithValues: rows.map { ($0.name, BreakdownRow(cases: $0.cases, statuses: $0.statuses)) })
        }
        breakdown = Breakdown(byFlag: rows(b.byFlag), byConfiguration: rows(b.byConfiguration),
                              byKind: Dictionary(uniqueKeysWithValues: b.byKind.map {
                                  ($0.kind.rawValue, KindRow(cases: $0.cases, problems: $0.problems, example: $0.example))
                              }))
    }

    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    public static func render(_ report: RunReport) -> String {
        let data = (try? encoder().encode(JSONReport(report))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

extension JSONReport.Location {
    init(_ m: Mismatch, withProblem: Bool) {
        self.init(output: m.output, index: m.index, expected: m.expected, actual: m.actual, problem: withProblem ? m.problem : nil,
                  acceptable: m.acceptable.isEmpty ? nil : m.acceptable)
    }

    init(_ m: Mismatch, detail: FailureDetail) {
        self.init(m, withProblem: true)
        absError = m.absoluteError
        relError = m.relativeError
        ulp = m.ulps
        kind = detail.kind
        note = detail.note
        inputs = detail.elements
        reducedOver = detail.reducedOver
    }
}
