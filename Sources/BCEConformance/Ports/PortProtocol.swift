import Foundation

/// The port protocol (CONTRACTS section 5): JSON Lines between the runner and a port, one message
/// per line, modelled on bowtie's harness protocol. Version 2 (section 5.1) adds capabilities:
///
/// ```
/// runner → {"type": "start", "protocol_version": 2, "accepts": [1, 2]}
/// port   → {"type": "started", "protocol_version": 2, "implementation": {name, language, version},
///           "capabilities": {losses, dtypes, reductions, outputs, arguments, errors, notes}}   (each optional)
///        | {"type": "started", "protocol_version": 1, "implementation": {name, language, version, losses, dtypes}}
/// runner → {"type": "run", "case": {id, loss, dtype, reduction, inputs}}
/// port   → {"type": "result", "id": ..., "outputs": {loss, grad_input, grad_target}}
///        | {"type": "result", "id": ..., "error": "<kind>", "message": "..."}
///        | {"type": "result", "id": ..., "skipped": "<reason>"}
/// runner → {"type": "stop"}            (the port exits 0)
/// ```
/// Both sides of it live here: the runner's messages and reply parsing (used by
/// `PortProcessImplementation`) and the port's (used by `PortServer`).
public enum PortProtocol {
    /// The version this runner asks for, and the versions it accepts from a port.
    public static let version = 2
    public static let accepted = [1, 2]

    public struct Violation: Error, Sendable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    // MARK: Runner → port

