import Foundation
import Testing
import BCEConformance

/// `live --port`: differential fuzzing of a port against the NumPy reference (issue 13's bars, in
/// a CI-sized run; scripts/live-port.sh runs the 10,000-case one).
@Suite("live --port", .serialized)
struct LivePortTests {
    static let numpyPort = "/usr/bin/python3 -I \(Tool.packageRoot.path)/scripts/ports/numpy_port.py"
    static func mutant(_ name: String) -> String {
        "/usr/bin/python3 -I \(Tool.packageRoot.path)/scripts/ports/mutants/mutant_port.py --mutant \(name)"
    }

    @Test func theNumPyPortIsClean() throws {
        let r = try Tool.run(["live", "--port", Self.numpyPort, "--cases", "400", "--seed", "13"], limit: 300)
        #expect(r.status == 0, "\(r.description)")
        #expect(r.stdout.contains("400 cases ("), "\(r.description)")
        #expect(r.stdout.hasSuffix("no mismatch\n"), "\(r.description)")
        #expect(r.stderr.contains("default mode (exact value or PyTorch's CPU arithmetic)"))
    }

    @Test func aPlantedGradientBugIsFoundShrunkAndReproducible() throws {
        // mean-grad-not-divided: the gradients of a mean are not divided by the element count.
        let port = Self.mutant("mean-grad-not-divided")
        let r = try Tool.run(["live", "--port", port, "--cases", "400", "--seed", "13"], limit: 300)
        #expect(r.status == 1, "\(r.description)")
        #expect(r.stdout.contains("MISMATCH in case "), "\(r.description)")
        #expect(r.stdout.contains("grad_"), "\(r.description)")
        // Shrunk: a mean over at least two elements is the smallest that shows it.
        let shrunkTo = try #require(r.stdout.firstMatch(of: /shrunk to \[([0-9, ]*)\]\)/), "\(r.description)")
        let count = shrunkTo.1.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) ?? 0 }.reduce(1, *)
        #expect(count <= 2, "shrunk to \(shrunkTo.0)")
        let reproduce = try #require(r.stdout.firstMatch(of: /reproduce: bce-conformance live --port '([^']*)' --seed 13 --first ([0-9]+) --cases 1/))
        #expect(String(reproduce.1) == port)
        // The golden case is valid golden JSON of the shrunk case.
        let json = try #require(r.stdout.firstMatch(of: /regenerate the manifest\):\n(\{[\s\S]*?\n\})\n/))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.1.utf8)) as? [String: Any])
        #expect(object["reduction"] as? String == "mean")
        let file = "{\"format_version\": \(GoldenFormat.version), \"loss\": \"\(object["loss"] as? String ?? "")\", \"dtype\": \"\(object["dtype"] as? String ?? "")\", \"cases\": [\(json.1)]}"
        let parsed = try GoldenFileReader.read(Data(file.utf8), path: "pasted.json")
        #expect(parsed.cases.count == 1)
        // The reproduction command finds it again, on its own.
        let again = try Tool.run(["live", "--port", port, "--seed", "13", "--first", String(reproduce.2), "--cases", "1"], limit: 120)
        #expect(again.status == 1, "\(again.description)")
        #expect(again.stdout.contains("MISMATCH in case \(reproduce.2) of seed 13"))
    }

    @Test func casesAreDrawnInsideThePortsCapabilities() throws {
        let caps = #"'{"losses":["bce"],"dtypes":["float32"],"outputs":["loss"],"arguments":[],"errors":[]}'"#
        let port = Tool.pythonPort("declaring_port.py", "--wrong-undeclared --capabilities \(caps) -- \(Tool.servePort)")
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("live-declared-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: log) }
        let r = try Tool.run(["live", "--port", port, "--cases", "200", "--seed", "5"], environment: ["DECLARING_PORT_LOG": log.path],
                             limit: 300)
        #expect(r.status == 0, "\(r.description)")
        #expect(r.stdout.contains("not covered: no argument validation: "), "\(r.description)")
        let sent = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        #expect(!sent.isEmpty && sent.allSatisfy { $0.hasPrefix("bce/float32/") }, "\(sent.prefix(5))")
        // A port that declares none of the requested dtypes is a usage error.
        let none = try Tool.run(["live", "--port", port, "--cases", "10", "--dtypes", "float16"], limit: 120)
        #expect(none.status == 2, "\(none.description)")
    }
}

