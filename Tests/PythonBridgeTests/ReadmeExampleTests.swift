import Testing
import PythonBridge

/// The example of Sources/PythonBridge/README.md, verbatim, so that it keeps compiling.
@Test func readmeExample() throws {
    let (shape, loss) = try Python.withGIL { py in          // synchronous: no await while the GIL is held
        let np = try py.numpy()
        let input = try py.numpyArray([Float](repeating: 0.5, count: 6), shape: [2, 3])   // one copy
        let result = try np.attr("log1p").call(input)
        return try result.toArray(Float.self)                                               // one copy
    }
    #expect(shape == [2, 3])
    #expect(loss.allSatisfy { abs($0 - 0.4054651) < 1e-6 })  // log1p(0.5), NumPy's float32 within an ULP
}

/// Closures without annotations pick the untyped overload; annotated ones keep the typed error.
@Test func withGILOverloads() throws {
    let five = try Python.withGIL { _ in 5 }
    let typed: Int = try Python.withGIL { py throws(PythonError) in try Int(python: py.evaluate("6")) }
    let untyped = try Python.withGIL { py in try Int(python: py.evaluate("7")) }
    #expect([five, typed, untyped] == [5, 6, 7])
    do throws(PythonError) {
        try Python.withGIL { py throws(PythonError) in _ = try py.evaluate("1 / 0") }
    } catch {
        #expect(error.exception?.typeName == "ZeroDivisionError")
    }
}
