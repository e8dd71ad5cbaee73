import BCEConformance
import BinaryCrossEntropy
import Foundation
import PythonBridge

/// A bfloat16 element as it crosses to NumPy: its bits, as `uint16` (NumPy has no bfloat16;
/// bce_reference takes and returns bfloat16 arrays as uint16 bit arrays, CONTRACTS section 0).
struct BrainFloat16Bits: NumPyScalar, Equatable {
    var bits: UInt16
    static var bufferFormat: Unicode.Scalar { "H" }
    static var numpyDTypeName: String { "uint16" }
}

/// scripts/bce_reference.py `evaluate`, called in the embedded interpreter: the oracle of `live`
/// (and scripts/pytorch_cpu.py `pytorch_cpu`, the acceptable alternative of `live --port`).
/// Every call holds the GIL for its whole length (synchronous, never across an await).
final class NumPyReference: Sendable {
    /// The scripts directory, on sys.path ahead of everything else.
    let scripts: URL

    init(scripts: URL) throws(PythonError) {
        self.scripts = scripts
        try Python.configure(PythonConfiguration(searchPaths: [scripts.path]))
        try Python.withGIL { py throws(PythonError) in
            _ = try py.import("bce_reference")
        }
    }

    /// NumPy's version and the interpreter, for the report.
    func describe() -> String {
        (try? Python.withGIL { py throws(PythonError) -> String in
            let version = try String(python: py.numpy().attr("__version__"))
            return "NumPy \(version), \(try py.interpreterInfo().executable)"
        }) ?? "NumPy (unknown version)"
    }

    func expectation(_ c: GoldenCase) throws(PythonError) -> GoldenCase.Expectation {
        try call(c, module: "bce_reference", function: "evaluate")
    }

    /// PyTorch's CPU arithmetic for a value case (scripts/pytorch_cpu.py `pytorch_cpu`, the
    /// generator's `pytorch-cpu` alternative, CONTRACTS section 0), as an acceptable alternative.
    func alternatives(_ c: GoldenCase) throws(PythonError) -> [GoldenCase.Alternative] {
        guard case .outputs(let o) = try call(c, module: "pytorch_cpu", function: "pytorch_cpu"),
              case .outputs(let e) = c.expectation else { return [] }
        // As the golden format records it: only the fields whose bits differ from the exact value.
        func differing(_ t: GoldenTensor?, _ exact: GoldenTensor?) -> GoldenTensor? { t?.hex == exact?.hex ? nil : t }
        let alternative = GoldenCase.Alternative(
            source: "pytorch-cpu", comment: "PyTorch 2.x CPU arithmetic in \(c.dtype.rawValue) (scripts/pytorch_cpu.py)",
            loss: differing(o.loss, e.loss), gradInput: differing(o.gradInput, e.gradInput),
            gradTarget: differing(o.gradTarget, e.gradTarget))
        if alternative.loss == nil, alternative.gradInput == nil, alternative.gradTarget == nil { return [] }
        return [alternative]
    }

    /// `module.function(loss, dtype, reduction, input, target, weight=, pos_weight=, grad_output=)`
    /// (evaluate's signature, which pytorch_cpu shares) as an expectation.
    private func call(_ c: GoldenCase, module: String, function: String) throws(PythonError) -> GoldenCase.Expectation {
        let scaled = function == "evaluate"
        return try Python.withGIL { py throws(PythonError) -> GoldenCase.Expectation in
            let reference = try py.import(module)
            let np = try py.numpy()
            func array(_ t: GoldenTensor?) throws(PythonError) -> PythonObject? {
                guard let t else { return nil }
                let flat: PythonObject
                switch t.dtype {
                case .float16: flat = try py.numpyArray(t.values.map { Float16($0) }, shape: [t.count])
                case .bfloat16:
                    flat = try py.numpyArray(t.values.map { BrainFloat16Bits(bits: BrainFloat16($0).bitPattern) }, shape: [t.count])
                case .float32: flat = try py.numpyArray(t.values.map { Float($0) }, shape: [t.count])
                case .float64: flat = try py.numpyArray(t.values, shape: [t.count])
                }
                // Reshaped in NumPy, so 0-d arrays are 0-d there too.
                return try np.attr("reshape").call(flat, try py.builtins.attr("tuple").call(t.shape))
            }
            let result: PythonObject
            do throws(PythonError) {
                result = try reference.attr(function).call(
                    c.loss.rawValue, c.dtype.rawValue, c.reduction.rawValue, try array(c.inputs.input), try array(c.inputs.target),
                    kwargs: ["weight": try array(c.inputs.weight), "pos_weight": try array(c.inputs.posWeight),
                             "grad_output": try array(c.inputs.gradOutput)])
            } catch {
                if let exception = error.exception, exception.isInstance(of: "BCEReferenceError"),
                   let kind = exception.attributes["kind"] {
                    return .error(kind: kind)
                }
                throw error
            }
            // The shapes follow from the reduction; the element counts are checked against them.
            let inputShape = c.inputs.input.shape
            func tensor(_ key: String) throws(PythonError) -> GoldenTensor {
                let value = try np.attr("ravel").call(try result.item(key))
                let shape = key == "loss" && c.reduction != .none ? [] : inputShape
                let values: [Double]
                switch c.dtype {
                case .float16:
                    values = try value.toArray(Float16.self).scalars.map { Double($0) }
                case .bfloat16:
                    values = try value.toArray(BrainFloat16Bits.self).scalars.map { Double(BrainFloat16(bitPattern: $0.bits)) }
                case .float32:
                    values = try value.toArray(Float.self).scalars.map { Double($0) }
                case .float64:
                    values = try value.toArray(Double.self).scalars
                }
                do {
                    return try GoldenTensor(dtype: c.dtype, shape: shape, values: values)
                } catch {
                    throw PythonError.arrayMismatch("\(key): \(error)")
                }
            }
            return .outputs(GoldenCase.ExpectedOutputs(
                loss: try tensor("loss"), gradInput: try tensor("grad_input"), gradTarget: try tensor("grad_target"),
                gradInputScale: scaled ? try tensor("grad_input_scale") : nil,
                gradTargetScale: scaled ? try tensor("grad_target_scale") : nil))
        }
    }
}