/// `--against`: when two implementations disagree, and which one is farther from the exact value.
@Suite("live --port --against: the pair judge")
struct PairJudgeTests {
    static func golden(_ exact: [Double]) throws -> GoldenCase {
        let t = try GoldenTensor(dtype: .float32, shape: [exact.count], values: exact)
        return GoldenCase(id: "bce/float32/none/pair", loss: .bce, dtype: .float32, reduction: .none, inputs: .init(input: t, target: t),
                          expectation: .outputs(.init(loss: t)))
    }

    static func outputs(_ values: [Double]) throws -> CaseOutcome {
        .outputs(CaseOutputs(loss: try GoldenTensor(dtype: .float32, shape: [values.count], values: values)))
    }

    static func compare(_ exact: [Double], _ a: [Double], _ b: [Double]) throws -> Comparison {
        PairJudge.compare(try golden(exact), PairOutcome(a: try outputs(a), b: try outputs(b)), names: (a: "A", b: "B"))
    }

    @Test func elementsDisagreeOnlyBeyondEachOthersToleranceAndNotBothNearTheExactValue() throws {
        // 0: equal; 1: A and B within each other's tolerance (both off the exact value); 2: far apart but
        // both within the exact value's tolerance (an absolute 1e-5 at 0); 3: B far off; 4: A is NaN.
        let c = try Self.compare([1, 2, 0, 4, 5], [1, 2.5, 9e-6, 4, .nan], [1, 2.5, -9e-6, 40, 5])
        #expect(c.status == .failed)
        #expect(c.mismatches.map(\.index) == [3, 4])
        #expect(c.mismatches[0].problem.contains("B is farther from the exact value"))
        #expect(c.mismatches[1].problem.contains("A is farther from the exact value"))
        #expect(try Self.compare([1, 2], [1, 2.0000001], [1, 2]).status == .passed)
    }

    @Test func anElementBothAcceptableByTheVerdictIsNoDisagreementWhenTheJudgeHasPyTorchsArithmetic() throws {
        // Element 0: A exact (4), B PyTorch's rounding (4.5, outside the tolerance of 4 and of A);
        // element 1: B off both the exact value and PyTorch's arithmetic (7 against 5 and 5).
        let golden = try Self.golden([4, 5])
        let pair = PairOutcome(a: try Self.outputs([4, 5]), b: try Self.outputs([4.5, 7]))
        let pytorch = GoldenCase.Alternative(source: "pytorch-cpu",
                                             loss: try GoldenTensor(dtype: .float32, shape: [2], values: [4.5, 5]))
        let capabilities = Capabilities.everything
        guard case .compared(_, let plain) = try PairJudge.judge(capabilities: capabilities, names: (a: "A", b: "B"))(golden, pair),
              case .compared(let widened, let verdict) = try PairJudge.judge(
                  capabilities: capabilities, names: (a: "A", b: "B"), alternatives: { _ in [pytorch] })(golden, pair)
        else { Issue.record("a pair of results is compared"); return }
        #expect(plain.mismatches.map(\.index) == [0, 1])
        #expect(verdict.mismatches.map(\.index) == [1])
        #expect(widened.acceptable.map(\.source) == ["pytorch-cpu"])
    }

    @Test func errorsDisagreeWhenOnlyOneRaisesOrTheKindsDiffer() throws {
        let t = try GoldenTensor(dtype: .float32, shape: [1], values: [1.5])
        let c = GoldenCase(id: "bce/float32/none/e", loss: .bce, dtype: .float32, reduction: .none, inputs: .init(input: t, target: t),
                           expectation: .error(kind: "input_out_of_range"))
        let raised = CaseOutcome.error(kind: "input_out_of_range", message: "")
        let one = PairJudge.compare(c, PairOutcome(a: raised, b: try Self.outputs([0])), names: (a: "A", b: "B"))
        #expect(one.status == .failed && one.summary.contains("B is wrong"), "\(one.summary)")
        let kinds = PairJudge.compare(c, PairOutcome(a: raised, b: .error(kind: "shape_mismatch", message: "")), names: (a: "A", b: "B"))
        #expect(kinds.status == .failed && kinds.summary.contains("A raises input_out_of_range, B raises shape_mismatch"))
        #expect(PairJudge.compare(c, PairOutcome(a: raised, b: raised), names: (a: "A", b: "B")).status == .passed)
    }
}
