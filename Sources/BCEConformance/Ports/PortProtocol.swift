import Foundation

/// The port protocol (CONTRACTS section 5): JSON Lines between the runner and a port, one message
/// per line, modelled on bowtie's harness protocol.
///
/// ```
/// runner → {"type": "start", "protocol_version": 1}
/// port   → {"type": "started", "protocol_version": 1, "implementation": {name, language, version, losses, dtypes}}
/// runner → {"type": "run", "case": {id, loss, dtype, reduction, inputs}}
/// port   → {"type": "result", "id": ..., "outputs": {loss, grad_input, grad_target}}
///        | {"type": "result", "id": ..., "error": "<kind>", "message": "..."}
///        | {"type": "result", "id": ..., "skipped": "<reason>"}
/// runner → {"type": "stop"}            (the port exits 0)
/// ```
/// Both sides of it live here: the runner's messages and reply parsing (used by
/// `PortProcessImplementation`) and the port's (used by `PortServer`).
public enum PortProtocol {
    public static let version = 1

    public struct Violation: Error, Sendable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    // MARK: Runner → port

    public static func startMessage() -> String { #"{"type":"start","protocol_version":1}"# }
    public static func stopMessage() -> String { #"{"type":"stop"}"# }

    /// The golden case without comment, flags and expectation.
    public static func runMessage(_ c: GoldenCase) -> String {
        var inputs = [("input", c.inputs.input), ("target", c.inputs.target)]
        if let w = c.inputs.weight { inputs.append(("weight", w)) }
        if let p = c.inputs.posWeight { inputs.append(("pos_weight", p)) }
        if let g = c.inputs.gradOutput { inputs.append(("grad_output", g)) }
        var s = #"{"type":"run","case":{"id":"# + JSONText.string(c.id)
        s += #","loss":"# + JSONText.string(c.loss.rawValue) + #","dtype":"# + JSONText.string(c.dtype.rawValue)
        s += #","reduction":"# + JSONText.string(c.reduction.rawValue) + #","inputs":"#
        s += JSONText.object(inputs.map { ($0.0, JSONText.tensor($0.1)) }) + "}}"
        return s
    }

    // MARK: Port → runner

    public static func parseStarted(_ line: [UInt8]) throws(Violation) -> ImplementationInfo {
        let m = try object(line, expecting: "started")
        do {
            let version = try m.int("protocol_version")
            guard version == PortProtocol.version else {
                throw Violation("the port speaks protocol version \(version); this runner speaks \(PortProtocol.version)")
            }
            let i = try m.object("implementation")
            return ImplementationInfo(
                name: try i.string("name"), language: try i.optionalString("language") ?? "unknown",
                version: try i.optionalString("version") ?? "unknown",
                losses: i.has("losses") ? try i.strings("losses") : LossKind.allCases.map(\.rawValue),
                dtypes: i.has("dtypes") ? try i.strings("dtypes") : DType.allCases.map(\.rawValue))
        } catch let e as GoldenFormatError {
            throw Violation("\"started\" message: field \(e.field ?? "?") \(e.reason)")
        } catch let e as Violation {
            throw e
        } catch {
            throw Violation("\(error)")
        }
    }

    /// Parses the port's result for case `c`: the id must be `c.id` and tensors must be of `c.dtype`.
    public static func parseResult(_ line: [UInt8], for c: GoldenCase) throws(Violation) -> CaseOutcome {
        var m = try object(line, expecting: "result")
        m.caseID = c.id
        do {
            let id = try m.string("id")
            guard id == c.id else { throw Violation("result for case \"\(id)\" while case \"\(c.id)\" was running") }
            let kinds = [m.has("outputs"), m.has("error"), m.has("skipped")].filter { $0 }.count
            guard kinds == 1 else { throw Violation("a result needs exactly one of \"outputs\", \"error\", \"skipped\"") }
            if m.has("skipped") { return .skipped(reason: try m.string("skipped")) }
            if m.has("error") { return .error(kind: try m.string("error"), message: try m.optionalString("message") ?? "") }
            let o = try m.object("outputs")
            return .outputs(CaseOutputs(
                loss: try GoldenFileReader.readTensor(o, "loss", dtype: c.dtype),
                gradInput: try GoldenFileReader.readOptionalTensor(o, "grad_input", dtype: c.dtype),
                gradTarget: try GoldenFileReader.readOptionalTensor(o, "grad_target", dtype: c.dtype)))
        } catch let e as GoldenFormatError {
            throw Violation("\"result\" message: field \(e.field ?? "?") \(e.reason)")
        } catch let e as Violation {
            throw e
        } catch {
            throw Violation("\(error)")
        }
    }

    /// One line as a JSON object with "type" equal to `type`.
    static func object(_ line: [UInt8], expecting type: String) throws(Violation) -> JSONFields {
        let m: JSONFields
        do {
            m = try JSONFields.parse(Data(line), file: "port")
        } catch {
            throw Violation("expected a \"\(type)\" message, got a line that is not a JSON object: \(preview(line))")
        }
        guard let actual = m.object["type"] as? String else {
            throw Violation("expected a \"\(type)\" message, got a JSON object without \"type\": \(preview(line))")
        }
        guard actual == type else { throw Violation("expected a \"\(type)\" message, got \"\(actual)\": \(preview(line))") }
        return m
    }

    /// The start of a line, for messages (control characters escaped).
    static func preview(_ line: [UInt8], limit: Int = 200) -> String {
        let text = String(decoding: line.prefix(limit), as: UTF8.self)
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 { out += "\\u{\(String(scalar.value, radix: 16))}" } else { out.unicodeScalars.append(scalar) }
        }
        return line.count > limit ? out + "… (\(line.count) bytes)" : out
    }

    // MARK: Port side (serve)

    public static func startedMessage(_ info: ImplementationInfo) -> String {
        let impl = JSONText.object([
            ("name", JSONText.string(info.name)), ("language", JSONText.string(info.language)),
            ("version", JSONText.string(info.version)),
            ("losses", "[" + info.losses.map(JSONText.string).joined(separator: ",") + "]"),
            ("dtypes", "[" + info.dtypes.map(JSONText.string).joined(separator: ",") + "]"),
        ])
        return #"{"type":"started","protocol_version":1,"implementation":"# + impl + "}"
    }

    public static func resultMessage(id: String, _ outcome: CaseOutcome) -> String {
        var s = #"{"type":"result","id":"# + JSONText.string(id)
        switch outcome {
        case .outputs(let o):
            var fields = [("loss", JSONText.tensor(o.loss))]
            if let g = o.gradInput { fields.append(("grad_input", JSONText.tensor(g))) }
            if let g = o.gradTarget { fields.append(("grad_target", JSONText.tensor(g))) }
            s += #","outputs":"# + JSONText.object(fields)
        case .error(let kind, let message):
            s += #","error":"# + JSONText.string(kind) + #","message":"# + JSONText.string(message)
        case .skipped(let reason):
            s += #","skipped":"# + JSONText.string(reason)
        }
        return s + "}"
    }

    /// A runner request as the port sees it.
    public enum Request {
        case start(protocolVersion: Int)
        case run(GoldenCase)
        case stop
    }

    public static func parseRequest(_ line: [UInt8]) throws(Violation) -> Request {
        let m: JSONFields
        do {
            m = try JSONFields.parse(Data(line), file: "runner")
        } catch {
            throw Violation("not a JSON object: \(preview(line))")
        }
        do {
            switch try m.string("type") {
            case "start": return .start(protocolVersion: try m.int("protocol_version"))
            case "stop": return .stop
            case "run": return .run(try readRunCase(try m.object("case")))
            case let other: throw Violation("unknown message type \"\(other)\"")
            }
        } catch let e as GoldenFormatError {
            throw Violation("field \(e.field ?? "?")\(e.caseID.map { " (case \($0))" } ?? ""): \(e.reason)")
        } catch let e as Violation {
            throw e
        } catch {
            throw Violation("\(error)")
        }
    }

    /// The CASE of a "run" message: like a golden case without comment, flags and expectation.
    static func readRunCase(_ object: JSONFields) throws(GoldenFormatError) -> GoldenCase {
        var c = object
        c.caseID = try c.string("id")
        let loss = try c.enumValue("loss", as: LossKind.self)
        let dtype = try c.enumValue("dtype", as: DType.self)
        let reduction = try c.enumValue("reduction", as: ReductionKind.self)
        let i = try c.object("inputs")
        let inputs = GoldenCase.Inputs(
            input: try GoldenFileReader.readTensor(i, "input", dtype: dtype),
            target: try GoldenFileReader.readTensor(i, "target", dtype: dtype),
            weight: try GoldenFileReader.readOptionalTensor(i, "weight", dtype: dtype),
            posWeight: try GoldenFileReader.readOptionalTensor(i, "pos_weight", dtype: dtype),
            gradOutput: try GoldenFileReader.readOptionalTensor(i, "grad_output", dtype: dtype))
        // The expectation is unknown to a port; "error" makes the library compute gradients too.
        return GoldenCase(id: c.caseID ?? "", loss: loss, dtype: dtype, reduction: reduction, inputs: inputs,
                          expectation: .error(kind: ""), file: "")
    }
}

/// Minimal JSON text writing for the protocol's few message shapes (fast on 100,000-element tensors).
enum JSONText {
    static func string(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    static func tensor(_ t: GoldenTensor) -> String {
        object([("dtype", string(t.dtype.rawValue)), ("shape", "[" + t.shape.map(String.init).joined(separator: ",") + "]"),
                ("hex", "\"" + t.hex + "\"")])
    }
}
