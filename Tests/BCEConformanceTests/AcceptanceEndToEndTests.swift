import Foundation
import Testing
import BCEConformance

/// The verdict of format version 2 through the built executable: a port whose result is not the
/// exact value but is an `acceptable` alternative passes the default mode, fails strict mode, and
/// a result matching neither is reported with the exact and the acceptable value.
@Suite("Acceptable alternatives end to end", .serialized)
struct AcceptanceEndToEndTests {
    /// The perturbing port's loss for a sum case: exact * 1.01 + 1, in float32.
    static func perturbed(_ exact: Double) -> Double { Double(Float(exact * 1.01 + 1)) }

    static let accepted = "bce/float32/sum/basic"
    static let notAccepted = "bce/float32/sum/weighted"

    /// The synthetic suite, with `accepted` given the perturbed loss as an alternative (so it is
    /// flagged pytorch-arithmetic) and `notAccepted` an alternative that is not what the port gives.
    func write() throws -> URL {
        var files = SyntheticSuite.files()
        var file = files["bce/float32.json"]!
        var cases = file["cases"] as! [[String: Any]]
        for i in cases.indices {
            guard let id = cases[i]["id"] as? String, id == Self.accepted || id == Self.notAccepted else { continue }
            let loss = (cases[i]["expected"] as! [String: Any])["loss"] as! [String: Any]
            let exact = try HexCodec.decode(loss["hex"] as! String, dtype: .float32, count: 1)[0]
            let alternative = id == Self.accepted ? Self.perturbed(exact) : exact * 2
            cases[i]["acceptable"] = [["source": "pytorch-cpu", "comment": "test",
                                       "outputs": ["loss": GoldenFixtures.tensor(.float32, [], [alternative])]]]
            cases[i]["flags"] = (cases[i]["flags"] as! [String]) + ["pytorch-arithmetic"]
        }
        file["cases"] = cases
        files["bce/float32.json"] = file
        return try GoldenFixtures.writeSuite(files, flags: SyntheticSuite.flags.merging(["pytorch-arithmetic": "widened"]) { a, _ in a })
    }

    func report(_ arguments: [String], golden: URL) throws -> (Tool.Result, [String: [String: Any]]) {
        let r = try Tool.run(arguments + ["--golden", golden.path, "--format", "json", "--id", "bce/float32/sum/"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.description)")
        let cases = try #require(object["cases"] as? [[String: Any]])
        return (r, Dictionary(uniqueKeysWithValues: cases.map { ($0["id"] as! String, $0) }))
    }

    @Test func anAlternativeResultPassesTheDefaultModeAndFailsStrictMode() throws {
        let golden = try write()
        defer { try? FileManager.default.removeItem(at: golden) }
        let port = Tool.pythonPort("perturbing_port.py", "-- \(Tool.servePort)")
        let verify = try Tool.run(["verify", "--golden", golden.path])
        #expect(verify.status == 0, "\(verify.description)")
        #expect(verify.stdout.contains("bce/float32.json: \(SyntheticSuite.cases()["bce/float32.json"]!.count) cases, 2 with acceptable alternatives (2 flagged pytorch-arithmetic)"),
                "\(verify.description)")

        let (r, cases) = try report(["run", "--port", port], golden: golden)
        #expect(r.status == 1, "\(r.description)")
        #expect(cases[Self.accepted]?["status"] as? String == "passed", "\(r.description)")
        #expect(cases[Self.accepted]?["accepted_elements"] as? Int == 1)
        let failed = try #require(cases[Self.notAccepted])
        #expect(failed["status"] as? String == "failed")
        let mismatch = try #require((failed["mismatches"] as? [[String: Any]])?.first)
        let acceptable = try #require(mismatch["acceptable"] as? [[String: Any]])
        #expect(acceptable.count == 1 && acceptable[0]["source"] as? String == "pytorch-cpu")
        #expect(acceptable[0]["value"] as? Double == 2 * (mismatch["expected"] as! Double))

        // Strict mode measures against the exact value only.
        let (strict, strictCases) = try report(["run", "--port", port, "--max-ulp", "2"], golden: golden)
        #expect(strict.status == 1)
        #expect(strictCases[Self.accepted]?["status"] as? String == "failed", "\(strict.description)")
        #expect(strictCases[Self.accepted]?["accepted_elements"] as? Int == 0)

        // The text report names the exact and the acceptable value of a failing element, and counts acceptance.
        let text = try Tool.run(["run", "--port", port, "--golden", golden.path, "--id", "bce/float32/sum/"])
        #expect(text.stdout.contains("FAIL \(Self.notAccepted)\n    flags: "), "\(text.description)")
        #expect(text.stdout.contains("\n    loss[0]: expected "), "\(text.description)")
        #expect(text.stdout.contains(" (exact) or "), "\(text.description)")
        #expect(text.stdout.contains(" (acceptable: pytorch-cpu), got "), "\(text.description)")
        #expect(!text.stdout.contains("FAIL \(Self.accepted)"), "\(text.description)")
        #expect(text.stdout.contains("1 of the passed cases passed through acceptable alternatives (1 element matches an alternative"), "\(text.description)")
    }
}
