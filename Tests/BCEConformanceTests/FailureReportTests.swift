import Foundation
import Testing
import BCEConformance

/// Issue 13, "reports that lead to the bug": the inputs of each failing element, errors that read
/// right, summaries by flag, configuration and kind of problem, and reproduction commands.
@Suite("Failure reports")
struct FailureReportTests {
    static func t(_ dtype: DType, _ shape: [Int], _ values: [Double]) -> GoldenTensor {
        try! GoldenTensor(dtype: dtype, shape: shape, values: values)
    }

    /// A BCE case of shape [2, 2] with a weight of shape [2] broadcast over the rows.
    static func broadcastCase(flags: [String] = ["weight", "broadcast"], inputs x: [Double] = [0.25, 0.5, 0.75, 0.125]) -> GoldenCase {
        GoldenCase(id: "bce/float32/none/w-broadcast", comment: "a weight broadcast over rows", flags: flags, loss: .bce,
                   dtype: .float32, reduction: .none,
                   inputs: .init(input: t(.float32, [2, 2], x), target: t(.float32, [2, 2], [1, 0, 1, 0]),
                                 weight: t(.float32, [2], [2, 3]), gradOutput: t(.float32, [2, 2], [1, 1, 1, -1])),
                   expectation: .outputs(.init(loss: t(.float32, [2, 2], [1, 2, 3, 4]))), file: "bce/float32.json")
    }

    static func result(_ golden: GoldenCase, _ loss: [Double], maxULP: Double? = nil) -> CaseResult {
        let shape: [Int]
        if case .outputs(let e) = golden.expectation { shape = e.loss.shape } else { shape = [] }
        let outcome = CaseOutcome.outputs(.init(loss: t(golden.dtype, shape, loss)))
        return CaseResult(golden: golden, comparison: ComparisonPolicy(maxULP: maxULP).compare(golden, outcome), knownFailure: nil, seconds: 0)
    }

    static func report(_ results: [CaseResult], invocation: Invocation? = nil) -> RunReport {
        var r = RunReport(suite: SuiteIdentity(suiteVersion: "2.0.0", manifestSHA256: String(repeating: "b", count: 64)),
                          implementation: ImplementationInfo(name: "test port", language: "python", version: "1"), maxULP: nil,
                          results: results, seconds: 0.1)
        r.invocation = invocation
        return r
    }

    // MARK: 1. Each failing element with its inputs

    @Test func aFailingElementShowsItsInputsWithEachBroadcastArgumentsOwnIndex() throws {
        let r = Self.result(Self.broadcastCase(), [1, 2, 3, 40])
        let details = FailureDetail.of(r)
        #expect(details.count == 1)
        let e = try #require(details.first?.elements.first)
        #expect(e.element == 3)
        #expect(e.input == ArgumentValue(value: 0.125, index: 3))
        #expect(e.target == ArgumentValue(value: 0, index: 3))
        #expect(e.weight == ArgumentValue(value: 3, index: 1), "element 3 of [2, 2] is weight[1] of the [2] weight")
        #expect(e.gradOutput == ArgumentValue(value: -1, index: 3))
        #expect(e.posWeight == nil)
        let text = TextReport.render(Self.report([r]))
        #expect(text.contains("at element 3: input[3] = 0.125, target[3] = 0.0, weight[1] = 3.0, grad_output[3] = -1.0"), "\(text)")
        #expect(text.contains("flags: weight, broadcast"), "\(text)")
        #expect(text.contains("comment: a weight broadcast over rows"), "\(text)")
    }

