import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import BCEConformance

/// The runner through its built executable, on a synthetic suite and the fixture ports.
@Suite("bce-conformance end to end", .serialized)
struct EndToEndTests {
    let golden: URL

    init() throws {
        golden = try SyntheticSuite.write()
    }

    func run(_ arguments: [String], golden dir: URL? = nil) throws -> Tool.Result {
        try Tool.run(arguments + ["--golden", (dir ?? golden).path])
    }

    /// The JSON report's cases as [id: status].
    func statuses(_ result: Tool.Result) throws -> [String: String] {
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let cases = try #require(object?["cases"] as? [[String: Any]], "\(result.description)")
        return Dictionary(uniqueKeysWithValues: cases.map { ($0["id"] as! String, $0["status"] as! String) })
    }

    @Test func theLibraryPassesStrictly() throws {
        let r = try run(["run", "--max-ulp", "0"])
        #expect(r.status == 0, "\(r.description)")
        #expect(r.stdout.contains("CONFORMANT"))
    }

    @Test func serveSpeaksTheProtocol() throws {
        let r = try run(["run", "--port", Tool.servePort, "--max-ulp", "0", "--format", "json"])
        #expect(r.status == 0, "\(r.description)")
        let s = try statuses(r)
        #expect(s.count == SyntheticSuite.allIDs.count)
        #expect(s.values.allSatisfy { $0 == "passed" })
    }

    @Test func aWrongPortIsCaughtWithTheRightCaseIDs() throws {
        let r = try run(["run", "--port", Tool.pythonPort("perturbing_port.py", "-- \(Tool.servePort)"), "--format", "json"])
        #expect(r.status == 1, "\(r.description)")
        let failed = try statuses(r).filter { $0.value == "failed" }.keys.sorted()
        #expect(failed == SyntheticSuite.sumIDs)
        #expect(!failed.isEmpty)
    }

    @Test func undeclaredDTypesAreNotCoveredNotFailed() throws {
        let r = try run(["run", "--port", Tool.pythonPort("perturbing_port.py", "--dtypes float64 -- \(Tool.servePort)"),
                         "--format", "json"])
        #expect(r.status == 1, "\(r.description)")
        let s = try statuses(r)
        #expect(s.filter { $0.value == "failed" }.keys.sorted() == SyntheticSuite.sumIDs.filter { $0.contains("/float64/") })
        #expect(s.filter { $0.value == "not_covered" }.keys.sorted() == SyntheticSuite.allIDs.filter { !$0.contains("/float64/") })
    }

