import Testing
import PythonBridge

/// The bytes of the elements, so NaN payloads and signed zeros compare exactly.
func bits<Scalar>(_ scalars: [Scalar]) -> [UInt8] {
    scalars.withUnsafeBytes { Array($0) }
}

/// Special values first (NaN with a payload, infinities, signed zeros, the smallest subnormal,
/// the extremes), then ordinary values, cycled to fill `count`.
func sampleValues<Scalar: BinaryFloatingPoint>(_ count: Int, of: Scalar.Type = Scalar.self) -> [Scalar] {
    let specials: [Scalar] = [
        .nan, -.nan, Scalar(sign: .plus, exponentBitPattern: Scalar.nan.exponentBitPattern,
               significandBitPattern: Scalar.nan.significandBitPattern | 5), .infinity, -.infinity, 0, -0.0,
        .leastNonzeroMagnitude, -.leastNormalMagnitude, .greatestFiniteMagnitude, 1, -1, 0.1, 1 / 3,
    ]
    return (0..<count).map { index in
        index < specials.count ? specials[index] : Scalar(index) * 0.37 - 5
    }
}

let shapes: [[Int]] = [[], [0], [7], [2, 3, 4], [3, 0, 2]]

@Suite("NumPy arrays to and from Swift memory")
struct NumPyArrayTests {
    private func roundTrip<Scalar: NumPyScalar & BinaryFloatingPoint>(_: Scalar.Type, shape: [Int]) throws {
        let count = shape.reduce(1, *)
        let values = sampleValues(count, of: Scalar.self)
        try Python.withGIL { py throws(PythonError) in
            // Copy once into NumPy, then back.
            let copied = try py.numpyArray(values, shape: shape)
            #expect(try String(python: copied.attr("dtype").attr("name")) == Scalar.numpyDTypeName)
            #expect(try [Int](python: copied.attr("shape")) == shape)
            #expect(try Bool(python: copied.attr("flags").attr("owndata")))
            let back = try copied.toArray(Scalar.self)
            #expect(back.shape == shape)
            #expect(bits(back.scalars) == bits(values))

            // A zero-copy view, and NumPy's own copy of it.
            let viewed = try values.withUnsafeBufferPointer { (buffer) throws(PythonError) in
                try py.withNumPyView(of: buffer, shape: shape) { (array) throws(PythonError) in
                    #expect(try [Int](python: array.attr("shape")) == shape)
                    #expect(try !Bool(python: array.attr("flags").attr("writeable")))
                    let roundTripped = try array.toArray(Scalar.self)
                    let copiedByNumPy = try array.callMethod("copy").toArray(Scalar.self)
                    return (roundTripped, copiedByNumPy)
                }
            }
            #expect(viewed.0.shape == shape && viewed.1.shape == shape)
            #expect(bits(viewed.0.scalars) == bits(values))
            #expect(bits(viewed.1.scalars) == bits(values))
        }
    }

    @Test(arguments: shapes) func float16(shape: [Int]) throws { try roundTrip(Float16.self, shape: shape) }
    @Test(arguments: shapes) func float32(shape: [Int]) throws { try roundTrip(Float.self, shape: shape) }
    @Test(arguments: shapes) func float64(shape: [Int]) throws { try roundTrip(Double.self, shape: shape) }

    @Test func numpyComputesOnAViewOfSwiftMemory() throws {
        let input: [Double] = [0, 1, 2, 3]
        let sum = try Python.withGIL { py throws(PythonError) in
            try input.withUnsafeBufferPointer { (buffer) throws(PythonError) in
                try py.withNumPyView(of: buffer, shape: [2, 2]) { (array) throws(PythonError) in
                    try Double(python: array.callMethod("sum"))
                }
            }
        }
        #expect(sum == 6)
    }

    @Test func numpyWritesInPlaceThroughOut() throws {
        let input: [Float] = [0, 1, -0.5, 3]
        var output = [Float](repeating: .nan, count: 4)
        try Python.withGIL { py throws(PythonError) in
            let np = try py.numpy()
            let source = try py.numpyArray(input)
            _ = try output.withUnsafeMutableBufferPointer { (buffer) throws(PythonError) in
                try py.withNumPyView(ofMutable: buffer, shape: [4]) { (out) throws(PythonError) in
                    // np.multiply returns `out` itself: drop it, or the view escapes the scope.
                    _ = try np.attr("multiply").call(source, 2, kwargs: ["out": out])
                }
            }
        }
        #expect(output == [0, 2, -1, 6])
    }

