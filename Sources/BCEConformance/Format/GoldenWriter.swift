import Foundation

/// Writes golden cases in format version 2 (for `live`'s ready-to-paste cases).
public enum GoldenWriter {
    public static func caseObject(_ c: GoldenCase) -> [String: Any] {
        func tensor(_ t: GoldenTensor) -> [String: Any] {
            var object: [String: Any] = ["dtype": t.dtype.rawValue, "shape": t.shape, "hex": t.hex]
            if t.count <= 32 { object["values"] = t.values.map(render) }
            return object
        }
        var inputs: [String: Any] = ["input": tensor(c.inputs.input), "target": tensor(c.inputs.target)]
        if let w = c.inputs.weight { inputs["weight"] = tensor(w) }
        if let p = c.inputs.posWeight { inputs["pos_weight"] = tensor(p) }
        if let g = c.inputs.gradOutput { inputs["grad_output"] = tensor(g) }
        var object: [String: Any] = [
            "id": c.id, "comment": c.comment, "flags": c.flags, "loss": c.loss.rawValue, "dtype": c.dtype.rawValue,
            "reduction": c.reduction.rawValue, "inputs": inputs,
        ]
        switch c.expectation {
        case .error(let kind):
            object["expected_error"] = kind
        case .outputs(let o):
            var expected: [String: Any] = ["loss": tensor(o.loss)]
            if let t = o.gradInput { expected["grad_input"] = tensor(t) }
            if let t = o.gradTarget { expected["grad_target"] = tensor(t) }
            if let t = o.gradInputScale { expected["grad_input_scale"] = tensor(t) }
            if let t = o.gradTargetScale { expected["grad_target_scale"] = tensor(t) }
            object["expected"] = expected
        }
        if !c.acceptable.isEmpty {
            object["acceptable"] = c.acceptable.map { a -> [String: Any] in
                var outputs = [String: Any]()
                for name in GoldenCase.Alternative.outputNames { if let t = a.output(name) { outputs[name] = tensor(t) } }
                return ["source": a.source, "comment": a.comment, "outputs": outputs]
            }
        }
        if let t = c.tolerance { object["tolerance"] = ["rtol": t.rtol, "atol": t.atol] }
        return object
    }

    /// Pretty-printed with sorted keys.
    public static func caseJSON(_ c: GoldenCase) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: caseObject(c), options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Python's repr of a float, near enough for the human-readable "values" (readers ignore it).
    static func render(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        return "\(x)"
    }
}
