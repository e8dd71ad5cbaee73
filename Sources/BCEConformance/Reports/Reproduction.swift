import Foundation

/// How a run was invoked, so a report can say how to rerun one failing case: the same
/// implementation and options, selected by the case's exact id (`--id '=ID'`).
public struct Invocation: Sendable, Equatable {
    /// The `--port` command, nil for the Swift library in-process.
    public var port: String?
    /// The options that change a case's verdict, as given (`--max-ulp 2`, `--timeout 30`, `--golden DIR`, ...).
    public var options: [String]

    public init(port: String?, options: [String] = []) {
        self.port = port
        self.options = options
    }

    /// `bce-conformance run --id '=ID' --port '...' OPTIONS`, quoted for a POSIX shell.
    public func command(for id: String) -> String {
        var words = ["bce-conformance", "run", "--id", Self.quote("=" + id)]
        if let port { words += ["--port", Self.quote(port)] }
        words += options.map(Self.quote)
        return words.joined(separator: " ")
    }

    /// `bce-conformance request ID`: the case's `run` line, to send to a port by hand.
    public func requestCommand(for id: String) -> String {
        var words = ["bce-conformance", "request", Self.quote(id)]
        // Of the options, only --golden matters to `request`.
        if let g = options.firstIndex(of: "--golden"), g + 1 < options.count { words += ["--golden", Self.quote(options[g + 1])] }
        return words.joined(separator: " ")
    }

    /// A word for /bin/sh: as it is when it has only safe characters, else in single quotes.
    public static func quote(_ word: String) -> String {
        let safe = word.unicodeScalars.allSatisfy { s in
            s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || "-_./=:,+@%".unicodeScalars.contains(s))
        }
        if safe, !word.isEmpty { return word }
        return "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