    @Test func readOnlyViewsRejectWrites() throws {
        let input: [Double] = [1, 2]
        try Python.withGIL { py throws(PythonError) in
            do throws(PythonError) {
                try input.withUnsafeBufferPointer { (buffer) throws(PythonError) in
                    try py.withNumPyView(of: buffer, shape: [2]) { (array) throws(PythonError) in
                        try array.setItem(0, 5.0)
                    }
                }
                Issue.record("wrote into a read-only view")
            } catch {
                #expect(error.exception?.typeName == "ValueError")
            }
        }
        #expect(input == [1, 2])
    }

    @Test func nonContiguousArraysAreMadeContiguous() throws {
        try Python.withGIL { py throws(PythonError) in
            let transposed = try py.evaluate("__import__('numpy').arange(6.0).reshape(2, 3).T")
            let back = try transposed.toArray(Double.self)
            #expect(back.shape == [3, 2])
            #expect(back.scalars == [0, 3, 1, 4, 2, 5])
            let strided = try py.evaluate("__import__('numpy').arange(10, dtype='float32')[::3]")
            let stridedBack = try strided.toArray(Float.self)
            #expect(stridedBack.shape == [4] && stridedBack.scalars == [0, 3, 6, 9])
        }
    }

    @Test func mismatchedDTypeItemSizeAndByteOrderAreRejected() throws {
        try Python.withGIL { py throws(PythonError) in
            let doubles = try py.numpyArray([1.0, 2.0])
            #expect(throws: PythonError.self) { _ = try doubles.toArray(Float.self) }
            #expect(throws: PythonError.self) { _ = try doubles.toArray(Float16.self) }
            let ints = try py.evaluate("__import__('numpy').arange(3, dtype='int64')")
            #expect(throws: PythonError.self) { _ = try ints.toArray(Double.self) }
            let bigEndian = try py.evaluate("__import__('numpy').arange(3.0).astype('>f8')")
            do throws(PythonError) {
                _ = try bigEndian.toArray(Double.self)
                Issue.record("read a big-endian array as native")
            } catch {
                #expect(error.description.contains("byte order"))
            }
            // NumPy scalars (what a.sum() returns) export a 0-d buffer.
            let scalar = try py.evaluate("__import__('numpy').float32(-0.0)").toArray(Float.self)
            #expect(scalar.shape == [] && bits(scalar.scalars) == bits([Float(-0.0)]))
            // Python floats and lists go through np.asarray.
            #expect(try py.object(2.5).toArray(Double.self).shape == [])
            #expect(try py.object([1.0, 2.0]).toArray(Double.self).scalars == [1, 2])
        }
    }

    @Test func shapeMustMatchTheBuffer() throws {
        try Python.withGIL { py throws(PythonError) in
            #expect(throws: PythonError.self) { _ = try py.numpyArray([1.0, 2.0], shape: [3]) }
            #expect(throws: PythonError.self) { _ = try py.numpyArray([Double](), shape: [-1]) }
        }
    }

    /// The frames of a Python function that raised hold its arguments; that is not an escape.
    @Test func exceptionsFromFunctionsGivenAViewAreNotEscapes() throws {
        let memory: [Double] = [1, 2, 3]
        do throws(PythonError) {
            try Python.withGIL { py throws(PythonError) in
                let module = try py.makeModule(named: "raiser", source: """
                    def check(values):
                        doubled = values * 2
                        view = values[1:]
                        try:
                            raise KeyError("inner")
                        except KeyError:
                            raise ValueError(f"bad input of {values.size} elements")
                    """)
                try memory.withUnsafeBufferPointer { (buffer) throws(PythonError) in
                    try py.withNumPyView(of: buffer, shape: [3]) { (array) throws(PythonError) in
                        _ = try module.attr("check").call(array)
                    }
                }
            }
            Issue.record("no exception")
        } catch {
            #expect(error.exception?.typeName == "ValueError", "\(error)")
            #expect(error.exception?.message == "bad input of 3 elements")
            #expect(error.exception?.traceback.contains("KeyError: 'inner'") == true)
        }
    }

