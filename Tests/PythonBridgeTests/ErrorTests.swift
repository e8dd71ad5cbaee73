import Testing
import PythonBridge

@Suite("Python exceptions become Swift errors")
struct ErrorTests {
    /// Runs `body`, which must throw a Python exception, and returns it.
    private func exception(_ body: (PythonGIL) throws(PythonError) -> Void) throws -> PythonException {
        do {
            try Python.withGIL(body)
        } catch {
            return try #require(error.exception, "not a Python exception: \(error)")
        }
        Issue.record("no exception")
        throw PythonError.alreadyStarted
    }

    private func expectInterpreterStillWorks() throws {
        let four = try Python.withGIL { py throws(PythonError) in try Int(python: py.evaluate("2 + 2")) }
        #expect(four == 4)
    }

    @Test func zeroDivision() throws {
        let error = try exception { py throws(PythonError) in _ = try py.evaluate("1 / 0") }
        #expect(error.typeName == "ZeroDivisionError")
        #expect(error.isInstance(of: "ArithmeticError"))
        #expect(error.message == "division by zero")
        #expect(error.traceback.hasPrefix("Traceback (most recent call last):"))
        #expect(error.traceback.contains("ZeroDivisionError: division by zero"))
        try expectInterpreterStillWorks()
    }

    @Test func numpyTypeError() throws {
        let error = try exception { py throws(PythonError) in
            _ = try py.numpy().attr("linspace").call(0, 1, kwargs: ["num": "three"])
        }
        #expect(error.typeName == "TypeError")
        #expect(error.message.contains("'str' object cannot be interpreted as an integer"))
        #expect(error.traceback.contains("numpy"))
        #expect(error.traceback.contains("TypeError: 'str' object cannot be interpreted as an integer"))

        let ufunc = try exception { py throws(PythonError) in
            let np = try py.numpy()
            _ = try np.attr("add").call(np.attr("ones").call(3), "a")
        }
        #expect(ufunc.isInstance(of: "TypeError"))
        #expect(ufunc.message.contains("ufunc 'add'"))
        try expectInterpreterStillWorks()
    }

    @Test func missingModule() throws {
        let error = try exception { py throws(PythonError) in _ = try py.import("no_such_module_for_the_bridge") }
        #expect(error.typeName == "ModuleNotFoundError")
        #expect(error.isInstance(of: "ImportError"))
        #expect(error.message == "No module named 'no_such_module_for_the_bridge'")
        #expect(error.traceback.contains("ModuleNotFoundError: No module named 'no_such_module_for_the_bridge'"))
        try expectInterpreterStillWorks()
    }

    @Test func missingNumPyNamesTheInterpreterAndTheFix() throws {
        do {
            try Python.withGIL { py throws(PythonError) in _ = try py.importNumPy(moduleName: "numpy_not_installed_here") }
            Issue.record("imported a module that does not exist")
        } catch {
            guard case .numpyUnavailable(let details) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(details.prefix == "/usr")
            #expect(details.executable == Python.systemExecutable)
            #expect(details.searchPath.contains("/usr/lib/python3/dist-packages"))
            #expect(details.exception.typeName == "ModuleNotFoundError")
            #expect(error.description.contains("apt-get install python3-numpy"))
            #expect(error.description.contains("/usr/lib/python3/dist-packages"))
        }
        try expectInterpreterStillWorks()
    }

    /// The pattern of bce_reference.evaluate: an exception class with a `kind` attribute.
    @Test func exceptionAttributesAreKept() throws {
        let error = try exception { py throws(PythonError) in
            let module = try py.makeModule(named: "bce_reference_like", source: """
                class BCEReferenceError(Exception):
                    def __init__(self, kind, message):
                        super().__init__(message)
                        self.kind = kind

                def evaluate(loss, dtype, reduction, input, target, weight=None):
                    raise BCEReferenceError("input_out_of_range", f"input[0] = {input[0]} is not in [0, 1]")
                """)
            _ = try module.attr("evaluate").call("bce", "float32", "mean", [2.0], [1.0], kwargs: ["weight": nil])
        }
        #expect(error.typeName == "bce_reference_like.BCEReferenceError")
        #expect(error.attributes["kind"] == "input_out_of_range")
        #expect(error.message == "input[0] = 2.0 is not in [0, 1]")
        #expect(error.traceback.contains("raise BCEReferenceError"))
        let kind = try Python.withGIL { _ throws(PythonError) in try String(python: error.object!.attr("kind")) }
        #expect(kind == "input_out_of_range")
    }
}
