import Foundation

/// A run's results broken down by flag, by loss/dtype/reduction and by kind of problem (issue 13),
/// computed once from the report for every writer (text, JSON, JUnit properties, HTML).
public struct RunBreakdown: Sendable {
    /// One group of cases and how many ended in each status (keys: `CaseStatus` raw values).
    public struct Row: Sendable, Equatable {
        public var name: String
        public var cases: Int
        public var statuses: [String: Int]
        public var failed: Int { statuses[CaseStatus.failed.rawValue] ?? 0 }
        public var passed: Int { statuses[CaseStatus.passed.rawValue] ?? 0 }
    }

    /// The failing cases (status failed) of one kind of problem, and their kept failing elements
    /// and case-level problems (a case counts under every kind its problems have).
    public struct KindRow: Sendable, Equatable {
        public var kind: ProblemKind
        public var cases: Int
        public var problems: Int
        /// The first failing case of this kind, as an example.
        public var example: String
    }

    /// Every flag that some result carries, the most failures first (then by name).
    public var byFlag: [Row]
    /// Every loss/dtype/reduction with a result, in the contract's order.
    public var byConfiguration: [Row]
    /// Every kind with a failing case, in `ProblemKind`'s order.
    public var byKind: [KindRow]

    public init(_ report: RunReport) {
        var flags = [String: Row]()
        var configurations = [String: Row]()
        var configurationOrder = [String: (Int, Int, Int)]()
        var kinds = [ProblemKind: KindRow]()
        for r in report.results {
            let status = r.status.rawValue
            for flag in Set(r.flags) {
                flags[flag, default: Row(name: flag, cases: 0, statuses: [:])].add(status)
            }
            let configuration = "\(r.loss.rawValue)/\(r.dtype.rawValue)/\(r.reduction.rawValue)"
            configurations[configuration, default: Row(name: configuration, cases: 0, statuses: [:])].add(status)
            configurationOrder[configuration] = (LossKind.allCases.firstIndex(of: r.loss) ?? 0, DType.allCases.firstIndex(of: r.dtype) ?? 0,
                                                 ReductionKind.allCases.firstIndex(of: r.reduction) ?? 0)
            guard r.status == .failed else { continue }
            var counted = Set<ProblemKind>()
            for detail in FailureDetail.of(r) {
                kinds[detail.kind, default: KindRow(kind: detail.kind, cases: 0, problems: 0, example: r.id)].problems += 1
                if counted.insert(detail.kind).inserted { kinds[detail.kind]?.cases += 1 }
            }
        }
        byFlag = flags.values.sorted { ($0.failed, $1.name) > ($1.failed, $0.name) }
        byConfiguration = configurations.values.sorted {
            let a = configurationOrder[$0.name]!, b = configurationOrder[$1.name]!
            return (a.0, a.1, a.2) < (b.0, b.1, b.2)
        }
        byKind = kinds.values.sorted { $0.kind < $1.kind }
    }

    /// The statuses in the order reports show them.
    public static let statusOrder = [CaseStatus.failed.rawValue] + CaseStatus.allCases.map(\.rawValue).filter { $0 != CaseStatus.failed.rawValue }
}

extension RunBreakdown.Row {
    mutating func add(_ status: String) {
        cases += 1
        statuses[status, default: 0] += 1
    }

    /// "3 failed, 37 passed of 40" (statuses with a count only).
    public var description: String {
        RunBreakdown.statusOrder.compactMap { s in statuses[s].map { "\($0) \(s.replacingOccurrences(of: "_", with: " "))" } }
            .joined(separator: ", ") + " of \(cases)"
    }
}
