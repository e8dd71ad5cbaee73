import Foundation

/// What a golden file's bytes must be, checked on the raw bytes in one pass before the JSON is
/// decoded (CONTRACTS section 2, golden/FORMAT.md):
///
/// - ASCII only (so no byte order mark and no non-ASCII character: text outside ASCII is
///   written as `\u` escapes);
/// - `\n` line ends (a carriage return anywhere is an error: CRLF is not the format);
/// - strict JSON (RFC 8259) everywhere, in fields the reader ignores too: JSONDecoder checks a
///   number's or a string's syntax only when a field is decoded, and accepts trailing commas;
/// - no key twice in one object (readers disagree on which value wins; Python's json keeps the
///   last, others the first);
/// - at most `maxDepth` nested arrays and objects.
///
/// Case names (ids, flags, alternative sources) are restricted to `GoldenNames` separately.
package enum GoldenBytes {
    /// Deepest nesting of arrays and objects (a golden file nests 6 deep; JSONDecoder refuses 512).
    package static let maxDepth = 256

    /// ASCII, no byte order mark, no carriage return; run before the JSON is parsed.
    static func checkEncoding(_ data: Data, file: String) throws(GoldenFormatError) {
        if let problem = data.withUnsafeBytes({ encodingProblem($0.bindMemory(to: UInt8.self)) }) {
            throw GoldenFormatError(file: file, reason: problem)
        }
    }

    /// Strict JSON, no key twice in one object, bounded nesting; run on bytes `checkEncoding` accepted.
    static func checkSyntax(_ data: Data, file: String) throws(GoldenFormatError) {
        if let problem = data.withUnsafeBytes({ syntaxProblem($0.bindMemory(to: UInt8.self)) }) {
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

    /// The first syntax problem or repeated key. One pass with an explicit stack (no recursion).
    /// Keys are compared after unescaping (`"a"` and `"\u0061"` are one key).
    private static func syntaxProblem(_ bytes: UnsafeBufferPointer<UInt8>) -> GoldenFormatError.Reason? {
        enum Expect { case value, valueOrClose, key, keyOrClose, colon, commaOrClose, end }
        // One entry per open container: the keys seen so far, nil for an array.
        var stack: [Set<String>?] = []
        var expect = Expect.value
        var i = 0
        func invalid(_ why: String, at offset: Int) -> GoldenFormatError.Reason {
            .invalidJSON("\(why) (line \(line(of: min(offset, bytes.count), in: bytes)))")
        }
        func shown(_ b: UInt8) -> String { (0x21..<0x7F).contains(b) ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16))" }
        while true {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x09 || bytes[i] == 0x0D { i += 1 }
            guard i < bytes.count else {
                return expect == .end ? nil : invalid(bytes.isEmpty ? "the file is empty" : "unexpected end of the file", at: i)
            }
            let b = bytes[i]
            switch expect {
            case .end:
                return invalid("unexpected \(shown(b)) after the top-level value", at: i)
            case .colon:
                guard b == UInt8(ascii: ":") else { return invalid("expected ':' after a key, found \(shown(b))", at: i) }
                i += 1
                expect = .value
                continue
            case .commaOrClose:
                let isObject = stack.last! != nil
                if b == UInt8(ascii: ",") {
                    i += 1
                    expect = isObject ? .key : .value
                    continue
                }
                guard b == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else {
                    return invalid("expected ',' or '\(isObject ? "}" : "]")', found \(shown(b))", at: i)
                }
                i += 1
                stack.removeLast()
            case .key, .keyOrClose:
                if expect == .keyOrClose, b == UInt8(ascii: "}") {
                    i += 1
                    stack.removeLast()
                } else {
                    guard b == UInt8(ascii: "\"") else {
                        return invalid(expect == .key && b == UInt8(ascii: "}") ? "a trailing comma before '}'" : "expected a key string, found \(shown(b))", at: i)
                    }
                    let start = i
                    switch scanString(bytes, &i, keepText: true) {
                    case .failure(let problem): return invalid(problem.why, at: i)
                    case .success(let key):
                        if stack[stack.count - 1]!.insert(key).inserted == false {
                            return .duplicateKey(key, line: line(of: start, in: bytes))
                        }
                    }
                    expect = .colon
                    continue
                }
            case .value, .valueOrClose:
                if expect == .valueOrClose, b == UInt8(ascii: "]") {
                    i += 1
                    stack.removeLast()
                } else {
                    switch b {
                    case UInt8(ascii: "{"), UInt8(ascii: "["):
                        guard stack.count < maxDepth else { return invalid("arrays and objects nest more than \(maxDepth) deep", at: i) }
                        stack.append(b == UInt8(ascii: "{") ? Set<String>() : nil)
                        i += 1
                        expect = b == UInt8(ascii: "{") ? .keyOrClose : .valueOrClose
                        continue
                    case UInt8(ascii: "\""):
                        if case .failure(let problem) = scanString(bytes, &i, keepText: false) { return invalid(problem.why, at: i) }
                    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                        if let why = scanNumber(bytes, &i) { return invalid(why, at: i) }
                    case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                        let literal = b == UInt8(ascii: "t") ? "true" : b == UInt8(ascii: "f") ? "false" : "null"
                        guard bytes.count - i >= literal.utf8.count, zip(bytes[i...], literal.utf8).allSatisfy({ $0 == $1 }) else {
                            return invalid("expected \(literal)", at: i)
                        }
                        i += literal.utf8.count
                    default:
                        return invalid(expect == .valueOrClose || b != UInt8(ascii: "]") ? "expected a value, found \(shown(b))"
                                       : "a trailing comma before ']'", at: i)
                    }
                }
            }
            // A value (or a container) ended.
            expect = stack.isEmpty ? .end : .commaOrClose
        }
    }

    private struct Problem: Error { let why: String }

    /// Scans the string token starting at `i` (a quote); on success `i` is past its closing quote
    /// and, with `keepText`, the result is its unescaped text.
    private static func scanString(_ bytes: UnsafeBufferPointer<UInt8>, _ i: inout Int, keepText: Bool) -> Result<String, Problem> {
        let start = i
        i += 1
        var escaped = false
        var text = String.UnicodeScalarView()
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= bytes.count else { return nil }
            var v: UInt32 = 0
            for b in bytes[at..<at + 4] {
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): v = v << 4 | UInt32(b - 48)
                case UInt8(ascii: "a")...UInt8(ascii: "f"): v = v << 4 | UInt32(b - 87)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): v = v << 4 | UInt32(b - 55)
                default: return nil
                }
            }
            return v
        }
        while i < bytes.count {
            let b = bytes[i]
            // The common byte of a hex string or a comment: nothing to check or keep.
            if b >= 0x20, b != UInt8(ascii: "\""), b != UInt8(ascii: "\\") {
                if keepText { text.append(Unicode.Scalar(b)) }
                i += 1
                continue
            }
            switch b {
            case UInt8(ascii: "\""):
                i += 1
                guard keepText else { return .success("") }
                if !escaped { return .success(String(decoding: UnsafeBufferPointer(rebasing: bytes[(start + 1)..<(i - 1)]), as: UTF8.self)) }
                return .success(String(text))
            case UInt8(ascii: "\\"):
                escaped = true
                guard i + 1 < bytes.count else { return .failure(Problem(why: "a string that does not end")) }
                let e = bytes[i + 1]
                let simple: KeyValuePairs<UInt8, Unicode.Scalar> = [0x22: "\"", 0x5C: "\\", 0x2F: "/", 0x62: "\u{8}", 0x66: "\u{C}", 0x6E: "\n", 0x72: "\r", 0x74: "\t"]
                if let scalar = simple.first(where: { $0.key == e })?.value {
                    if keepText { text.append(scalar) }
                    i += 2
                    continue
                }
                guard e == UInt8(ascii: "u") else { return .failure(Problem(why: "invalid escape \\\(Character(Unicode.Scalar(e))) in a string")) }
                guard let unit = hex4(i + 2) else { return .failure(Problem(why: "\\u needs four hex digits")) }
                i += 6
                if (0xDC00...0xDFFF).contains(unit) { return .failure(Problem(why: "a low surrogate \\u\(String(unit, radix: 16)) without a high one")) }
                if (0xD800...0xDBFF).contains(unit) {
                    guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u"),
                          let low = hex4(i + 2), (0xDC00...0xDFFF).contains(low) else {
                        return .failure(Problem(why: "a high surrogate \\u\(String(unit, radix: 16)) without a low one"))
                    }
                    i += 6
                    if keepText { text.append(Unicode.Scalar(0x10000 + (unit - 0xD800) << 10 + (low - 0xDC00))!) }
                } else if keepText {
                    text.append(Unicode.Scalar(unit)!)
                }
                continue
            default:
                return .failure(Problem(why: "a control character (0x\(String(b, radix: 16))) in a string: it must be escaped"))
            }
        }
        return .failure(Problem(why: "a string that does not end"))
    }

    /// Scans the number token at `i` (RFC 8259: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`);
    /// nil when valid, `i` then past it.
    private static func scanNumber(_ bytes: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> String? {
        func digit(_ at: Int) -> Bool { at < bytes.count && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at]) }
        func digits() -> Bool {
            guard digit(i) else { return false }
            while digit(i) { i += 1 }
            return true
        }
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        if i < bytes.count, bytes[i] == UInt8(ascii: "0") {
            i += 1
            if digit(i) { return "a number with a leading zero" }
        } else if !digits() {
            return "'-' without digits"
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() else { return "a number without digits after its '.'" }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() else { return "a number without digits in its exponent" }
        }
        return nil
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
