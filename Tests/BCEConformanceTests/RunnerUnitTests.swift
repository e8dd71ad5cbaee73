import Foundation
import Testing
import BCEConformance

@Suite("Selection, known failures and reports")
struct RunnerUnitTests {
    @Test func idPatterns() {
        #expect(IDPattern.matches("bce/*/sum/*", "bce/float32/sum/large"))
        #expect(!IDPattern.matches("bce/*/sum/*", "bce_with_logits/float32/sum/large"))
        #expect(IDPattern.matches("*clamp?", "bce/float16/mean/clamp1"))
        #expect(IDPattern.matches("clamp", "bce/float16/mean/log-clamp-p0"))
        #expect(!IDPattern.matches("*/none", "bce/float16/none/x"))
        #expect(IDPattern.matches("*", ""))
    }

    @Test func shards() {
        #expect(Shard("2/4") == Shard("2/4"))
        #expect(Shard("2/4")?.index == 2)
        for bad in ["0/4", "5/4", "1/0", "a/b", "1", "1/2/3", "-1/2", ""] { #expect(Shard(bad) == nil, "\(bad)") }
    }

    @Test func knownFailuresNeedAReason() throws {
        let k = try KnownFailures.parse("""
            # comment

            bce/*/sum/*   sums in float16   
            bce_with_logits/float64/none/x\twhy not
            """)
        #expect(k.entries.map(\.pattern) == ["bce/*/sum/*", "bce_with_logits/float64/none/x"])
        #expect(k.entries.map(\.reason) == ["sums in float16", "why not"])
        #expect(k.entries.first?.line == 3)
        #expect(k.entry(for: "bce/float16/sum/a")?.reason == "sums in float16")
        #expect(throws: KnownFailures.ParseError.self) { try KnownFailures.parse("bce/float16/sum/a\n") }
    }

    func report() throws -> RunReport {
        let t = try GoldenTensor(dtype: .float32, shape: [], values: [1])
        func golden(_ id: String) -> GoldenCase {
            GoldenCase(id: id, flags: ["a&b"], loss: .bce, dtype: .float32, reduction: .mean, inputs: .init(input: t, target: t),
                       expectation: .outputs(.init(loss: t)), file: "bce/float32.json")
        }
        let policy = ComparisonPolicy(maxULP: 1)
        let ok = policy.compare(golden("bce/float32/mean/ok"), .outputs(.init(loss: t)))
        let bad = policy.compare(golden("bce/float32/mean/<bad>"), .outputs(.init(loss: try GoldenTensor(dtype: .float32, shape: [], values: [.nan]))))
        let skipped = policy.compare(golden("bce/float32/mean/skip"), .skipped(reason: "no \"float32\""))
        let known = KnownFailures.Entry(pattern: "x", reason: "known & loved", line: 1)
        return RunReport(suite: SuiteIdentity(suiteVersion: "1.0.0", manifestSHA256: String(repeating: "a", count: 64)),
                         implementation: ImplementationInfo(name: "test <impl>", language: "swift", version: "1"), maxULP: 1,
                         results: [CaseResult(golden: golden("bce/float32/mean/ok"), comparison: ok, knownFailure: nil, seconds: 0.00001),
                                   CaseResult(golden: golden("bce/float32/mean/<bad>"), comparison: bad, knownFailure: nil, seconds: 1e-7),
                                   CaseResult(golden: golden("bce/float32/mean/xfail"), comparison: bad, knownFailure: known, seconds: 0),
                                   CaseResult(golden: golden("bce/float32/mean/xpass"), comparison: ok, knownFailure: known, seconds: 0),
                                   CaseResult(golden: golden("bce/float32/mean/skip"), comparison: skipped, knownFailure: nil, seconds: 0)],
                         seconds: 0.5)
    }

    @Test func statusesAndConformance() throws {
        let r = try report()
        #expect(r.results.map(\.status) == [.passed, .failed, .expectedFailure, .unexpectedPass, .notCovered])
        #expect(!r.isConformant)
        let text = TextReport.render(r)
        #expect(text.contains("FAIL bce/float32/mean/<bad>"))
        #expect(text.contains("XPASS bce/float32/mean/xpass"))
        #expect(text.contains("NOT CONFORMANT"))
    }

    @Test func jsonReportEncodesNonFiniteNumbersAsStrings() throws {
        let json = JSONReport.render(try report())
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let cases = try #require(object["cases"] as? [[String: Any]])
        let bad = try #require(cases.first { $0["id"] as? String == "bce/float32/mean/<bad>" })
        let mismatch = try #require((bad["mismatches"] as? [[String: Any]])?.first)
        #expect(mismatch["actual"] as? String == "nan")
        #expect(cases.first { $0["id"] as? String == "bce/float32/mean/xfail" }?["known_failure_reason"] as? String == "known & loved")
        #expect((object["summary"] as? [String: Any])?["expected_failures"] as? Int == 1)
    }

    @Test func junitEscapesAndUsesPlainDecimals() throws {
        let xml = JUnitReport.render(try report())
        #expect(xml.contains("name=\"bce/float32/mean/&lt;bad&gt;\""))
        #expect(xml.contains("known &amp; loved"))
        #expect(!xml.contains("e-0"))
        #expect(JUnitReport.seconds(1e-7) == "0.000000")
        #expect(JUnitReport.seconds(12.5) == "12.500000")
        #expect(JUnitReport.escape("a\u{1}b\"") == "a?b&quot;")
    }
}
