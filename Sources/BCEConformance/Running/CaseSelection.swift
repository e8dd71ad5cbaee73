/// Which golden cases a run or a listing covers: filters, then a shard of what is left.
public struct CaseSelection: Sendable {
    /// Glob patterns over case ids (`*` any run, `?` one character); a pattern without wildcards
    /// matches ids that contain it. Empty: every id.
    public var idPatterns: [String] = []
    public var losses: Set<LossKind> = []
    public var dtypes: Set<DType> = []
    public var reductions: Set<ReductionKind> = []
    /// A case is selected when it carries any of these flags. Empty: no flag filter.
    public var flags: Set<String> = []
    public var shard: Shard?

    public init() {}

    public func matches(_ c: GoldenCase) -> Bool {
        if !idPatterns.isEmpty, !idPatterns.contains(where: { IDPattern.matches($0, c.id) }) { return false }
        if !losses.isEmpty, !losses.contains(c.loss) { return false }
        if !dtypes.isEmpty, !dtypes.contains(c.dtype) { return false }
        if !reductions.isEmpty, !reductions.contains(c.reduction) { return false }
        if !flags.isEmpty, flags.isDisjoint(with: c.flags) { return false }
        return true
    }

    /// The selected cases in suite order. Sharding deals the whole suite round-robin by position
    /// (before filtering), so shard membership of a case never depends on the other filters and
    /// the N shards of any filter partition its cases exactly.
    public func select(_ cases: [GoldenCase]) -> [GoldenCase] {
        cases.enumerated().compactMap { position, c in
            if let shard, position % shard.count != shard.index - 1 { return nil }
            return matches(c) ? c : nil
        }
    }
}

/// `--shard I/N`: the I-th of N parts, 1-based (1/4 ... 4/4), as CI matrix indices usually are.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, (1...n).contains(i) else { return nil }
        index = i
        count = n
    }

    public var description: String { "\(index)/\(count)" }
}

/// Case id patterns, shared by the filters and the known-failures file.
public enum IDPattern {
    /// `=ID` matches exactly that id (ids never start with "="; reproduction commands use it);
    /// a pattern with `*` or `?` is a glob over the whole id; any other pattern matches ids containing it.
    public static func matches(_ pattern: String, _ id: String) -> Bool {
        if pattern.hasPrefix("=") { return pattern.dropFirst() == id[...] }
        if !pattern.contains("*"), !pattern.contains("?") { return id.contains(pattern) }
        return glob(Array(pattern.utf8)[...], Array(id.utf8)[...])
    }

    private static func glob(_ p: ArraySlice<UInt8>, _ s: ArraySlice<UInt8>) -> Bool {
        // Iterative matcher with single-star backtracking: linear for the patterns people write.
        var pi = p.startIndex, si = s.startIndex
        var star: Int?, starMatch = s.startIndex
        while si < s.endIndex {
            if pi < p.endIndex, p[pi] == UInt8(ascii: "?") || p[pi] == s[si] {
                pi += 1; si += 1
            } else if pi < p.endIndex, p[pi] == UInt8(ascii: "*") {
                star = pi; starMatch = si; pi += 1
            } else if let star {
                pi = star + 1; starMatch += 1; si = starMatch
            } else {
                return false
            }
        }
        while pi < p.endIndex, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.endIndex
    }
}
