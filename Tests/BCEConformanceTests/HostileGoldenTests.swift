import Foundation
import Testing
import BCEConformance

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
        Corruption(name: "unknown dtype", file: file, caseID: victim, field: "dtype", says: "unknown value \"bfloat8\""),
        Corruption(name: "unknown tensor dtype", file: file, caseID: victim, field: "inputs.target.dtype", says: "unknown value \"float8\""),
        Corruption(name: "unknown format version", file: file, field: "format_version", says: "unsupported format version 7"),
        Corruption(name: "format version 1", file: file, field: "format_version",
                   says: "unsupported format version 1: this runner reads format version 2 only"),
        Corruption(name: "duplicate ids", file: file, caseID: victim, field: "id", says: "duplicate case id"),
        Corruption(name: "NaN token in a shape", file: file, says: "is not valid JSON"),
        Corruption(name: "a number where a TENSOR is expected", file: file, caseID: victim, field: "expected.loss",
                   says: "must be an object"),
        // Issue 15 item 11: names that break `list` or disguise themselves, and bytes that are not the format's.
        Corruption(name: "an id with a newline", file: file, says: "the id has U+000A at character 26"),
        Corruption(name: "an id with a NUL", file: file, says: "the id has U+0000 at character 26"),
        Corruption(name: "an id with a right-to-left override", file: file, says: "the id has U+202E at character 26"),
        Corruption(name: "a duplicate key", file: file, says: "key \"loss\" appears twice in one object"),
        Corruption(name: "a byte order mark", file: file, says: "starts with a UTF-8 byte order mark"),
        Corruption(name: "CRLF line ends", file: file, says: "has a carriage return (line 1)"),
        Corruption(name: "a non-ASCII character", file: file, says: "has a byte that is not ASCII (0xc3"),
        // Acceptable alternatives (format version 2).
        Corruption(name: "an alternative of the wrong shape", file: file, caseID: victim, field: "acceptable[0].outputs.loss.shape",
                   says: "shape [2], expected []"),
        Corruption(name: "an alternative on an expected error", file: file, caseID: "bce/float32/none/input-above-one",
                   field: "acceptable", says: "only a case with \"expected\" may have \"acceptable\" results"),
        Corruption(name: "an alternative widening without the flag", file: file, caseID: victim, field: "flags",
                   says: "(pytorch-cpu: loss[0]) is outside the tolerance of the exact value, but the case lacks flag \"pytorch-arithmetic\""),
    ]

    /// Writes the synthetic suite with `corruption` applied to bce/float32.json.
    func write(_ corruption: Corruption) throws -> URL {
        // Ids have 26 characters up to the end of "bce/float32/mean/weighted" plus one.
        #expect(Self.victim.count == 25)
        let files = SyntheticSuite.cases()
        var cases = files[Self.file]!
        let at = cases.firstIndex { $0["id"] as? String == Self.victim }!
        var fileObject: [String: Any] = ["format_version": GoldenFixtures.formatVersion, "loss": "bce", "dtype": "float32"]
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
        case "unknown dtype": cases[at]["dtype"] = "bfloat8"
        case "unknown tensor dtype": editTensor("inputs", "target") { $0["dtype"] = "float8" }
        case "unknown format version": fileObject["format_version"] = 7
        case "format version 1": fileObject["format_version"] = 1
        case "an id with a newline": cases[at]["id"] = Self.victim + "\nbce/float32/mean/basic"
        case "an id with a NUL": cases[at]["id"] = Self.victim + "\u{0}"
        case "an id with a right-to-left override":
            // Written as the \u escape a generator would write (a raw one is a non-ASCII byte, refused earlier).
            cases[at]["id"] = Self.victim + "RLO"
            rawEdit = { $0.replacingOccurrences(of: "weightedRLO", with: "weighted\\u202e") }
        case "a duplicate key":
            // The first "loss" would win in some readers, the last in others (JSONSerialization).
            rawEdit = { $0.replacingOccurrences(of: "\"loss\" : \"bce\"", with: "\"loss\" : \"bce_with_logits\", \"loss\" : \"bce\"") }
        case "a byte order mark": rawEdit = { "\u{FEFF}" + $0 }
        case "CRLF line ends": rawEdit = { $0.replacingOccurrences(of: "\n", with: "\r\n") }
        case "a non-ASCII character": cases[at]["comment"] = "caf\u{E9}"
        case "an alternative of the wrong shape", "an alternative widening without the flag":
            let expected = cases[at]["expected"] as! [String: Any]
            let loss = expected["loss"] as! [String: Any]
            let value = try HexCodec.decode(loss["hex"] as! String, dtype: .float32, count: 1)[0]
            let other = corruption.name.contains("shape") ? [value, value] : [value * 1.5]
            cases[at]["acceptable"] = [["source": "pytorch-cpu", "comment": "test",
                                        "outputs": ["loss": GoldenFixtures.tensor(.float32, other.count == 1 ? [] : [2], other)]]]
        case "an alternative on an expected error":
            let e = cases.firstIndex { $0["id"] as? String == "bce/float32/none/input-above-one" }!
            cases[e]["acceptable"] = [["source": "pytorch-cpu", "outputs": ["loss": GoldenFixtures.tensor(.float32, [1], [0])]]]
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
        var objects = SyntheticSuite.files()
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

    /// Issue 15 item 6: a manifest that lists no files, or drops one, is not "intact"; nor is one
    /// whose categories do not count its files' cases, or that lists a file the format does not have.
    @Test(arguments: ["no files", "one file dropped", "categories not adding up", "a file the format does not have"])
    func aManifestThatDoesNotDescribeItsFilesGivesExitCode3(_ hole: String) throws {
        let dir = try SyntheticSuite.write()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("MANIFEST.json")
        var manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        var entries = manifest["files"] as! [[String: Any]]
        let says: String
        switch hole {
        case "no files":
            entries = []
            says = "field files: does not list bce/float16.json, bce/bfloat16.json"
        case "one file dropped":
            entries.removeAll { $0["path"] as? String == "bce_with_logits/float32.json" }
            says = "field files: does not list bce_with_logits/float32.json"
        case "categories not adding up":
            manifest["categories"] = ["test": SyntheticSuite.allIDs.count - 1]
            says = "field categories: count \(SyntheticSuite.allIDs.count - 1) cases in all, the files listed hold \(SyntheticSuite.allIDs.count)"
        default:
            let data = GoldenFixtures.json(GoldenFixtures.emptyFile(for: "bce/float32.json"))
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("bce"), withIntermediateDirectories: true)
            try data.write(to: dir.appendingPathComponent("bce/float8.json"))
            entries.append(["path": "bce/float8.json", "sha256": sha256Hex(data), "cases": 0])
            says = "\"bce/float8.json\" is not a case file of the format"
        }
        manifest["files"] = entries
        try GoldenFixtures.json(manifest).write(to: url)
        for command in ["verify", "run", "list"] {
            let r = try Tool.run([command, "--golden", dir.path])
            #expect(r.status == 3, "\(hole), \(command): \(r.description)")
            #expect(r.stderr.contains("MANIFEST.json"), "\(hole), \(command): \(r.description)")
            #expect(r.stderr.contains(says), "\(hole), \(command): \(r.description)")
            #expect(!r.stdout.contains("intact"), "\(hole), \(command): \(r.description)")
        }
    }

    /// A whole suite of format version 1 (as suite 1.0.0 was written): refused, saying which
    /// version was found, which one this runner reads, and what to do.
    @Test func aVersion1SuiteIsRefusedWithExitCode3AndWhatToDo() throws {
        let dir = try SyntheticSuite.write()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("MANIFEST.json")
        var manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        manifest["format_version"] = 1
        manifest["suite_version"] = "1.0.0"
        try GoldenFixtures.json(manifest).write(to: url)
        for command in ["verify", "run", "list"] {
            let r = try Tool.run([command, "--golden", dir.path])
            #expect(r.status == 3, "\(command): \(r.description)")
            for text in ["MANIFEST.json", "field format_version", "unsupported format version 1",
                         "this runner reads format version 2 only", "regenerate", "the runner of the suite that wrote them"] {
                #expect(r.stderr.contains(text), "\(command) should say \(text): \(r.description)")
            }
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
