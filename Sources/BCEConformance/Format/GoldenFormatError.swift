/// Everything that can be wrong with the golden files, with where it is: file, case id and field.
///
/// The reader throws this for every malformed input and never traps; `verify` and `run` turn it
/// into exit code 3.
public struct GoldenFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file, relative to the golden directory when known (e.g. "bce/float32.json", "MANIFEST.json").
    public var file: String
    /// The case id, when the problem is inside a case whose id could be read.
    public var caseID: String?
    /// A dotted path to the field, e.g. "inputs.weight.hex" (nil for file-level problems).
    public var field: String?
    public var reason: Reason

    public enum Reason: Equatable, Sendable, CustomStringConvertible {
        case unreadable(String)
        case tooLarge(bytes: Int, limit: Int)
        case invalidJSON(String)
        case missingField
        case wrongType(expected: String)
        case unknownFormatVersion(Int)
        case unknownValue(String, allowed: [String])
        case invalidHex(HexCodec.DecodeError)
        case invalidShape(GoldenTensor.ShapeError)
        case dtypeMismatch(expected: String, actual: String)
        case shapeMismatch(expected: [Int], actual: [Int])
        case duplicateID(firstIn: String)
        case checksumMismatch(expected: String, actual: String)
        case caseCountMismatch(expected: Int, actual: Int)
        /// The same key twice in one JSON object (`line` of the second, 1-based): JSON readers
        /// disagree on which value wins, so the format has none.
        case duplicateKey(String, line: Int)
        /// The bytes are not the format's: ASCII with `\n` line ends, no byte order mark.
        case encoding(String)
        case inconsistent(String)

        public var description: String {
            switch self {
            case .unreadable(let why): "cannot be read: \(why)"
            case .tooLarge(let bytes, let limit): "is \(bytes) bytes, more than the \(limit) bytes a golden file may have"
            case .invalidJSON(let why): "is not valid JSON: \(why)"
            case .missingField: "is missing"
            case .wrongType(let expected): "must be \(expected)"
            case .unknownFormatVersion(let v):
                "unsupported format version \(v): this runner reads format version \(GoldenFormat.version) only (suite "
                    + "\(GoldenFormat.version).x); regenerate the golden files with this runner (`bce-conformance regenerate`), "
                    + "or check them with the runner of the suite that wrote them"
            case .unknownValue(let v, let allowed): "unknown value \"\(v)\" (expected one of \(allowed.joined(separator: ", ")))"
            case .invalidHex(let e): e.description
            case .invalidShape(let e): e.description
            case .dtypeMismatch(let expected, let actual): "dtype \(actual) differs from the case dtype \(expected)"
            case .shapeMismatch(let expected, let actual): "shape \(actual), expected \(expected)"
            case .duplicateID(let first): "duplicate case id (first defined in \(first))"
            case .checksumMismatch(let expected, let actual): "SHA-256 \(actual) does not match the manifest's \(expected)"
            case .caseCountMismatch(let expected, let actual): "holds \(actual) cases, the manifest says \(expected)"
            case .duplicateKey(let key, let line): "key \"\(key)\" appears twice in one object (line \(line))"
            case .encoding(let why): why
            case .inconsistent(let why): why
            }
        }
    }

    public init(file: String, caseID: String? = nil, field: String? = nil, reason: Reason) {
        self.file = file
        self.caseID = caseID
        self.field = field
        self.reason = reason
    }

    public var description: String {
        var where_ = file
        if let caseID { where_ += ": case \(caseID)" }
        if let field { where_ += ": field \(field)" }
        return "\(where_): \(reason)"
    }
}

/// The golden format this runner reads (docs/CONTRACTS.md sections 0 and 2). Any other version,
/// version 1 included, is refused (exit code 3).
public enum GoldenFormat {
    public static let version = 2
}