    public static func startMessage() -> String { #"{"type":"start","protocol_version":2,"accepts":[1,2]}"# }
    public static func stopMessage() -> String { #"{"type":"stop"}"# }

    /// The golden case without comment, flags and expectation.
    public static func runMessage(_ c: GoldenCase) -> String {
        var inputs = [("input", c.inputs.input), ("target", c.inputs.target)]
        if let w = c.inputs.weight { inputs.append(("weight", w)) }
        if let p = c.inputs.posWeight { inputs.append(("pos_weight", p)) }
        // Always sent (the protocol promises it): a generated case without one gets the default,
        // 1 (0-d) for mean/sum and ones of the input's shape for none.
        if let g = c.inputs.gradOutput ?? defaultGradOutput(c) { inputs.append(("grad_output", g)) }
        var s = #"{"type":"run","case":{"id":"# + JSONText.string(c.id)
        s += #","loss":"# + JSONText.string(c.loss.rawValue) + #","dtype":"# + JSONText.string(c.dtype.rawValue)
        s += #","reduction":"# + JSONText.string(c.reduction.rawValue) + #","inputs":"#
        s += JSONText.object(inputs.map { ($0.0, JSONText.tensor($0.1)) }) + "}}"
        return s
    }

    static func defaultGradOutput(_ c: GoldenCase) -> GoldenTensor? {
        let shape = c.reduction == .none ? c.inputs.input.shape : []
        return try? GoldenTensor(dtype: c.dtype, shape: shape, values: [Double](repeating: 1, count: shape.reduce(1, *)))
    }

    // MARK: Port → runner

    /// The port's "started" answer: version 2 with its capabilities, or version 1 (losses and
    /// dtypes inside `implementation`). Any violation names the field.
    public static func parseStarted(_ line: [UInt8]) throws(Violation) -> ImplementationInfo {
        try message(line, expecting: "started") { (m: GoldenFields) throws(GoldenFormatError) -> Result<ImplementationInfo, Violation> in
            let version = try m.int("protocol_version")
            guard accepted.contains(version) else {
                return .failure(Violation("\"started\" message: field protocol_version: the port speaks protocol version \(version); "
                                          + "this runner accepts versions \(accepted.map(String.init).joined(separator: " and "))"))
            }
            let i = try m.object("implementation")
            var capabilities = Capabilities.everything
            if version == 1, m.has("capabilities") {
                return .failure(Violation("\"started\" message: field capabilities: not part of protocol version 1 (answer protocol_version 2)"))
            }
            if let c = try m.optionalObject("capabilities") {
                capabilities = try readCapabilities(c)
                for key in ["losses", "dtypes"] where i.has(key) && c.has(key) {
                    return .failure(Violation("\"started\" message: field implementation.\(key): also in capabilities.\(key); "
                                              + "version 2 declares it in capabilities only"))
                }
            }
            if i.has("losses") { capabilities.losses = try values(i, "losses", as: LossKind.self) }
            if i.has("dtypes") { capabilities.dtypes = try values(i, "dtypes", as: DType.self) }
            return .success(ImplementationInfo(
                name: try i.string("name"), language: try i.optionalString("language") ?? "unknown",
                version: try i.optionalString("version") ?? "unknown", capabilities: capabilities, protocolVersion: version))
        }
    }

    /// The capability names of version 2 (CONTRACTS 5.1).
    public static let capabilityNames = ["losses", "dtypes", "reductions", "outputs", "arguments", "errors", "notes"]

    static func readCapabilities(_ c: GoldenFields) throws(GoldenFormatError) -> Capabilities {
        for key in c.keys where !capabilityNames.contains(key) {
            throw c.error(key, .inconsistent("is not a capability (known: \(capabilityNames.joined(separator: ", ")))"))
        }
        var caps = Capabilities.everything
        if c.has("losses") { caps.losses = try values(c, "losses", as: LossKind.self) }
        if c.has("dtypes") { caps.dtypes = try values(c, "dtypes", as: DType.self) }
        if c.has("reductions") { caps.reductions = try values(c, "reductions", as: ReductionKind.self) }
        if c.has("outputs") {
            caps.outputs = try values(c, "outputs", as: Capabilities.Output.self)
            guard caps.outputs.contains(.loss) else {
                throw c.error("outputs", .inconsistent("must include \"loss\" (the loss is always compared)"))
            }
        }
        if c.has("arguments") { caps.arguments = try values(c, "arguments", as: Capabilities.Argument.self) }
        if c.has("errors") {
            let kinds = try c.strings("errors")
            for (n, kind) in kinds.enumerated() where !Capabilities.errorKinds.contains(kind) {
                throw c.error("errors[\(n)]", .unknownValue(kind, allowed: Capabilities.errorKinds))
            }
            caps.errors = kinds
        }
        caps.notes = try c.optionalString("notes")
        return caps
    }

    /// A list of enumeration values, each known (the field path names the element that is not).
    static func values<E: RawRepresentable & CaseIterable & Equatable>(_ m: GoldenFields, _ key: String, as _: E.Type)
        throws(GoldenFormatError) -> [E]
    where E.RawValue == String {
        var result = [E]()
        for (n, value) in try m.strings(key).enumerated() {
            guard let e = E(rawValue: value) else {
                throw m.error("\(key)[\(n)]", .unknownValue(value, allowed: E.allCases.map(\.rawValue)))
            }
            if !result.contains(e) { result.append(e) }
        }
        return result
    }

    /// Parses the port's result for case `c`: the id must be `c.id` and tensors must be of `c.dtype`.
    /// Only the declared `outputs` are read (an undeclared one the port returns is ignored).
    public static func parseResult(_ line: [UInt8], for c: GoldenCase,
                                   outputs: [Capabilities.Output] = Capabilities.Output.allCases) throws(Violation) -> CaseOutcome {
        try message(line, expecting: "result") { (fields: GoldenFields) throws(GoldenFormatError) -> Result<CaseOutcome, Violation> in
            var m = fields
            m.caseID = c.id
            let id = try m.string("id")
            guard id == c.id else { return .failure(Violation("result for case \"\(id)\" while case \"\(c.id)\" was running")) }
            let kinds = [m.has("outputs"), m.has("error"), m.has("skipped")].filter { $0 }.count
            guard kinds == 1 else { return .failure(Violation("a result needs exactly one of \"outputs\", \"error\", \"skipped\"")) }
            if m.has("skipped") { return .success(.skipped(reason: try m.string("skipped"))) }
            if m.has("error") { return .success(.error(kind: try m.string("error"), message: try m.optionalString("message") ?? "")) }
            let o = try m.object("outputs")
            return .success(.outputs(CaseOutputs(
                loss: try GoldenFileReader.readTensor(o, "loss", dtype: c.dtype),
                gradInput: outputs.contains(.gradInput) ? try GoldenFileReader.readOptionalTensor(o, "grad_input", dtype: c.dtype) : nil,
                gradTarget: outputs.contains(.gradTarget) ? try GoldenFileReader.readOptionalTensor(o, "grad_target", dtype: c.dtype) : nil)))
        }
    }

    /// Reads one line from the port as a JSON object whose "type" is `type`, then `body` on it.
    /// A format problem becomes a Violation naming the message and the field.
    private static func message<T>(_ line: [UInt8], expecting type: String,
                                   _ body: @escaping @Sendable (GoldenFields) throws(GoldenFormatError) -> Result<T, Violation>)
        throws(Violation) -> T {
        let result: Result<T, Violation>
        do {
            result = try GoldenJSON.decode(Data(line), file: "port", asciiOnly: false) { (m: GoldenFields) throws(GoldenFormatError) -> Result<T, Violation> in
                guard m.has("type"), let actual = try? m.string("type") else {
                    return .failure(Violation("expected a \"\(type)\" message, got a JSON object without \"type\": \(preview(line))"))
                }
                guard actual == type else { return .failure(Violation("expected a \"\(type)\" message, got \"\(actual)\": \(preview(line))")) }
                return try body(m)
            }
        } catch {
            if let problem = notAnObject(error) {
                throw Violation("expected a \"\(type)\" message, got \(problem): \(preview(line))")
            }
            throw Violation("\"\(type)\" message: field \(error.field ?? "?") \(error.reason)")
        }
        return try result.get()
    }

    /// What is wrong with a line that is no JSON object (or one with a key twice), or nil for a
    /// problem inside a well-formed object.
    private static func notAnObject(_ error: GoldenFormatError) -> String? {
        guard error.field == nil else { return nil }
        switch error.reason {
        case .duplicateKey(let key, _): return "a JSON object with the key \"\(key)\" twice"
        case .invalidJSON, .wrongType, .encoding: return "a line that is not a JSON object"
        default: return nil
        }
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

    /// The "started" answer in `version` (2: capabilities; 1: losses and dtypes in `implementation`).
    public static func startedMessage(_ info: ImplementationInfo, version: Int = PortProtocol.version) -> String {
        func list<T: RawRepresentable>(_ values: [T]) -> String where T.RawValue == String {
            "[" + values.map { JSONText.string($0.rawValue) }.joined(separator: ",") + "]"
        }
        var impl = [("name", JSONText.string(info.name)), ("language", JSONText.string(info.language)),
                    ("version", JSONText.string(info.version))]
        let c = info.capabilities
        if version == 1 {
            impl += [("losses", list(c.losses)), ("dtypes", list(c.dtypes))]
            return #"{"type":"started","protocol_version":1,"implementation":"# + JSONText.object(impl) + "}"
        }
        var caps = [("losses", list(c.losses)), ("dtypes", list(c.dtypes)), ("reductions", list(c.reductions)),
                    ("outputs", list(c.outputs)), ("arguments", list(c.arguments)),
                    ("errors", "[" + c.errors.map(JSONText.string).joined(separator: ",") + "]")]
        if let notes = c.notes { caps.append(("notes", JSONText.string(notes))) }
        return #"{"type":"started","protocol_version":2,"implementation":"# + JSONText.object(impl)
            + #","capabilities":"# + JSONText.object(caps) + "}"
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
        /// The runner's version and the versions it accepts (version 1 runners send none: [version]).
        case start(protocolVersion: Int, accepts: [Int])
        case run(GoldenCase)
        case stop
    }

    public static func parseRequest(_ line: [UInt8]) throws(Violation) -> Request {
        let result: Result<Request, Violation>
        do {
            result = try GoldenJSON.decode(Data(line), file: "runner", asciiOnly: false) { (m: GoldenFields) throws(GoldenFormatError) -> Result<Request, Violation> in
                switch try m.string("type") {
                case "start":
                    let version = try m.int("protocol_version")
                    return .success(.start(protocolVersion: version, accepts: m.has("accepts") ? try m.ints("accepts") : [version]))
                case "stop": return .success(.stop)
                case "run": return .success(.run(try readRunCase(try m.object("case"))))
                case let other: return .failure(Violation("unknown message type \"\(other)\""))
                }
            }
        } catch {
            if let problem = notAnObject(error) { throw Violation("\(problem): \(preview(line))") }
            throw Violation("field \(error.field ?? "?")\(error.caseID.map { " (case \($0))" } ?? ""): \(error.reason)")
        }
        return try result.get()
    }

    /// The CASE of a "run" message: like a golden case without comment, flags and expectation.
    static func readRunCase(_ object: GoldenFields) throws(GoldenFormatError) -> GoldenCase {
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
