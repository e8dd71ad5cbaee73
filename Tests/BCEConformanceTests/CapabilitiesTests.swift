import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import BCEConformance
import BCEConformanceSwiftLibrary

/// Port protocol version 2 (CONTRACTS 5.1): a port declares what it implements; cases outside are
/// not covered (never sent), declared outputs only are compared, and nothing compared is never CONFORMANT.
@Suite("Port capabilities (protocol version 2)")
struct CapabilitiesParsingTests {
    func started(_ json: String) throws(PortProtocol.Violation) -> ImplementationInfo {
        try PortProtocol.parseStarted(Array(json.utf8))
    }

    func violation(_ json: String) -> String {
        do {
            _ = try started(json)
            return "no violation"
        } catch {
            return error.message
        }
    }

    @Test func theRunnerAsksForVersion2AndAcceptsBoth() {
        #expect(PortProtocol.startMessage() == #"{"type":"start","protocol_version":2,"accepts":[1,2]}"#)
    }

    @Test func aVersion2AnswerDeclaresItsCapabilities() throws {
        let info = try started(#"""
            {"type":"started","protocol_version":2,"implementation":{"name":"sk","language":"python","version":"1","extra":1},
             "capabilities":{"losses":["bce"],"dtypes":["float64","float32"],"outputs":["loss"],"arguments":["weight"],"errors":[],
                             "notes":"log_loss only"}}
            """#)
        let c = info.capabilities
        #expect(info.protocolVersion == 2)
        #expect(c.losses == [.bce] && c.dtypes == [.float64, .float32] && c.reductions == ReductionKind.allCases)
        #expect(c.outputs == [.loss] && c.arguments == [.weight] && c.errors.isEmpty && c.notes == "log_loss only")
        #expect(c.conformantFor == "bce × float64, float32 × none, mean, sum, outputs loss, weight")
    }

    @Test func absentCapabilitiesMeanEverything() throws {
        let v2 = try started(#"{"type":"started","protocol_version":2,"implementation":{"name":"a"}}"#)
        #expect(v2.capabilities == .everything)
        let v1 = try started(#"{"type":"started","protocol_version":1,"implementation":{"name":"a","dtypes":["float32"]}}"#)
        #expect(v1.protocolVersion == 1 && v1.capabilities.dtypes == [.float32] && v1.capabilities.losses == LossKind.allCases)
    }

    @Test func violationsNameTheField() {
        let impl = #""implementation":{"name":"a"}"#
        #expect(violation(#"{"type":"started","protocol_version":3,\#(impl)}"#).contains("field protocol_version"))
        #expect(violation(#"{"type":"started","protocol_version":2,\#(impl),"capabilities":{"gradients":false}}"#)
            .contains("field capabilities.gradients is not a capability"))
        #expect(violation(#"{"type":"started","protocol_version":2,\#(impl),"capabilities":{"dtypes":["float32","float8"]}}"#)
            .contains("field capabilities.dtypes[1] unknown value \"float8\""))
        #expect(violation(#"{"type":"started","protocol_version":2,\#(impl),"capabilities":{"errors":["nan_input"]}}"#)
            .contains("field capabilities.errors[0] unknown value \"nan_input\""))
        #expect(violation(#"{"type":"started","protocol_version":2,\#(impl),"capabilities":{"outputs":["grad_input"]}}"#)
            .contains("field capabilities.outputs must include \"loss\""))
        #expect(violation(#"{"type":"started","protocol_version":1,\#(impl),"capabilities":{}}"#)
            .contains("field capabilities: not part of protocol version 1"))
        #expect(violation(#"{"type":"started","protocol_version":2,"implementation":{"name":"a","losses":["bce"]},"capabilities":{"losses":["bce"]}}"#)
            .contains("field implementation.losses: also in capabilities.losses"))
        #expect(violation(#"{"type":"started","protocol_version":2,\#(impl),"capabilities":{"notes":3}}"#)
            .contains("field capabilities.notes must be a string"))
    }

    @Test func serveAnswersTheVersionTheRunnerAccepts() throws {
        func answer(_ start: String) throws -> String {
            var lines = [Array(start.utf8), Array(#"{"type":"stop"}"#.utf8)].makeIterator()
            var written = [String]()
            let server = PortServer(info: ImplementationInfo(name: "s", language: "swift", version: "1"), evaluate: { _ in .skipped(reason: "") })
            try server.serve(readLine: { lines.next() }, write: { written.append($0) })
            return written.first ?? ""
        }
        let v2 = try answer(#"{"type":"start","protocol_version":2,"accepts":[1,2]}"#)
        #expect(try started(v2).protocolVersion == 2)
        #expect(try started(v2).capabilities == .everything)
        let v1 = try answer(#"{"type":"start","protocol_version":1}"#)
        #expect(try started(v1).protocolVersion == 1)
        #expect(!v1.contains("capabilities"))
    }
}

/// The runner's coverage decisions on a test double.
@Suite("Coverage and the verdict")
struct CoverageTests {
    /// The library with the declared capabilities, except that its grad_input is always wrong.
    struct Declaring: SynchronousLossImplementation {
        var info: ImplementationInfo
        var garbles = true
        var sent = Sent()
        final class Sent: @unchecked Sendable {
            let lock = NSLock()
            var ids = [String]()
        }
        func evaluate(_ golden: GoldenCase) async throws(ImplementationFailure) -> CaseOutcome { evaluateNow(golden) }
        func evaluateNow(_ golden: GoldenCase) -> CaseOutcome {
            sent.lock.lock(); sent.ids.append(golden.id); sent.lock.unlock()
            guard case .outputs(var o) = SwiftLibraryImplementation.evaluateNow(golden) else { return SwiftLibraryImplementation.evaluateNow(golden) }
            if garbles, let g = o.gradInput {
                o.gradInput = try? GoldenTensor(dtype: g.dtype, shape: g.shape, values: g.values.map { $0 + 1 })
            }
            return .outputs(o)
        }
    }

    static func cases() throws -> [GoldenCase] {
        let t = try GoldenTensor(dtype: .float32, shape: [1], values: [0.25])
        func value(_ id: String, weight: Bool = false, posWeight: Bool = false, loss: LossKind = .bce) -> GoldenCase {
            let c = GoldenCase(id: id, loss: loss, dtype: .float32, reduction: .none,
                               inputs: .init(input: t, target: t, weight: weight ? t : nil, posWeight: posWeight ? t : nil),
                               expectation: .error(kind: ""))
            guard case .outputs(let o) = SwiftLibraryImplementation.evaluateNow(c) else { return c }
            return c.with(expectation: .outputs(.init(loss: o.loss, gradInput: o.gradInput, gradTarget: o.gradTarget)))
        }
        let bad = try GoldenTensor(dtype: .float32, shape: [1], values: [1.5])
        let error = GoldenCase(id: "bce/float32/none/above-one", loss: .bce, dtype: .float32, reduction: .none,
                               inputs: .init(input: bad, target: t), expectation: .error(kind: "input_out_of_range"))
        return [value("bce/float32/none/plain"), value("bce/float32/none/weighted", weight: true),
                value("bce_with_logits/float32/none/pos", posWeight: true, loss: .bceWithLogits), error]
    }

    func run(_ capabilities: Capabilities, requireFull: Bool = false, garbles: Bool = true) async throws -> (RunReport, [String]) {
        let impl = Declaring(info: ImplementationInfo(name: "d", language: "swift", version: "1", capabilities: capabilities),
                             garbles: garbles)
        var runner = ConformanceRunner()
        runner.requireFullCoverage = requireFull
        let report = try await runner.run(try Self.cases(), on: impl,
                                          suite: SuiteIdentity(suiteVersion: "t", manifestSHA256: String(repeating: "0", count: 64)))
        return (report, impl.sent.ids)
    }

    @Test func casesOutsideTheCapabilitiesAreNotCoveredAndNeverSent() async throws {
        let caps = Capabilities(outputs: [.loss, .gradTarget], arguments: [.weight], errors: [])
        let (report, sent) = try await run(caps)
        #expect(sent.sorted() == ["bce/float32/none/plain", "bce/float32/none/weighted"])
        #expect(report.results.map(\.status) == [.passed, .passed, .notCovered, .notCovered])
        #expect(report.results.map(\.notCoveredReason) == [nil, nil, "no pos_weight", "no argument validation: input_out_of_range"])
        // The wrong grad_input was not compared (not declared): counted per output.
        #expect(report.coverage.outputsNotCovered == ["grad_input": 2])
        #expect(report.verdict == .conformant)
        let text = TextReport.render(report)
        #expect(text.contains("conformant for: bce, bce_with_logits × float16, bfloat16, float32, float64 × none, mean, sum, outputs loss, grad_target, weight\n"))
        #expect(text.contains("not covered: 2 cases (no argument validation: input_out_of_range: 1, no pos_weight: 1)"))
        #expect(text.contains("2 passed, 0 failed, 2 not covered"))
        #expect(text.hasSuffix("\nCONFORMANT\n"))
    }

    @Test func declaredOutputsAreCompared() async throws {
        // The same double declaring grad_input: its wrong grad_input fails.
        let (report, _) = try await run(Capabilities(arguments: [.weight], errors: []))
        #expect(report.results.prefix(2).map(\.status) == [.failed, .failed])
        #expect(report.results.first?.comparison.summary.contains("grad_input[0]") == true)
        #expect(report.verdict == .notConformant && report.coverage.outputsNotCovered.isEmpty)
    }

    @Test func nothingComparedIsNeverConformant() async throws {
        let (report, sent) = try await run(Capabilities(dtypes: [.float64]))
        #expect(sent.isEmpty)
        #expect(report.verdict == .nothingCompared && !report.isConformant)
        #expect(report.coverage.byReason == ["no dtype float32": 4])
        #expect(TextReport.render(report).hasSuffix("NOTHING COMPARED\n"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(JSONReport.render(report).utf8)) as? [String: Any])
        #expect((json["summary"] as? [String: Any])?["verdict"] as? String == "NOTHING COMPARED")
        let coverage = try #require(json["coverage"] as? [String: Any])
        #expect(coverage["compared"] as? Int == 0 && coverage["not_covered"] as? Int == 4)
        #expect((coverage["by_reason"] as? [String: Int]) == ["no dtype float32": 4])
        let first = try #require((json["cases"] as? [[String: Any]])?.first)
        #expect(first["status"] as? String == "not_covered" && first["reason"] as? String == "no dtype float32")
        #expect(JUnitReport.render(report).contains("<skipped message=\"not covered: no dtype float32\"/>"))
    }

    @Test func requireFullCoverageFailsOnANotCoveredCase() async throws {
        let (report, _) = try await run(Capabilities(arguments: []), requireFull: true)
        #expect(report.verdict == .notConformant)
        #expect(TextReport.render(report).contains("(--require-full-coverage: not conformant)"))
        let (full, _) = try await run(.everything, requireFull: true, garbles: false)
        #expect(full.verdict == .conformant)
        // An undeclared output is not full coverage either.
        var lossOnly = Capabilities.everything
        lossOnly.outputs = [.loss]
        #expect(try await run(lossOnly, requireFull: true).0.verdict == .notConformant)
        #expect(try await run(lossOnly, requireFull: false).0.verdict == .conformant)
    }
}

/// Version 2 ports through the built executable.
@Suite("Capabilities end to end", .serialized)
struct CapabilitiesEndToEndTests {
    let golden: URL

    init() throws {
        golden = try SyntheticSuite.write()
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Tool.Result {
        try Tool.run(arguments + ["--golden", golden.path], environment: environment)
    }

    func declaring(_ options: String) -> String {
        Tool.pythonPort("declaring_port.py", "\(options) -- \(Tool.servePort)")
    }

    func json(_ r: Tool.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.description)")
    }

    @Test func aLossOnlyPortWithoutValidationIsConformantForWhatItDeclares() throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("declared-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: log) }
        let caps = #"'{"losses":["bce"],"outputs":["loss"],"arguments":[],"errors":[],"notes":"loss only"}'"#
        let r = try run(["run", "--port", declaring("--wrong-undeclared --capabilities \(caps)")],
                        environment: ["DECLARING_PORT_LOG": log.path])
        #expect(r.status == 0, "\(r.description)")
        #expect(r.stdout.contains("conformant for: bce × float16, bfloat16, float32, float64 × none, mean, sum, outputs loss\n"))
        #expect(r.stdout.contains("not covered: "))
        #expect(r.stdout.contains("no loss bce_with_logits: "))
        #expect(r.stdout.contains("no weight: "))
        #expect(r.stdout.contains("no argument validation: "))
        #expect(r.stdout.contains("port notes: loss only"))
        // Only covered cases were sent: bce, no weight, no expected error.
        let sent = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(!sent.isEmpty && sent.allSatisfy { $0.hasPrefix("bce/") && !$0.contains("weighted") && !$0.contains("mismatch") })
        let withJSON = try run(["run", "--format", "json", "--port", declaring("--capabilities \(caps)")])
        let coverage = try #require(try json(withJSON)["coverage"] as? [String: Any])
        #expect(coverage["compared"] as? Int == sent.count)
        #expect((coverage["conformant_for"] as? [String: Any])?["outputs"] as? [String] == ["loss"])
        // --require-full-coverage turns the not-covered cases into exit 1.
        #expect(try run(["run", "--require-full-coverage", "--port", declaring("--capabilities \(caps)")]).status == 1)
    }

    @Test func aPortThatSkipsEverythingComparesNothing() throws {
        let r = try run(["run", "--port", declaring("--skip-all 'not today'")])
        #expect(r.status == 1, "\(r.description)")
        #expect(r.stdout.hasSuffix("NOTHING COMPARED\n"))
        #expect(r.stdout.contains("not covered: \(SyntheticSuite.allIDs.count) cases (not today: \(SyntheticSuite.allIDs.count))"))
        let none = try run(["run", "--port", declaring(#"--capabilities '{"losses":[]}'"#)])
        #expect(none.status == 1 && none.stdout.hasSuffix("NOTHING COMPARED\n"), "\(none.description)")
    }

    @Test func aVersion1PortStillPasses() throws {
        let r = try run(["run", "--format", "json", "--port", declaring("--v1")])
        #expect(r.status == 0, "\(r.description)")
        let object = try json(r)
        #expect((object["implementation"] as? [String: Any])?["protocol_version"] as? Int == 1)
        #expect((object["summary"] as? [String: Any])?["passed"] as? Int == SyntheticSuite.allIDs.count)
    }

    @Test func aBadCapabilityIsAProtocolViolationNamingTheField() throws {
        let r = try run(["run", "--port", declaring(#"--capabilities '{"dtypes":["float32","half"]}'"#)])
        #expect(r.status == 4, "\(r.description)")
        #expect(r.stderr.contains("capabilities.dtypes[1]"), "\(r.description)")
    }

    @Test func aPortTaking3Point6SecondsToExitIsFineWithTheDefaultExitGrace() throws {
        // A complete Keras run takes 3.6 s to exit after "stop" (issue 13): the default grace is the --timeout (10 s).
        let slow = declaring("--exit-delay 3.6")
        let r = try run(["run", "--id", "bce/float32/mean/basic", "--port", slow])
        #expect(r.status == 0, "\(r.description)")
        #expect(r.stdout.hasSuffix("\nCONFORMANT\n"))
        let short = try run(["run", "--id", "bce/float32/mean/basic", "--exit-grace", "1", "--port", slow])
        #expect(short.status == 4, "\(short.description)")
        #expect(short.stderr.contains("did not exit within the exit grace of 1.0 seconds"), "\(short.description)")
    }
}
