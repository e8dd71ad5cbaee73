/// `--known-failures FILE`: cases an implementation is known to fail, each with a reason.
///
/// One entry per line: an id pattern (see `IDPattern`), whitespace, then the reason (required).
/// Blank lines and lines starting with `#` are ignored.
///
/// ```
/// # float16 sum of 100,000 elements: we accumulate in float16
/// bce/float16/sum/large-*   accumulates in float16, see issue #12
/// ```
public struct KnownFailures: Sendable {
    public struct Entry: Sendable, Equatable {
        public var pattern: String
        public var reason: String
        public var line: Int
        package init(pattern: String, reason: String, line: Int) { (self.pattern, self.reason, self.line) = (pattern, reason, line) }
    }

    public var entries: [Entry]

    public init(entries: [Entry] = []) {
        self.entries = entries
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    public static func parse(_ text: String) throws(ParseError) -> KnownFailures {
        var entries = [Entry]()
        for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let pattern = line.prefix { !$0.isWhitespace }
            let reason = line.dropFirst(pattern.count).trimmingWhitespace()
            guard !reason.isEmpty else {
                throw ParseError(line: n + 1, message: "\"\(pattern)\" needs a reason after the pattern")
            }
            entries.append(Entry(pattern: String(pattern), reason: String(reason), line: n + 1))
        }
        return KnownFailures(entries: entries)
    }

    /// The first entry whose pattern matches `id`.
    public func entry(for id: String) -> Entry? {
        entries.first { IDPattern.matches($0.pattern, id) }
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var s = self
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return s
    }
}
