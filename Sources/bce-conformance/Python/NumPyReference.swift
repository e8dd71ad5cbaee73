import BCEConformance
import Foundation
import PythonBridge

/// scripts/bce_reference.py `evaluate`, called in the embedded interpreter: the oracle of `live`.
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
        try Python.withGIL { py throws(PythonError) -> GoldenCase.Expectation in
            let reference = try py.import("bce_reference")
            let np = try py.numpy()
            func array(_ t: GoldenTensor?) throws(PythonError) -> PythonObject? {
                guard let t else { return nil }
                let flat: PythonObject
                switch t.dtype {
                case .float16: flat = try py.numpyArray(t.values.map { Float16($0) }, shape: [t.count])
                case .bfloat16: throw PythonError.arrayMismatch("live does not fuzz bfloat16 yet")
                case .float32: flat = try py.numpyArray(t.values.map { Float($0) }, shape: [t.count])
                case .float64: flat = try py.numpyArray(t.values, shape: [t.count])
                }
                // Reshaped in NumPy, so 0-d arrays are 0-d there too.
                return try np.attr("reshape").call(flat, try py.builtins.attr("tuple").call(t.shape))
            }
            let result: PythonObject
            do throws(PythonError) {
                result = try reference.attr("evaluate").call(
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
                    throw PythonError.arrayMismatch("live does not fuzz bfloat16 yet")
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
                gradInputScale: try tensor("grad_input_scale"), gradTargetScale: try tensor("grad_target_scale")))
        }
    }
}