    @Test func theJSONReportCarriesTheInputsCommentKindAndErrorsOfAFailingElement() throws {
        let r = Self.result(Self.broadcastCase(), [1, 2, 3, 40])
        let json = JSONReport.render(Self.report([r], invocation: Invocation(port: "./my port")))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let c = try #require((object["cases"] as? [[String: Any]])?.first)
        #expect(c["comment"] as? String == "a weight broadcast over rows")
        #expect(c["reproduce"] as? String == "bce-conformance run --id =bce/float32/none/w-broadcast --port './my port'")
        #expect(c["request"] as? String == "bce-conformance request bce/float32/none/w-broadcast")
        let m = try #require((c["mismatches"] as? [[String: Any]])?.first)
        #expect(m["abs_error"] as? Double == 36)
        #expect(m["rel_error"] as? Double == 9)
        #expect(m["kind"] as? String == "weights-and-shapes")
        let inputs = try #require((m["inputs"] as? [[String: Any]])?.first)
        #expect((inputs["weight"] as? [String: Any])?["index"] as? Int == 1)
        #expect((inputs["grad_output"] as? [String: Any])?["value"] as? Double == -1)
    }

    @Test func theJUnitFailureHoldsTheInputsAndTheReproductionCommand() {
        let xml = JUnitReport.render(Self.report([Self.result(Self.broadcastCase(), [1, 2, 3, 40])], invocation: Invocation(port: "./p")))
        #expect(xml.contains("at element 3: input[3] = 0.125, target[3] = 0.0, weight[1] = 3.0"), "\(xml)")
        #expect(xml.contains("reproduce: bce-conformance run --id =bce/float32/none/w-broadcast --port ./p"), "\(xml)")
        #expect(xml.contains("type=\"weights-and-shapes\""), "\(xml)")
        #expect(xml.contains("<property name=\"failed_cases_by_flag\" value=\"broadcast=1 weight=1\"/>"), "\(xml)")
        #expect(xml.contains("<property name=\"failed_cases_by_kind\" value=\"weights-and-shapes=1\"/>"), "\(xml)")
        #expect(xml.contains("<property name=\"failed_cases_by_configuration\" value=\"bce/float32/none=1\"/>"), "\(xml)")
    }

    // MARK: 2. Errors that read right

