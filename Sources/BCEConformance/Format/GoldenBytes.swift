import Foundation

/// What a golden file's bytes must be beyond valid JSON (CONTRACTS section 2, golden/FORMAT.md),
/// checked on the raw bytes because JSONSerialization accepts more and keeps no trace of it:
///
/// - ASCII only (so no byte order mark and no non-ASCII character: text outside ASCII is
///   written as `\u` escapes);
/// - `\n` line ends (a carriage return anywhere is an error: CRLF is not the format);
/// - no key twice in one object (readers disagree on which value wins; JSONSerialization keeps
///   the last, Python's json the last, others the first).
///
/// Case names (ids, flags, alternative sources) are restricted to `GoldenNames` separately.
enum GoldenBytes {
    /// ASCII, no byte order mark, no carriage return; run before the JSON is parsed.
    static func checkEncoding(_ data: Data, file: String) throws(GoldenFormatError) {
        if let problem = data.withUnsafeBytes({ encodingProblem($0.bindMemory(to: UInt8.self)) }) {
            throw GoldenFormatError(file: file, reason: problem)
        }
    }

    /// No key twice in one object; run on bytes JSONSerialization accepted.
    static func checkKeys(_ data: Data, file: String) throws(GoldenFormatError) {
        if let problem = data.withUnsafeBytes({ duplicateKey($0.bindMemory(to: UInt8.self)) }) {
            throw GoldenFormatError(file: file, reason: problem)
        }
    }

    private static func line(of offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var line = 1
        for i in 0..<offset where bytes[i] == 0x0A { line += 1 }
        return line
    }

    private static func encodingProblem(_ bytes: UnsafeBufferPointer<UInt8>) -> GoldenFormatError.Reason? {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            return .encoding("starts with a UTF-8 byte order mark: golden files are ASCII without one")
        }
        for i in 0..<bytes.count {
            let b = bytes[i]
            if b == 0x0D {
                return .encoding("has a carriage return (line \(line(of: i, in: bytes))): golden files end lines with \\n only, not CRLF")
            }
            if b >= 0x80 {
                return .encoding("has a byte that is not ASCII (0x\(String(b, radix: 16)) at line \(line(of: i, in: bytes))): "
                                 + "golden files are ASCII, other characters are written as \\u escapes")
            }
        }
        return nil
    }

    /// The first key that repeats within one object. Runs on text JSONSerialization accepted, so
    /// the structure is valid; keys are compared after unescaping (`"a"` and `"\u0061"` are one key).
    private static func duplicateKey(_ bytes: UnsafeBufferPointer<UInt8>) -> GoldenFormatError.Reason? {
        // One entry per open container: the keys seen so far (nil for an array), and whether the
        // next string in it is a key.
        var stack: [(keys: Set<String>?, expectingKey: Bool)] = []
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "{"): stack.append((Set(), true))
            case UInt8(ascii: "["): stack.append((nil, false))
            case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = stack.popLast()
            case UInt8(ascii: ","):
                if stack.last?.keys != nil { stack[stack.count - 1].expectingKey = true }
            case UInt8(ascii: "\""):
                let start = i
                var escaped = false
                i += 1
                while i < bytes.count {
                    let b = bytes[i]
                    if b == UInt8(ascii: "\\") { escaped = true; i += 2; continue }
                    if b == UInt8(ascii: "\"") { break }
                    i += 1
                }
                if let top = stack.last, top.keys != nil, top.expectingKey {
                    let key = keyText(bytes, start..<min(i + 1, bytes.count), escaped: escaped)
                    stack[stack.count - 1].expectingKey = false
                    if stack[stack.count - 1].keys!.insert(key).inserted == false {
                        return .duplicateKey(key, line: line(of: start, in: bytes))
                    }
                }
            default: break
            }
            i += 1
        }
        return nil
    }

    /// The text of the string token at `range` (quotes included).
    private static func keyText(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, escaped: Bool) -> String {
        let token = UnsafeBufferPointer(rebasing: bytes[range])
        if escaped, let s = try? JSONSerialization.jsonObject(with: Data(token), options: [.fragmentsAllowed]) as? String {
            return s
        }
        return String(decoding: UnsafeBufferPointer(rebasing: token.dropFirst().dropLast()), as: UTF8.self)
    }
}

/// The characters golden names may have, as golden/schema/ states them: printable lowercase
/// ASCII only, at most 200 characters. Names are printed one per line and tab-separated (`list`),
/// in JUnit and in terminals: a newline, a NUL, a tab or a bidirectional override in one would
/// break or disguise that output. A bad name is never printed, only the code of its first bad
/// character.
public enum GoldenNames {
    public static let maxLength = 200

    public enum Kind: Sendable {
        /// A case id: "loss/dtype/reduction/" then a name of `a-z 0-9 . + -` starting with a letter
        /// or digit (the schema's pattern; the reader checks the prefix against the case).
        case caseID
        /// A flag or a category of MANIFEST.json: `a-z 0-9 -`.
        case flag
        /// An acceptable alternative's source: `a-z 0-9 . + -`.
        case source

        var description: String {
            switch self {
            case .caseID: "a-z 0-9 . + - after \"loss/dtype/reduction/\""
            case .flag: "a-z 0-9 -"
            case .source: "a-z 0-9 . + -"
            }
        }

        func allows(_ s: Unicode.Scalar) -> Bool {
            switch s {
            case "a"..."z", "0"..."9", "-": true
            case ".", "+": self != .flag
            case "/", "_": self == .caseID   // in the prefix ("bce_with_logits/...")
            default: false
            }
        }
    }

    /// Why `name` is not a valid name of `kind`, or nil.
    public static func problem(_ name: String, _ kind: Kind) -> String? {
        let scalars = Array(name.unicodeScalars)
        guard !scalars.isEmpty else { return "must not be empty" }
        guard scalars.count <= maxLength else { return "has \(scalars.count) characters, more than \(maxLength)" }
        for (i, s) in scalars.enumerated() where !kind.allows(s) {
            let code = String(s.value, radix: 16, uppercase: true)
            return "has U+\(String(repeating: "0", count: max(0, 4 - code.count)) + code) at character \(i + 1): "
                + "names are made of \(kind.description)"
        }
        if kind == .caseID {
            let parts = name.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count == 4, let first = parts[3].unicodeScalars.first, ("a"..."z").contains(first) || ("0"..."9").contains(first),
                  !parts[3].contains("/"), !parts[3].contains("_") else {
                return "is not \"loss/dtype/reduction/name\" with a name of \(Kind.source.description) starting with a letter or digit"
            }
        }
        return nil
    }
}
