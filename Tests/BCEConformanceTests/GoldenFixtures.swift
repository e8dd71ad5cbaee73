import Foundation
import BCEConformance

/// Small hand-written golden suites (format version 2), written to a fresh temporary directory per test.
enum GoldenFixtures {
    /// The format version the fixtures are written in.
    static let formatVersion = GoldenFormat.version

    static func tensor(_ dtype: DType, _ shape: [Int], _ values: [Double]) -> [String: Any] {
        ["dtype": dtype.rawValue, "shape": shape, "hex": HexCodec.encode(values, dtype: dtype)]
    }

    /// A bce mean case: loss of input p, target y is -(y log p + (1-y) log(1-p)), meaned.
    static func bceCase(id: String = "bce/float32/mean/simple", dtype: DType = .float32,
                        input: [Double] = [0.25, 0.5], target: [Double] = [0, 1],
                        loss: Double? = nil, flags: [String] = ["boundary"]) -> [String: Any] {
        let expected = loss ?? zip(input, target).map { p, y in -(y * Foundation.log(p) + (1 - y) * Foundation.log(1 - p)) }
            .reduce(0, +) / Double(input.count)
        return [
            "id": id, "comment": "hand-written", "flags": flags, "loss": "bce", "dtype": dtype.rawValue,
            "reduction": "mean",
            "inputs": ["input": tensor(dtype, [input.count], input), "target": tensor(dtype, [target.count], target)],
            "expected": ["loss": tensor(dtype, [], [dtype.rounded(expected)])],
        ]
    }

    static func errorCase(id: String = "bce/float32/none/input-above-one", kind: String = "input_out_of_range") -> [String: Any] {
        [
            "id": id, "comment": "p > 1", "flags": [String](), "loss": "bce", "dtype": "float32", "reduction": "none",
            "inputs": ["input": tensor(.float32, [1], [1.5]), "target": tensor(.float32, [1], [1])],
            "expected_error": kind,
        ]
    }

    static func caseFile(loss: String = "bce", dtype: String = "float32", cases: [[String: Any]]) -> [String: Any] {
        ["format_version": formatVersion, "loss": loss, "dtype": dtype, "cases": cases]
    }

    /// An empty case file for a path "loss/dtype.json".
    static func emptyFile(for path: String) -> [String: Any] {
        let parts = path.dropLast(".json".count).split(separator: "/").map(String.init)
        return caseFile(loss: parts[0], dtype: parts[1], cases: [])
    }

    static func json(_ object: Any) -> Data {
        try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
    }

    static let defaultFlags = ["boundary": "edges", "signed-zero": "sign of zero",
                               "pytorch-arithmetic": "an acceptable alternative widens the verdict"]

    /// Writes MANIFEST.json and the given files (path → file object) into a new temp directory;
    /// the loss × dtype files not given are written empty (a suite has all of them), and the
    /// manifest's `categories` count every case as "test".
    static func writeSuite(_ given: [String: [String: Any]], flags: [String: String] = defaultFlags) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bce-golden-\(UUID().uuidString)")
        var files = given
        for path in Manifest.expectedPaths where files[path] == nil { files[path] = emptyFile(for: path) }
        var entries = [[String: Any]]()
        var total = 0
        for (path, object) in files.sorted(by: { $0.key < $1.key }) {
            let data = json(object)
            let url = dir.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
            let count = (object["cases"] as? [Any])?.count ?? 0
            total += count
            entries.append(["path": path, "sha256": sha256Hex(data), "cases": count])
        }
        let manifest: [String: Any] = [
            "format_version": formatVersion, "suite_version": "0.0.1-test", "files": entries, "flags": flags,
            "categories": ["test": total],
            "error_kinds": Dictionary(uniqueKeysWithValues: ErrorKinds.all.map { ($0, "test") }),
            "generator": ["script": "hand-written", "seed": 1],
        ]
        try json(manifest).write(to: dir.appendingPathComponent("MANIFEST.json"))
        return dir
    }

    static func standardSuite() throws -> URL {
        try writeSuite(["bce/float32.json": caseFile(cases: [bceCase(), errorCase()])])
    }
}