    @Test func escapedViewsAreReported() throws {
        let memory: [Double] = [1, 2, 3]
        try Python.withGIL { py throws(PythonError) in
            let keeper = try py.makeModule(named: "keeper", source: "kept = []")
            let kept = try keeper.attr("kept")
            let np = try py.numpy()
            let escapes: [(String, (PythonObject) throws(PythonError) -> Void)] = [
                ("the array itself", { (a) throws(PythonError) in try kept.callMethod("append", a) }),
                ("a slice of it", { (a) throws(PythonError) in try kept.callMethod("append", a.item(py.builtins.attr("slice").call(1, nil))) }),
                ("np.frombuffer of it", { (a) throws(PythonError) in try kept.callMethod("append", np.attr("frombuffer").call(a)) }),
                ("a memoryview of it", { (a) throws(PythonError) in try kept.callMethod("append", py.builtins.attr("memoryview").call(a)) }),
            ]
            for (what, escape) in escapes {
                do throws(PythonError) {
                    try memory.withUnsafeBufferPointer { (buffer) throws(PythonError) in
                        try py.withNumPyView(of: buffer, shape: [3]) { (array) throws(PythonError) in try escape(array) }
                        _ = try kept.callMethod("clear")  // only reached when the escape went unnoticed
                    }
                    Issue.record("\(what) escaped unnoticed")
                } catch {
                    guard case .viewEscaped = error else {
                        Issue.record("\(what): unexpected \(error)")
                        continue
                    }
                }
                _ = try kept.callMethod("clear")  // while `memory` is still alive
            }

            // A Swift reference kept past the scope.
            var escapedObject: PythonObject?
            do throws(PythonError) {
                try memory.withUnsafeBufferPointer { (buffer) throws(PythonError) in
                    try py.withNumPyView(of: buffer, shape: [3]) { (array) throws(PythonError) in escapedObject = array }
                }
                Issue.record("a Swift reference escaped unnoticed")
            } catch {
                guard case .viewEscaped = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
            }
            #expect(escapedObject != nil)
            escapedObject = nil

            // Results computed from the view are new arrays and may be kept.
            let kept2 = try memory.withUnsafeBufferPointer { (buffer) throws(PythonError) in
                try py.withNumPyView(of: buffer, shape: [3]) { (array) throws(PythonError) in
                    try np.attr("log1p").call(array)
                }
            }
            #expect(try kept2.toArray(Double.self).scalars[0] == 0.6931471805599453)  // log(2)
        }
    }
}

/// The way the conformance runner calls scripts/bce_reference.py: keyword arguments, arrays in,
/// a dict of arrays out.
@Test func referenceCallPattern() throws {
    let input: [Float] = [0.25, 0.5, 0.75]
    let target: [Float] = [0, 1, 1]
    let outputs = try Python.withGIL { py throws(PythonError) -> [String: (shape: [Int], scalars: [Float])] in
        let reference = try py.makeModule(named: "reference_like", source: """
            import numpy as np

            def evaluate(loss, dtype, reduction, input, target, weight=None, pos_weight=None, grad_output=None):
                x = np.asarray(input, dtype=np.longdouble)
                y = np.asarray(target, dtype=np.longdouble)
                terms = -(y * np.log(x) + (1 - y) * np.log1p(-x))
                return {"loss": np.asarray(terms.mean()).astype(dtype), "grad_input": ((x - y) / (x * (1 - x)) / x.size).astype(dtype)}
            """)
        let result = try reference.attr("evaluate").call(
            "bce", "float32", "mean", py.numpyArray(input), py.numpyArray(target),
            kwargs: ["weight": nil, "pos_weight": nil, "grad_output": nil])
        var outputs: [String: (shape: [Int], scalars: [Float])] = [:]
        for (name, array) in try [String: PythonObject](python: result) {
            outputs[name] = try array.toArray(Float.self)
        }
        return outputs
    }
    #expect(outputs["loss"]?.shape == [])
    #expect(abs((outputs["loss"]?.scalars[0] ?? 0) - 0.42283705) < 1e-6)  // (-2 log 0.75 - log 0.5) / 3
    #expect(outputs["grad_input"]?.shape == [3])
}
