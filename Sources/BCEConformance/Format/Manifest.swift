import Crypto
import Foundation

/// golden/MANIFEST.json: the list of case files with their SHA-256, the flags and error kinds
/// explained once, and the generator's provenance.
public struct Manifest: Sendable {
    public struct FileEntry: Sendable, Equatable {
        /// Relative to the golden directory, e.g. "bce/float32.json".
        public let path: String
        /// Lowercase hex SHA-256 of the file's bytes.
        public let sha256: String
        public let cases: Int
    }

    public let formatVersion: Int
    public let suiteVersion: String
    public let files: [FileEntry]
    /// Flag name → what it guards against.
    public let flags: [String: String]
    public let errorKinds: [String: String]
    /// The generator's provenance, flattened to strings for display ("python": "3.11.2", ...).
    public let generator: [String: String]
    /// Lowercase hex SHA-256 of MANIFEST.json's bytes: names the exact suite in reports.
    public let sha256: String

    public static let fileName = "MANIFEST.json"

    public static func read(_ data: Data) throws(GoldenFormatError) -> Manifest {
        let file = fileName
        let top = try JSONFields.parse(data, file: file)
        let version = try top.int("format_version")
        guard version == GoldenFormat.version else { throw top.error("format_version", .unknownFormatVersion(version)) }
        let suiteVersion = try top.string("suite_version")
        var entries = [FileEntry]()
        var seenPaths = Set<String>()
        for (i, raw) in try top.array("files").enumerated() {
            guard let object = raw as? [String: Any] else { throw top.error("files[\(i)]", .wrongType(expected: "an object")) }
            let f = JSONFields(object, file: file, path: "files[\(i)]")
            let path = try f.string("path")
            guard isSafeRelativePath(path) else {
                throw f.error("path", .inconsistent("\"\(path)\" must be a relative path inside the golden directory"))
            }
            guard seenPaths.insert(path).inserted else { throw f.error("path", .inconsistent("\"\(path)\" is listed twice")) }
            let sha = try f.string("sha256")
            guard sha.utf8.count == 64, sha.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                throw f.error("sha256", .inconsistent("must be 64 lowercase hex characters"))
            }
            let cases = try f.int("cases")
            guard cases >= 0 else { throw f.error("cases", .inconsistent("must not be negative")) }
            entries.append(FileEntry(path: path, sha256: sha, cases: cases))
        }
        // The manifest may restate the dtype defaults (CONTRACTS section 3); they must be this runner's.
        if let defaults = try top.optionalObject("default_tolerance") {
            for dtype in DType.allCases where defaults.has(dtype.rawValue) {
                let t = try defaults.object(dtype.rawValue)
                let stated = Tolerance(rtol: try t.double("rtol"), atol: try t.double("atol"))
                guard stated == dtype.defaultTolerance else {
                    throw t.error(nil, .inconsistent(
                        "states rtol \(stated.rtol) atol \(stated.atol); the comparison policy's default is rtol \(dtype.defaultTolerance.rtol) atol \(dtype.defaultTolerance.atol)"))
                }
            }
        }
        let flags = try stringMap(top, "flags")
        let errorKinds = try stringMap(top, "error_kinds")
        var generator = [String: String]()
        if let g = try top.optionalObject("generator") {
            for (key, value) in g.object { generator[key] = "\(value)" }
        }
        return Manifest(formatVersion: version, suiteVersion: suiteVersion, files: entries, flags: flags,
                        errorKinds: errorKinds, generator: generator, sha256: sha256Hex(data))
    }

    private static func stringMap(_ top: JSONFields, _ key: String) throws(GoldenFormatError) -> [String: String] {
        let object = try top.object(key)
        var result = [String: String]()
        for (name, value) in object.object {
            guard let text = value as? String else { throw object.error(name, .wrongType(expected: "a string")) }
            result[name] = text
        }
        return result
    }

    private static func isSafeRelativePath(_ path: String) -> Bool {
        !path.isEmpty && !path.hasPrefix("/") && !path.split(separator: "/").contains("..")
    }
}

/// Lowercase hex SHA-256 of `data`.
public func sha256Hex(_ data: Data) -> String {
    SHA256.hash(data: data).map { byte in
        let s = String(byte, radix: 16)
        return byte < 16 ? "0" + s : s
    }.joined()
}