    @Test func knownFailuresAreExpectedAndAStaleEntryIsReported() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("known-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        try """
            # the perturbing port adds 1% + 1 to every sum
            */sum/*   perturbed on purpose
            bce/float32/none/basic   not actually failing
            """.write(to: file, atomically: true, encoding: .utf8)
        let r = try run(["run", "--port", Tool.pythonPort("perturbing_port.py", "-- \(Tool.servePort)"),
                         "--known-failures", file.path, "--format", "json"])
        #expect(r.status == 0, "\(r.description)")
        let s = try statuses(r)
        #expect(s.filter { $0.value == "expected_failure" }.keys.sorted() == SyntheticSuite.sumIDs)
        #expect(s["bce/float32/none/basic"] == "unexpected_pass")
        let text = try run(["run", "--known-failures", file.path])
        #expect(text.stdout.contains("XPASS bce/float32/none/basic"), "\(text.description)")
    }

    @Test func aCrashingPortGivesExitCode4WithTheCaseAndItsStderr() throws {
        let r = try run(["run", "--port", Tool.pythonPort("crash_port.py")])
        #expect(r.status == 4, "\(r.description)")
        #expect(r.stderr.contains("case bce/"), "\(r.description)")
        #expect(r.stderr.contains("crash_port: about to crash on"))
        #expect(r.stderr.contains("signal") || r.stderr.contains("code 139"))
    }

    @Test func aBrokenPortStillGetsJSONAndJUnitReportsNamingTheCase() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("junit-\(UUID().uuidString).xml")
        defer { try? FileManager.default.removeItem(at: path) }
        let r = try run(["run", "--port", Tool.pythonPort("crash_port.py"), "--format", "json", "--junit", path.path])
        #expect(r.status == 4, "\(r.description)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let failure = try #require(object["implementation_failure"] as? [String: Any])
        #expect((failure["case_id"] as? String)?.hasPrefix("bce") == true)
        #expect((failure["stderr_tail"] as? String)?.contains("about to crash") == true)
        #expect((object["summary"] as? [String: Any])?["conformant"] as? Bool == false)
        #expect((object["implementation"] as? [String: Any])?["name"] as? String == "crash_port")
        let counter = JUnitCounter()
        let parser = XMLParser(data: try Data(contentsOf: path))
        parser.delegate = counter
        #expect(parser.parse())
        #expect(counter.errors == [failure["case_id"] as? String ?? "?"])
    }

    @Test func aHangingPortIsKilledWithItsChildren() throws {
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("hang-\(UUID().uuidString).pid")
        defer { try? FileManager.default.removeItem(at: pidFile) }
        let start = Date()
        let r = try run(["run", "--port", "/bin/sh \(Tool.portsDirectory.path)/hang_port.sh \(pidFile.path)", "--timeout", "1"])
        #expect(r.status == 4, "\(r.description)")
        #expect(r.stderr.contains("within the timeout"), "\(r.description)")
        #expect(r.stderr.contains("case "))
        #expect(Date().timeIntervalSince(start) < 30)
        let pid = try #require(Int32(try String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(Self.waitUntilGone(pid), "the port's child \(pid) survived the run")
    }

    /// True once `pid` no longer exists or is a zombie awaiting its (new) parent.
    static func waitUntilGone(_ pid: Int32) -> Bool {
        for _ in 0..<300 {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            if let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z" { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return false
    }

    @Test func aPortPrintingGarbageGivesExitCode4() throws {
        let r = try run(["run", "--port", Tool.pythonPort("garbage_port.py")])
        #expect(r.status == 4, "\(r.description)")
        #expect(r.stderr.contains("not a JSON object: Traceback"), "\(r.description)")
        #expect(r.stderr.contains("case bce/"))
    }

    @Test func aPortThatIsNotAPortGivesExitCode4() throws {
        let r = try run(["run", "--port", "/bin/echo hello"])
        #expect(r.status == 4, "\(r.description)")
        #expect(r.stderr.contains("\"started\""))
    }

    @Test func aPortFloodingStderrDoesNotBlock() throws {
        let r = try run(["run", "--port", Tool.pythonPort("flood_port.py"), "--format", "json"])
        // It skips every case: nothing is compared, which is never conformant.
        #expect(r.status == 1, "\(r.description)")
        #expect(try statuses(r).values.allSatisfy { $0 == "not_covered" })
    }

    @Test func aTamperedGoldenFileGivesExitCode3() throws {
        let dir = try SyntheticSuite.write()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("bce_with_logits/float16.json")
        var data = try Data(contentsOf: file)
        data[data.count / 3] ^= 0x01
        try data.write(to: file)
        for command in ["run", "verify", "list"] {
            let r = try run([command], golden: dir)
            #expect(r.status == 3, "\(command): \(r.description)")
            #expect(r.stderr.contains("bce_with_logits/float16.json"), "\(r.description)")
            #expect(r.stderr.contains("SHA-256"))
        }
    }

    @Test func anUnknownFormatVersionGivesExitCode3() throws {
        let dir = try SyntheticSuite.write()
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = dir.appendingPathComponent("MANIFEST.json")
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: manifest)) as! [String: Any]
        object["format_version"] = 1
        try JSONSerialization.data(withJSONObject: object).write(to: manifest)
        let r = try run(["verify"], golden: dir)
        #expect(r.status == 3, "\(r.description)")
        #expect(r.stderr.contains("unsupported format version 1"))
    }

    @Test func theJSONReportFollowsItsSchema() throws {
        let r = try run(["run", "--format", "json", "--max-ulp", "2"])
        #expect(r.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(object["report_version"] as? Int == 1)
        // The runner names itself with the version `--version` prints (first line "bce-conformance X.Y.Z").
        let versionLine = try run(["--version"]).stdout.split(separator: "\n").first.map(String.init)
        let runner = try #require(object["runner"] as? [String: Any])
        #expect(runner["name"] as? String == "bce-conformance")
        #expect(versionLine == "bce-conformance \(runner["version"] as? String ?? "?")")
        let suite = try #require(object["suite"] as? [String: Any])
        #expect((suite["manifest_sha256"] as? String)?.count == 64)
        #expect(suite["version"] as? String == "0.0.1-test")
        let impl = try #require(object["implementation"] as? [String: Any])
        #expect(impl["name"] as? String == "swift-bce BinaryCrossEntropy")
        #expect(impl["version"] is String)
        let summary = try #require(object["summary"] as? [String: Any])
        #expect(summary["total"] as? Int == SyntheticSuite.allIDs.count)
        #expect(summary["conformant"] as? Bool == true)
        #expect((object["options"] as? [String: Any])?["max_ulp"] as? Double == 2)
        let cases = try #require(object["cases"] as? [[String: Any]])
        for c in cases {
            for key in ["id", "status", "max_abs_error", "max_rel_error", "max_ulp", "file", "dtype", "loss", "reduction", "flags",
                        "accepted_elements"] {
                #expect(c[key] != nil, "case \(c["id"] ?? "?") lacks \(key)")
            }
        }
        let withOutputs = try #require(cases.first { $0["id"] as? String == "bce/float32/none/basic" })
        let at = try #require(withOutputs["worst_ulp_at"] as? [String: Any])
        #expect(at["output"] is String && at["index"] is Int)
    }

    @Test func theJUnitReportIsValidXMLWithOneTestCasePerGoldenCase() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("junit-\(UUID().uuidString).xml")
        defer { try? FileManager.default.removeItem(at: path) }
        let r = try run(["run", "--port", Tool.pythonPort("perturbing_port.py", "-- \(Tool.servePort)"), "--junit", path.path])
        #expect(r.status == 1, "\(r.description)")
        let counter = JUnitCounter()
        let parser = XMLParser(data: try Data(contentsOf: path))
        parser.delegate = counter
        #expect(parser.parse(), "invalid XML: \(String(describing: parser.parserError))")
        #expect(counter.testcases.sorted() == SyntheticSuite.allIDs)
        #expect(counter.failed.sorted() == SyntheticSuite.sumIDs)
        let version = try run(["--version"]).stdout.split(separator: "\n").first?.split(separator: " ").last.map(String.init)
        let xml = try String(contentsOf: path, encoding: .utf8)
        #expect(xml.contains("<property name=\"runner_version\" value=\"\(version ?? "?")\"/>"))
    }

    @Test func shardsPartitionTheSuite() throws {
        var seen = [String]()
        for i in 1...3 {
            let r = try run(["list", "--ids-only", "--shard", "\(i)/3"])
            #expect(r.status == 0)
            seen += r.stdout.split(separator: "\n").map(String.init)
        }
        #expect(seen.sorted() == SyntheticSuite.allIDs)
        let json = try run(["run", "--shard", "2/3", "--format", "json"])
        #expect(try statuses(json).count == SyntheticSuite.allIDs.count / 3 + (SyntheticSuite.allIDs.count % 3 >= 2 ? 1 : 0))
    }

    @Test func filtersSelectByIDLossDTypeAndFlag() throws {
        let r = try run(["list", "--ids-only", "--loss", "bce", "--dtype", "float16", "--flag", "weighted"])
        #expect(r.stdout.split(separator: "\n").sorted() == ["bce/float16/mean/weighted", "bce/float16/none/weighted", "bce/float16/sum/weighted"])
        let ids = try run(["list", "--ids-only", "--id", "*/sum/basic"])
        #expect(ids.stdout.split(separator: "\n").count == LossKind.allCases.count * SyntheticSuite.evaluatedDTypes.count)
    }

    @Test func usageErrorsGiveExitCode2() throws {
        #expect(try run(["run", "--shard", "4/3"]).status == 2)
        #expect(try run(["run", "--dtype", "bfloat8"]).status == 2)
        #expect(try run(["run", "--no-such-option"]).status == 2)
        #expect(try Tool.run(["frobnicate"]).status == 2)
    }

    @Test func theGoldenDirectoryIsFoundThroughTheEnvironment() throws {
        let r = try Tool.run(["verify"], currentDirectory: URL(fileURLWithPath: "/"), environment: ["BCE_GOLDEN_DIR": golden.path])
        #expect(r.status == 0, "\(r.description)")
        let missing = try Tool.run(["verify", "--golden", "/nonexistent"])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("/nonexistent"))
    }
}

/// Collects <testcase> names and which of them hold a <failure>.
final class JUnitCounter: NSObject, XMLParserDelegate {
    var testcases = [String]()
    var failed = [String]()
    var errors = [String]()
    private var current: String?

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if elementName == "testcase" {
            current = attributes["name"]
            testcases.append(attributes["name"] ?? "?")
        } else if elementName == "failure", let current {
            failed.append(current)
        } else if elementName == "error", let current {
            errors.append(current)
        }
    }
}
