import Foundation
import Testing
@testable import BCEConformance

/// Hand-made corruptions of a golden suite, through the built executable: `verify` and `run` give
/// exit code 3 with a message naming the file and, where there is one, the case id and the field.
/// The checksum stays consistent (the manifest is rewritten), so each reaches the format check.
/// (A byte flipped under an unchanged manifest, and an unknown MANIFEST.json format version, are
/// in EndToEndTests.)
@Suite("Hostile golden files: exit 3 naming file, case and field", .serialized)
struct HostileGoldenTests {
    struct Corruption: CustomStringConvertible, Sendable {
        var name: String
        /// What the message must name.
        var file: String
        var caseID: String?
        var field: String?
        var says: String
        var description: String { name }
    }

    static let file = "bce/float32.json"
    static let victim = "bce/float32/mean/weighted"

    static let corruptions: [Corruption] = [
        Corruption(name: "truncated", file: file, says: "is not valid JSON"),
        Corruption(name: "hex too short for the dtype", file: file, caseID: victim, field: "inputs.weight.hex",
                   says: "hex has 30 characters, expected 32"),
        Corruption(name: "shape not matching the element count", file: file, caseID: victim, field: "inputs.input.hex",
                   says: "hex has 32 characters, expected 40"),
        Corruption(name: "unknown dtype", file: file, caseID: victim, field: "dtype", says: "unknown value \"bfloat16\""),
        Corruption(name: "unknown tensor dtype", file: file, caseID: victim, field: "inputs.target.dtype", says: "unknown value \"float8\""),
        Corruption(name: "unknown format version", file: file, field: "format_version", says: "unknown format version 7"),
        Corruption(name: "duplicate ids", file: file, caseID: victim, field: "id", says: "duplicate case id"),
        Corruption(name: "NaN token in a shape", file: file, says: "is not valid JSON"),
        Corruption(name: "a number where a TENSOR is expected", file: file, caseID: victim, field: "expected.loss",
                   says: "must be an object"),
    ]

    /// Writes the synthetic suite with `corruption` applied to bce/float32.json.
    func write(_ corruption: Corruption) throws -> URL {
        let files = SyntheticSuite.cases()
        var cases = files[Self.file]!
        let at = cases.firstIndex { $0["id"] as? String == Self.victim }!
        var fileObject: [String: Any] = ["format_version": 1, "loss": "bce", "dtype": "float32"]
        func editTensor(_ group: String, _ key: String, _ edit: (inout [String: Any]) -> Void) {
            var g = cases[at][group] as! [String: Any]
            var t = g[key] as! [String: Any]
            edit(&t)
            g[key] = t
            cases[at][group] = g
        }
        var rawEdit: ((String) -> String)?
        switch corruption.name {
        case "hex too short for the dtype": editTensor("inputs", "weight") { $0["hex"] = String(($0["hex"] as! String).dropLast(2)) }
        case "shape not matching the element count": editTensor("inputs", "input") { $0["shape"] = [5] }
        case "unknown dtype": cases[at]["dtype"] = "bfloat16"
        case "unknown tensor dtype": editTensor("inputs", "target") { $0["dtype"] = "float8" }
        case "unknown format version": fileObject["format_version"] = 7
        case "duplicate ids": cases.append(cases[at])
        case "NaN token in a shape":
            editTensor("inputs", "input") { $0["shape"] = ["NaN here"] }
            rawEdit = { $0.replacingOccurrences(of: "\"NaN here\"", with: "NaN") }
        case "a number where a TENSOR is expected":
            var e = cases[at]["expected"] as! [String: Any]
            e["loss"] = Double.pi
            cases[at]["expected"] = e
        case "truncated": rawEdit = { String($0.prefix($0.count / 2)) }
        default: Issue.record("no such corruption \(corruption.name)")
        }
        fileObject["cases"] = cases
        var objects = files.mapValues { c in
            GoldenFixtures.caseFile(loss: c[0]["loss"] as! String, dtype: c[0]["dtype"] as! String, cases: c)
        }
        objects[Self.file] = fileObject
        let dir = try GoldenFixtures.writeSuite(objects, flags: SyntheticSuite.flags)
        if let rawEdit {
            let url = dir.appendingPathComponent(Self.file)
            let edited = rawEdit(try String(contentsOf: url, encoding: .utf8))
            #expect(edited != (try String(contentsOf: url, encoding: .utf8)), "\(corruption): the edit changed nothing")
            try HostileGoldenTests.replace(Self.file, in: dir, with: Data(edited.utf8))
        }
        return dir
    }

    /// Replaces a case file and rewrites its SHA-256 in MANIFEST.json.
    static func replace(_ path: String, in dir: URL, with data: Data) throws {
        try data.write(to: dir.appendingPathComponent(path))
        let manifestURL = dir.appendingPathComponent("MANIFEST.json")
        var manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: manifestURL)) as! [String: Any]
        manifest["files"] = (manifest["files"] as! [[String: Any]]).map { entry in
            var e = entry
            if e["path"] as? String == path { e["sha256"] = sha256Hex(data) }
            return e
        }
        try GoldenFixtures.json(manifest).write(to: manifestURL)
    }

    @Test(arguments: corruptions)
    func aCorruptionGivesExitCode3NamingWhere(_ corruption: Corruption) throws {
        let dir = try write(corruption)
        defer { try? FileManager.default.removeItem(at: dir) }
        for command in ["verify", "run", "list"] {
            let r = try Tool.run([command, "--golden", dir.path])
            #expect(r.status == 3, "\(corruption), \(command): \(r.description)")
            #expect(r.stderr.contains(corruption.file), "\(corruption), \(command): \(r.description)")
            if let id = corruption.caseID { #expect(r.stderr.contains("case \(id)"), "\(corruption): \(r.description)") }
            if let field = corruption.field { #expect(r.stderr.contains("field \(field)"), "\(corruption): \(r.description)") }
            #expect(r.stderr.contains(corruption.says), "\(corruption), \(command): \(r.description)")
        }
    }

    /// A 2 GB line (a sparse file: no disk is used) as a case file and as MANIFEST.json: rejected
    /// by its size before it is read, at a memory cost far below the file's.
    @Test func aTwoGigabyteLineIsRejectedBeforeItIsRead() throws {
        let fm = FileManager.default
        for victim in [Self.file, "MANIFEST.json"] {
            let dir = try SyntheticSuite.write()
            defer { try? fm.removeItem(at: dir) }
            let url = dir.appendingPathComponent(victim)
            let handle = try FileHandle(forWritingTo: url)
            try handle.truncate(atOffset: 2 << 30)   // 2 GiB of zeros: one line, no newline
            try handle.close()
            for command in ["verify", "run"] {
                let r = try Tool.run([command, "--golden", dir.path])
                #expect(r.status == 3, "\(victim), \(command): \(r.description)")
                #expect(r.stderr.contains("\(victim): is \(2 << 30) bytes, more than the \(GoldenSuite.maxFileBytes) bytes"),
                        "\(victim), \(command): \(r.description)")
            }
        }
        // The largest child reaped so far (every run above, and whatever ran before) stayed small.
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        #expect(usage.ru_maxrss < 1 << 20, "a child reached \(usage.ru_maxrss) KiB")   // KiB on Linux: < 1 GiB
    }
}
