import Foundation

/// One parsed case file: `{ "format_version": 2, "loss": ..., "dtype": ..., "cases": [...] }`.
public struct GoldenFile: Sendable {
    /// Relative to the golden directory, e.g. "bce/float32.json".
    public let path: String
    public let loss: LossKind
    public let dtype: DType
    public let cases: [GoldenCase]
}

/// Reads golden case files (format version 2; any other version is refused) and golden TENSORs,
/// validating everything the contract states. Every problem is a `GoldenFormatError` naming the
/// file, case id and field.
public enum GoldenFileReader {
    /// Parses the bytes of one case file; `path` is used in errors and recorded in each case.
    public static func read(_ data: Data, path: String) throws(GoldenFormatError) -> GoldenFile {
        try GoldenJSON.decode(data, file: path) { (top: GoldenFields) throws(GoldenFormatError) -> GoldenFile in
            let version = try top.int("format_version")
            guard version == GoldenFormat.version else {
                throw top.error("format_version", .unknownFormatVersion(version))
            }
            let loss = try top.enumValue("loss", as: LossKind.self)
            let dtype = try top.enumValue("dtype", as: DType.self)
            var cases = [GoldenCase]()
            var seen = Set<String>()
            for fields in try top.objects("cases") {
                let golden = try readCase(fields, fileLoss: loss, fileDType: dtype, path: path)
                guard seen.insert(golden.id).inserted else {
                    throw GoldenFormatError(file: path, caseID: golden.id, field: "id", reason: .duplicateID(firstIn: path))
                }
                cases.append(golden)
            }
            return GoldenFile(path: path, loss: loss, dtype: dtype, cases: cases)
        }
    }

    /// Reads one CASE object. The file's loss and dtype must equal the case's. Once the id is read,
    /// field paths in errors are relative to the case, which the error names by id.
    static func readCase(_ fields: GoldenFields, fileLoss: LossKind?, fileDType: DType?,
                         path: String) throws(GoldenFormatError) -> GoldenCase {
        var c = fields
        // Until the id is known, errors name the case by its index: the field path is "cases[i]...".
        let id = try c.string("id")
        // Checked before the id names the case in any message: it may hold a newline or worse.
        if let problem = GoldenNames.problem(id, .caseID) {
            throw c.error("id", .inconsistent("the id \(problem)"))
        }
        c.caseID = id
        c.pathBase = c.container.codingPath.count
        let loss = try c.enumValue("loss", as: LossKind.self)
        let dtype = try c.enumValue("dtype", as: DType.self)
        if let fileLoss, loss != fileLoss {
            throw c.error("loss", .inconsistent("case loss \(loss.rawValue) differs from the file's \(fileLoss.rawValue)"))
        }
        if let fileDType, dtype != fileDType {
            throw c.error("dtype", .dtypeMismatch(expected: fileDType.rawValue, actual: dtype.rawValue))
        }
        let reduction = try c.enumValue("reduction", as: ReductionKind.self)
        let prefix = "\(loss.rawValue)/\(dtype.rawValue)/\(reduction.rawValue)/"
        guard id.hasPrefix(prefix), id.utf8.count > prefix.utf8.count else {
            throw c.error("id", .inconsistent("id must start with \"\(prefix)\" and name the case after it"))
        }
        let comment = try c.optionalString("comment") ?? ""
        let flags = c.has("flags") ? try c.strings("flags") : []

        let inputsFields = try c.object("inputs")
        let input = try readTensor(inputsFields, "input", dtype: dtype)
        let target = try readTensor(inputsFields, "target", dtype: dtype)
        let weight = try readOptionalTensor(inputsFields, "weight", dtype: dtype)
        let posWeight = try readOptionalTensor(inputsFields, "pos_weight", dtype: dtype)
        if posWeight != nil, loss == .bce {
            throw inputsFields.error("pos_weight", .inconsistent("pos_weight is only an input of bce_with_logits"))
        }
        let gradOutput = try readOptionalTensor(inputsFields, "grad_output", dtype: dtype)
        let inputs = GoldenCase.Inputs(input: input, target: target, weight: weight, posWeight: posWeight, gradOutput: gradOutput)

        let expectation: GoldenCase.Expectation
        switch (c.has("expected"), c.has("expected_error")) {
        case (true, true), (false, false):
            throw c.error(nil, .inconsistent("a case needs exactly one of \"expected\" and \"expected_error\""))
        case (false, true):
            let kind = try c.string("expected_error")
            guard ErrorKinds.all.contains(kind) else {
                throw c.error("expected_error", .unknownValue(kind, allowed: ErrorKinds.all.sorted()))
            }
            expectation = .error(kind: kind)
        case (true, false):
            let e = try c.object("expected")
            let outputs = GoldenCase.ExpectedOutputs(
                loss: try readTensor(e, "loss", dtype: dtype),
                gradInput: try readOptionalTensor(e, "grad_input", dtype: dtype),
                gradTarget: try readOptionalTensor(e, "grad_target", dtype: dtype),
                gradInputScale: try readOptionalTensor(e, "grad_input_scale", dtype: dtype),
                gradTargetScale: try readOptionalTensor(e, "grad_target_scale", dtype: dtype))
            try checkShapes(outputs, e, reduction: reduction, inputShape: input.shape)
            expectation = .outputs(outputs)
        }

        var acceptable = [GoldenCase.Alternative]()
        if c.has("acceptable") {
            guard case .outputs(let expected) = expectation else {
                throw c.error("acceptable", .inconsistent("only a case with \"expected\" may have \"acceptable\" results"))
            }
            acceptable = try readAcceptable(c, expected: expected, dtype: dtype)
            guard !acceptable.isEmpty else {
                throw c.error("acceptable", .inconsistent("is empty: a case without alternatives leaves \"acceptable\" out"))
            }
        }

        var tolerance: Tolerance?
        if let t = try c.optionalObject("tolerance") {
            let rtol = try t.double("rtol"), atol = try t.double("atol")
            guard rtol >= 0, atol >= 0, rtol.isFinite, atol.isFinite else {
                throw t.error(nil, .inconsistent("rtol and atol must be finite and non-negative"))
            }
            tolerance = Tolerance(rtol: rtol, atol: atol)
        }
        return GoldenCase(id: id, comment: comment, flags: flags, loss: loss, dtype: dtype, reduction: reduction,
                          inputs: inputs, expectation: expectation, acceptable: acceptable, tolerance: tolerance, file: path)
    }