    @Test func anExpectedZeroIsReportedByItsAbsoluteErrorNeverInULP() {
        let golden = GoldenCase(id: "bce/float64/none/zero", loss: .bce, dtype: .float64, reduction: .none,
                                inputs: .init(input: Self.t(.float64, [1], [0.5]), target: Self.t(.float64, [1], [0.5])),
                                expectation: .outputs(.init(loss: Self.t(.float64, [1], [0]))))
        for maxULP in [nil, 2.0] {
            let r = Self.result(golden, [1], maxULP: maxULP)
            #expect(r.status == .failed)
            let text = TextReport.render(Self.report([r]))
            #expect(text.contains("expected 0.0, got 1.0 (abs error 1; the exact value is 0)"), "\(text)")
            #expect(!text.contains("ULP"), "no ULP count against an expected 0 (was 'inf ULP'): \(text)")
            #expect(r.comparison.stats.maxRelative == 0, "relative error is not measured against 0")
        }
        let strict = Self.result(golden, [1e-300], maxULP: 2)
        #expect(strict.comparison.mismatches.first?.problem
                == "abs error 1e-300 where the exact value is 0: more than --max-ulp 2.0 × the smallest subnormal")
    }

    @Test func nanProblemsDoNotRepeatTheValues() {
        let golden = GoldenCase(id: "bce/float32/none/n", loss: .bce, dtype: .float32, reduction: .none,
                                inputs: .init(input: Self.t(.float32, [2], [0.5, 0.5]), target: Self.t(.float32, [2], [0.5, 0.5])),
                                expectation: .outputs(.init(loss: Self.t(.float32, [2], [1, .nan]))))
        let lines = FailureDetail.of(Self.result(golden, [.nan, 1])).flatMap(\.lines)
        #expect(lines.contains("loss[0]: expected 1.0, got nan: NaN instead of a number"), "\(lines)")
        #expect(lines.contains("loss[1]: expected nan, got 1.0: not NaN"), "\(lines)")
    }

    /// float64 expected 6.4e-18, got 0: passes by atol 1e-12; its "ULP distance" (8e15) is no
    /// distance worth reporting, and a passing case is never the "worst" when another failed.
    static func atolCase() -> CaseResult {
        let golden = GoldenCase(id: "bce_with_logits/float64/none/tiny", loss: .bceWithLogits, dtype: .float64, reduction: .none,
                                inputs: .init(input: Self.t(.float64, [1], [-40]), target: Self.t(.float64, [1], [0])),
                                expectation: .outputs(.init(loss: Self.t(.float64, [1], [6.4e-18]))))
        return Self.result(golden, [0])
    }

    @Test func theWorstLineNamesOnlyAFailingElementAndNeverAULPForAnElementPassingByAtol() {
        let tiny = Self.atolCase()
        #expect(tiny.status == .passed)
        #expect(tiny.comparison.stats.maxULP == 0 && tiny.comparison.stats.worstULPAt == nil)
        let passing = TextReport.render(Self.report([tiny]))
        #expect(!passing.contains("8313965274979805"), "\(passing)")
        #expect(passing.contains("largest passing absolute error where the tolerance is absolute (atol) or the exact value 0: 6.4e-18 at bce_with_logits/float64/none/tiny loss[0]"), "\(passing)")
        let failing = Self.result(Self.broadcastCase(), [1, 2, 3, 40])
        let both = TextReport.render(Self.report([tiny, failing]))
        #expect(both.contains("worst failure: bce/float32/none/w-broadcast loss[3]: expected 4.0, got 40.0 (abs error 36, rel error 9"), "\(both)")
        #expect(!both.contains("worst passing"), "\(both)")
    }

    // MARK: 3. Kinds of problem and summaries

    @Test func theFlagTableNamesExactlyTheManifestsFlags() throws {
        let manifest = try Manifest.read(try Data(contentsOf: Tool.packageRoot.appendingPathComponent("golden/MANIFEST.json")))
        #expect(Set(ProblemKind.byFlag.map(\.flag)) == Set(manifest.flags.keys))
        #expect(ProblemKind.byFlag.count == manifest.flags.count, "each flag once")
    }

    @Test func aRandomCasesElementIsClassifiedByItsInputsNotByTheCaseFlags() {
        let random = Self.broadcastCase(flags: ["random"], inputs: [0, 0.5, .nan, 1e-7])
        let kinds = FailureDetail.of(Self.result(random, [9, 9, 9, 9])).map(\.kind)
        #expect(kinds == [.boundaries, .precision, .nonFinite, .boundaries])
        let notes = FailureDetail.of(Self.result(random, [9, 9, 9, 9])).map(\.note)
        #expect(notes[0] == "p = 0.0: log(p) clamps at -100")
        #expect(notes[2] == "input is nan")
        // A mean over them: the reduction's special elements are shown, the most telling kind wins.
        let mean = GoldenCase(id: "bce/float32/mean/r", flags: ["random"], loss: .bce, dtype: .float32, reduction: .mean,
                              inputs: .init(input: Self.t(.float32, [4], [0.5, 0, 0.25, 1]), target: Self.t(.float32, [4], [1, 1, 0, 0])),
                              expectation: .outputs(.init(loss: Self.t(.float32, [], [50]))))
        let d = FailureDetail.of(Self.result(mean, [10]))
        #expect(d.first?.kind == .boundaries)
        #expect(d.first?.reducedOver == 4)
        #expect(d.first?.elements.map(\.element) == [1, 3])
        let plain = GoldenCase(id: "bce/float32/sum/r", flags: ["random"], loss: .bce, dtype: .float32, reduction: .sum,
                               inputs: .init(input: Self.t(.float32, [2], [0.5, 0.25]), target: Self.t(.float32, [2], [1, 0])),
                               expectation: .outputs(.init(loss: Self.t(.float32, [], [1]))))
        #expect(FailureDetail.of(Self.result(plain, [2])).first?.kind == .reductions)
        // Logits beyond exp's overflow threshold in float32 (88.72).
        let logits = GoldenCase(id: "bce_with_logits/float32/none/big", flags: ["random"], loss: .bceWithLogits, dtype: .float32,
                                reduction: .none,
                                inputs: .init(input: Self.t(.float32, [2], [100, 1]), target: Self.t(.float32, [2], [1, 0.5]),
                                              posWeight: Self.t(.float32, [1], [2])),
                                expectation: .outputs(.init(loss: Self.t(.float32, [2], [0, 1]))))
        let l = FailureDetail.of(Self.result(logits, [5, 5]))
        #expect(l.map(\.kind) == [.boundaries, .precision])
        #expect(l.first?.elements.first?.posWeight == ArgumentValue(value: 2, index: 0))
    }

    /// A mean over [0.5, 0, 0.25, 1] (elements 1 and 3 at the boundaries) with gradients.
    static func meanWithGradients(_ gradients: [Double]) -> CaseResult {
        let golden = GoldenCase(id: "bce/float32/mean/g", flags: ["random", "weight"], loss: .bce, dtype: .float32, reduction: .mean,
                                inputs: .init(input: t(.float32, [4], [0.5, 0, 0.25, 1]), target: t(.float32, [4], [1, 1, 0, 0])),
                                expectation: .outputs(.init(loss: t(.float32, [], [50]), gradInput: t(.float32, [4], [1, 2, 3, 4]))))
        let outcome = CaseOutcome.outputs(.init(loss: t(.float32, [], [10]), gradInput: t(.float32, [4], gradients)))
        return CaseResult(golden: golden, comparison: ComparisonPolicy().compare(golden, outcome), knownFailure: nil, seconds: 0)
    }

    @Test func aReductionIsBlamedOnItsSpecialElementsOnlyWhenTheirGradientsFailToo() {
        let passing = FailureDetail.of(Self.meanWithGradients([1, 2, 3, 4]))
        #expect(passing.map(\.kind) == [.reductions], "gradients right everywhere: the reduction itself (e.g. a mean divided by the weight sum)")
        #expect(passing.first?.note == "the gradients pass at every element: the reduction itself differs")
        let atBoundary = FailureDetail.of(Self.meanWithGradients([1, 9, 3, 4]))
        #expect(atBoundary.map(\.kind) == [.boundaries, .boundaries])
        #expect(atBoundary.first?.note == "the gradients fail only at special elements, e.g. element 1: p = 0.0: log(p) clamps at -100")
        let ordinary = FailureDetail.of(Self.meanWithGradients([9, 2, 9, 4]))
        #expect(ordinary.map(\.kind) == [.arguments, .arguments, .arguments], "by the flags: weight")
        let everywhere = FailureDetail.of(Self.meanWithGradients([9, 9, 9, 4]))
        #expect(everywhere.map(\.kind) == [.arguments, .arguments, .boundaries, .arguments],
                "wrong at ordinary elements too: the reduction is not blamed on its boundary element")
    }

    @Test func aWrongOrMissingErrorIsAValidationProblem() {
        let golden = GoldenCase(id: "bce/float32/none/bad", flags: ["invalid"], loss: .bce, dtype: .float32, reduction: .none,
                                inputs: .init(input: Self.t(.float32, [1], [2]), target: Self.t(.float32, [1], [0])),
                                expectation: .error(kind: "input_out_of_range"))
        let c = ComparisonPolicy().compare(golden, .outputs(.init(loss: Self.t(.float32, [1], [1]))))
        let r = CaseResult(golden: golden, comparison: c, knownFailure: nil, seconds: 0)
        #expect(FailureDetail.of(r).map(\.kind) == [.validation])
    }

    @Test func theBreakdownCountsByFlagConfigurationAndKind() throws {
        let failing = Self.result(Self.broadcastCase(), [1, 2, 3, 40])
        let passing = Self.result(Self.broadcastCase(flags: ["weight"]), [1, 2, 3, 4])
        let b = RunBreakdown(Self.report([failing, passing, Self.atolCase()]))
        #expect(b.byFlag.map(\.name) == ["broadcast", "weight"], "the most failures first")
        #expect(b.byFlag.first { $0.name == "weight" }?.statuses == ["failed": 1, "passed": 1])
        #expect(b.byConfiguration.map(\.name) == ["bce/float32/none", "bce_with_logits/float64/none"])
        #expect(b.byKind.map(\.kind) == [.arguments] && b.byKind.first?.cases == 1)
        let text = TextReport.render(Self.report([failing, passing]))
        #expect(text.contains("weights, broadcasting and shapes"), "\(text)")
        #expect(text.contains("failures by flag:\n  broadcast                         1 failed of 1\n  weight                            1 failed, 1 passed of 2"), "\(text)")
        #expect(text.contains("failures by loss/dtype/reduction:\n  bce/float32/none                  1 failed, 1 passed of 2"), "\(text)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(JSONReport.render(Self.report([failing, passing])).utf8)) as? [String: Any])
        let breakdown = try #require(json["breakdown"] as? [String: Any])
        #expect(((breakdown["by_flag"] as? [String: Any])?["weight"] as? [String: Any])?["cases"] as? Int == 2)
        #expect(((breakdown["by_kind"] as? [String: Any])?["weights-and-shapes"] as? [String: Any])?["example"] as? String == "bce/float32/none/w-broadcast")
    }

    // MARK: 4. Reproduction

    @Test func theReproductionCommandSelectsExactlyTheCaseWithTheSameOptions() {
        let i = Invocation(port: "python3 -I port.py --mode 'x'", options: ["--max-ulp", "2", "--golden", "/tmp/my golden"])
        #expect(i.command(for: "bce/float16/none/p0")
                == #"bce-conformance run --id =bce/float16/none/p0 --port 'python3 -I port.py --mode '\''x'\''' --max-ulp 2 --golden '/tmp/my golden'"#)
        #expect(i.requestCommand(for: "bce/float16/none/p0") == "bce-conformance request bce/float16/none/p0 --golden '/tmp/my golden'")
        #expect(IDPattern.matches("=bce/float16/none/p0", "bce/float16/none/p0"))
        #expect(!IDPattern.matches("=bce/float16/none/p0", "bce/float16/none/p0-y1"), "=ID is exact, not 'contains'")
        #expect(IDPattern.matches("bce/float16/none/p0", "bce/float16/none/p0-y1"))
    }

    // MARK: 5. HTML

    @Test func theHTMLPageIsSelfContainedWithTheSummaryHeatmapAndEveryFailureExpandable() {
        let failing = Self.result(Self.broadcastCase(), [1, 2, 3, 40])
        let html = HTMLReport.render(Self.report([failing, Self.atolCase()], invocation: Invocation(port: "./p <x>")))
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("src="), "nothing fetched")
        #expect(html.contains("<tr data-status=\"failed\"><td>failed</td><td>1</td></tr>"))
        #expect(html.contains("<tr data-flag=\"broadcast\">"))
        #expect(html.contains("<details class=\"failure\" id=\"case-bce/float32/none/w-broadcast\" data-case=\"bce/float32/none/w-broadcast\">"))
        #expect(html.contains("<tr class=\"element\" data-element=\"3\"><td>3</td><td>0.125<sub>[3]</sub></td><td>0.0<sub>[3]</sub></td><td>3.0<sub>[1]</sub></td>"), "\(html)")
        #expect(html.contains("--port &apos;./p &lt;x&gt;&apos;"), "escaped")
        #expect(!html.contains("data-case=\"bce_with_logits/float64/none/tiny\""), "a passing case is not a failure")
    }

    @Test func theHTMLPageShowsNotCoveredCasesByReasonAndTheVerdict() {
        let notCovered = CaseResult(notCovered: Self.broadcastCase(), reason: "no weight")
        let html = HTMLReport.render(Self.report([Self.atolCase(), notCovered]))
        #expect(html.contains("<p id=\"verdict\" class=\"ok\">CONFORMANT</p>"), "\(html)")
        #expect(html.contains("<tr data-status=\"not_covered\"><td>not covered</td><td>1</td></tr>"), "\(html)")
        #expect(html.contains("<tr data-reason=\"no weight\"><td>no weight</td><td>1</td></tr>"), "\(html)")
        #expect(html.contains("<p id=\"conformant-for\">conformant for: "), "\(html)")
        let nothing = HTMLReport.render(Self.report([notCovered]))
        #expect(nothing.contains("<p id=\"verdict\" class=\"bad\">NOTHING COMPARED</p>"), "\(nothing)")
    }

    // MARK: 6. The bar: a port that clips probabilities (Keras' 1e-7)

    static let kerasClip = "/usr/bin/python3 -I \(Tool.packageRoot.path)/scripts/ports/mutants/mutant_port.py --mutant keras-clip"

    @Test func aClippingPortsReportShowsAFailingElementsInputsAReproductionCommandAndLogClamp() throws {
        let r = try Tool.run(["run", "--port", Self.kerasClip, "--dtype", "float32", "--flag", "log-clamp", "--timeout", "60"], limit: 300)
        #expect(r.status == 1, "\(r.description)")
        #expect(r.stdout.contains("""
            FAIL bce/float32/none/p0
                flags: boundary, epsilon, gradient-nonfinite, log-clamp, soft-target
            """), "\(r.description)")
        #expect(r.stdout.contains("kind: boundaries and clamps (p = 0.0: log(p) clamps at -100)"), "\(r.description)")
        #expect(r.stdout.contains("at element 1: input[1] = 0.0, target[1] = 1.0, grad_output[1] = 1.0"), "\(r.description)")
        let reproduce = "reproduce: bce-conformance run --id =bce/float32/none/p0 --port '\(Self.kerasClip)'"
        #expect(r.stdout.contains(reproduce), "\(r.description)")
        #expect(r.stdout.contains("failures by flag:"), "\(r.description)")
        #expect(r.stdout.contains("\n  log-clamp                         15 failed of 15\n"), "\(r.description)")
        #expect(r.stdout.contains("\n  boundaries and clamps             15 cases"), "\(r.description)")

        // The printed command reruns exactly that case and fails the same way.
        let command = String(reproduce.dropFirst("reproduce: ".count)).replacingOccurrences(of: "bce-conformance ", with: "'\(Tool.executable.path)' ")
        let again = try Tool.run(["-c", command + " --timeout 60"], limit: 120, program: URL(fileURLWithPath: "/bin/sh"))
        #expect(again.status == 1, "\(again.description)")
        #expect(again.stdout.contains("1 cases: 0 passed, 1 failed"), "\(again.description)")
    }

    @Test func theRequestCommandPrintsTheLineRunSendsAndASessionAPortAnswers() throws {
        let line = try Tool.run(["request", "bce/float32/none/p0"])
        #expect(line.status == 0, "\(line.description)")
        #expect(line.stdout.hasPrefix(#"{"type":"run","case":{"id":"bce/float32/none/p0","loss":"bce","dtype":"float32","reduction":"none","inputs":{"input":"#))
        #expect(line.stdout.filter { $0 == "\n" }.count == 1)
        let session = try Tool.run(["-c", "'\(Tool.executable.path)' request --session bce/float32/none/p0 | \(Self.kerasClip)"],
                                   program: URL(fileURLWithPath: "/bin/sh"))
        #expect(session.status == 0, "\(session.description)")
        #expect(session.stdout.contains(#"{"type":"result","id":"bce/float32/none/p0","outputs":"#), "\(session.description)")
        let missing = try Tool.run(["request", "bce/float32/none/no-such-case"])
        #expect(missing.status == 2 && missing.stderr.contains("no golden case has the id"), "\(missing.description)")
    }
}
