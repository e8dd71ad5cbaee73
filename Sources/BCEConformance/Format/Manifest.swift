import Crypto
import Foundation

/// golden/MANIFEST.json: the list of case files with their SHA-256, the case counts by catalogue
/// section, the flags and error kinds explained once, and the generator's provenance.
///
/// The manifest must list exactly one file per loss × dtype (`expectedPaths`), and its
/// `categories` must count the cases its files hold: a manifest that drops a file, or lists none,
/// is not a suite.
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
    /// Catalogue section → how many cases it has; they add up to the files' case counts.
    public let categories: [String: Int]
    /// Flag name → what it guards against.
    public let flags: [String: String]
    public let errorKinds: [String: String]
    /// The generator's provenance, flattened to strings for display ("python": "3.11.2", ...).
    public let generator: [String: String]
    /// Lowercase hex SHA-256 of MANIFEST.json's bytes: names the exact suite in reports.
    public let sha256: String

    public static let fileName = "MANIFEST.json"

    /// The case files a suite has: one per loss and dtype, `loss/dtype.json`.
    public static var expectedPaths: [String] {
        LossKind.allCases.flatMap { loss in DType.allCases.map { "\(loss.rawValue)/\($0.rawValue).json" } }
    }

    public static func read(_ data: Data) throws(GoldenFormatError) -> Manifest {
        let sha256 = sha256Hex(data)
        return try GoldenJSON.decode(data, file: fileName) { (top: GoldenFields) throws(GoldenFormatError) -> Manifest in
            try read(top, sha256: sha256)
        }
    }

    private static func read(_ top: GoldenFields, sha256: String) throws(GoldenFormatError) -> Manifest {
        let version = try top.int("format_version")
        guard version == GoldenFormat.version else { throw top.error("format_version", .unknownFormatVersion(version)) }
        let suiteVersion = try top.string("suite_version")
        var entries = [FileEntry]()
        var seenPaths = Set<String>()
        for f in try top.objects("files") {
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
        let missing = expectedPaths.filter { !seenPaths.contains($0) }
        guard missing.isEmpty else {
            throw top.error("files", .inconsistent(
                "does not list \(missing.joined(separator: ", ")): a suite has one file per loss and dtype (\(expectedPaths.count) files)"))
        }
        for (i, entry) in entries.enumerated() where !expectedPaths.contains(entry.path) {
            throw top.error("files[\(i)].path", .inconsistent(
                "\"\(entry.path)\" is not a case file of the format (loss/dtype.json for the losses and dtypes it names)"))
        }
        let categoriesFields = try top.object("categories")
        var categories = [String: Int]()
        for name in categoriesFields.keys {
            if let problem = GoldenNames.problem(name, .flag) { throw categoriesFields.error(nil, .inconsistent("a category name \(problem)")) }
            let count = try categoriesFields.int(name)
            guard count >= 0 else { throw categoriesFields.error(name, .inconsistent("must not be negative")) }
            categories[name] = count
        }
        // Hostile counts must not trap on overflow: nil then, which no sum equals.
        func total(_ counts: [Int]) -> Int? {
            var sum = 0
            for n in counts {
                let (s, overflow) = sum.addingReportingOverflow(n)
                if overflow { return nil }
                sum = s
            }
            return sum
        }
        let categorized = total(Array(categories.values)), listed = total(entries.map(\.cases))
        guard let categorized, let listed, categorized == listed else {
            throw categoriesFields.error(nil, .inconsistent(
                "count \(categorized.map(String.init) ?? "more than Int.max") cases in all, the files listed hold "
                    + "\(listed.map(String.init) ?? "more than Int.max"): the manifest does not describe its files"))
        }
        // The manifest may restate the dtype defaults (CONTRACTS section 3); they must be this runner's.
        if let defaults = try top.optionalObject("default_tolerance") {
            for key in defaults.keys where DType(rawValue: key) == nil {
                throw defaults.error(nil, .unknownValue(key, allowed: DType.allCases.map(\.rawValue)))
            }
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
        for name in flags.keys.sorted() {
            if let problem = GoldenNames.problem(name, .flag) { throw top.error("flags", .inconsistent("the flag name \(problem)")) }
        }
        let errorKinds = try stringMap(top, "error_kinds")
        var generator = [String: String]()
        if let g = try top.optionalObject("generator") {
            for key in g.keys { generator[key] = g.displayText(key) }
        }
        return Manifest(formatVersion: version, suiteVersion: suiteVersion, files: entries, categories: categories, flags: flags,
                        errorKinds: errorKinds, generator: generator, sha256: sha256)
    }

    private static func stringMap(_ top: GoldenFields, _ key: String) throws(GoldenFormatError) -> [String: String] {
        let object = try top.object(key)
        var result = [String: String]()
        for name in object.keys { result[name] = try object.string(name) }
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