    /// Reads `acceptable` (CONTRACTS section 0): a list of ALTERNATIVEs, each with a `source`, a
    /// `comment` and `outputs` holding some of loss / grad_input / grad_target. Each
    /// tensor is of the case dtype and has the shape of the expected field, which the case must
    /// have; a field equal to the expected one bit for bit is left out, so `outputs` is never empty.
    static func readAcceptable(_ c: GoldenFields, expected: GoldenCase.ExpectedOutputs,
                               dtype: DType) throws(GoldenFormatError) -> [GoldenCase.Alternative] {
        let expectedFields: [String: GoldenTensor] = [
            "loss": expected.loss, "grad_input": expected.gradInput, "grad_target": expected.gradTarget,
        ].compactMapValues { $0 }
        var alternatives = [GoldenCase.Alternative]()
        for a in try c.objects("acceptable") {
            for key in a.keys where !["source", "comment", "outputs"].contains(key) {
                throw a.error(key, .inconsistent("unknown field of an acceptable alternative (it has source, comment, outputs)"))
            }
            let source = try a.string("source")
            if let problem = GoldenNames.problem(source, .source) { throw a.error("source", .inconsistent("the source \(problem)")) }
            let comment = try a.string("comment")
            let outputs = try a.object("outputs")
            let outputKeys = outputs.keys
            for key in outputKeys where !GoldenCase.Alternative.outputNames.contains(key) {
                throw outputs.error(key, .inconsistent(
                    "unknown output of an acceptable alternative (it may have \(GoldenCase.Alternative.outputNames.joined(separator: ", ")))"))
            }
            guard !outputKeys.isEmpty else {
                throw outputs.error(nil, .inconsistent("an acceptable alternative must differ from \"expected\" in some output"))
            }
            var tensors = [String: GoldenTensor]()
            for name in GoldenCase.Alternative.outputNames where outputs.has(name) {
                guard let reference = expectedFields[name] else {
                    throw outputs.error(name, .inconsistent("the case's \"expected\" has no \(name) for this to be an alternative to"))
                }
                let tensor = try readTensor(outputs, name, dtype: dtype)
                guard tensor.shape == reference.shape else {
                    throw outputs.error("\(name).shape", .shapeMismatch(expected: reference.shape, actual: tensor.shape))
                }
                guard tensor.values.map(\.bitPattern) != reference.values.map(\.bitPattern) else {
                    throw outputs.error(name, .inconsistent("equals expected.\(name) bit for bit: an alternative leaves such a field out"))
                }
                tensors[name] = tensor
            }
            alternatives.append(GoldenCase.Alternative(source: source, comment: comment, loss: tensors["loss"],
                                                       gradInput: tensors["grad_input"], gradTarget: tensors["grad_target"]))
        }
        return alternatives
    }

    /// The expected outputs' shapes follow from the reduction and the input's shape.
    private static func checkShapes(_ o: GoldenCase.ExpectedOutputs, _ e: GoldenFields, reduction: ReductionKind,
                                    inputShape: [Int]) throws(GoldenFormatError) {
        let lossShape = reduction == .none ? inputShape : []
        guard o.loss.shape == lossShape else { throw e.error("loss.shape", .shapeMismatch(expected: lossShape, actual: o.loss.shape)) }
        let grads: [(String, GoldenTensor?)] = [("grad_input", o.gradInput), ("grad_target", o.gradTarget),
                                                ("grad_input_scale", o.gradInputScale), ("grad_target_scale", o.gradTargetScale)]
        for case let (name, tensor?) in grads where tensor.shape != inputShape {
            throw e.error("\(name).shape", .shapeMismatch(expected: inputShape, actual: tensor.shape))
        }
    }

    static func readOptionalTensor(_ parent: GoldenFields, _ key: String, dtype: DType) throws(GoldenFormatError) -> GoldenTensor? {
        parent.has(key) ? try readTensor(parent, key, dtype: dtype) : nil
    }

    /// Reads a TENSOR `{dtype, shape, hex}` whose dtype must be `dtype` ("values" is ignored), from
    /// a golden file or a port's message.
    static func readTensor(_ parent: GoldenFields, _ key: String, dtype: DType) throws(GoldenFormatError) -> GoldenTensor {
        let t = try parent.object(key)
        let tensorDType = try t.enumValue("dtype", as: DType.self)
        guard tensorDType == dtype else {
            throw t.error("dtype", .dtypeMismatch(expected: dtype.rawValue, actual: tensorDType.rawValue))
        }
        let shape = try t.ints("shape")
        let count: Int
        do {
            count = try GoldenTensor.elementCount(of: shape)
        } catch {
            throw t.error("shape", .invalidShape(error))
        }
        let hex = try t.string("hex")
        let values: [Double]
        do {
            values = try HexCodec.decode(hex, dtype: dtype, count: count)
        } catch {
            throw t.error("hex", .invalidHex(error))
        }
        do {
            return try GoldenTensor(dtype: dtype, shape: shape, values: values)
        } catch {
            throw t.error("shape", .invalidShape(error))
        }
    }
}
