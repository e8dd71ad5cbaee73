import CPythonShim

/// Everything that can go wrong between Swift and the embedded Python.
public enum PythonError: Error, Sendable, CustomStringConvertible {
    /// Python raised; the exception's type, message, traceback and attributes are in it.
    case exception(PythonException)
    /// libpython could not be loaded (it is opened on first use, not linked): the message names
    /// the library, the loader's reason and the Debian packages to install.
    case libpythonUnavailable(String)
    /// The interpreter could not start (the reason comes from CPython's start-up).
    case interpreterUnavailable(String)
    /// `import numpy` failed. Names the interpreter, where it looked and how to fix it.
    case numpyUnavailable(NumPyUnavailable)
    /// `Python.configure` after the interpreter had started.
    case alreadyStarted
    /// A Python object is not of the type a Swift conversion needs.
    case typeMismatch(expected: String, actual: String)
    /// An array's dtype, item size, byte order or shape does not fit the Swift side.
    case arrayMismatch(String)
    /// A zero-copy NumPy view of Swift memory was still referenced when its scope ended: Python
    /// or Swift code kept the array, a view of it, or a memoryview of its memory (`detail` says
    /// which counts were too high). Those now point at memory Swift may free: drop them, and copy
    /// what must outlive the scope (`numpyArray(copying:shape:)`, or `.copy()` in Python).
    case viewEscaped(detail: String)

    /// The Python exception, when this error is one.
    public var exception: PythonException? {
        switch self {
        case .exception(let exception): exception
        case .numpyUnavailable(let details): details.exception
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .exception(let exception): "Python exception: \(exception)"
        case .libpythonUnavailable(let reason): "the embedded Python interpreter is not available: \(reason)"
        case .interpreterUnavailable(let reason): "the embedded Python interpreter could not start: \(reason)"
        case .numpyUnavailable(let details): details.description
        case .alreadyStarted: "Python.configure must be called before the interpreter starts (before the first Python.withGIL)"
        case .typeMismatch(let expected, let actual): "expected a Python \(expected), got \(actual)"
        case .arrayMismatch(let reason): "array mismatch: \(reason)"
        case .viewEscaped(let detail):
            "a zero-copy NumPy view of Swift memory outlived its scope (\(detail)); "
                + "copy what must outlive the scope instead"
        }
    }

    /// Takes the pending Python exception (GIL held). Every shim call that returned NULL or -1 has
    /// set one; if not, this reports that as a SystemError rather than crashing.
    static func takeCurrent() -> PythonError {
        guard let pointer = bce_error_take() else {
            return .exception(PythonException(
                typeName: "SystemError", typeHierarchy: ["SystemError", "Exception", "BaseException", "object"],
                message: "a Python C API call failed without setting an exception"))
        }
        return .exception(PythonException(describing: PythonObject(owning: pointer)))
    }
}

/// Why NumPy could not be imported, and what to do about it.
public struct NumPyUnavailable: Sendable, CustomStringConvertible {
    /// `sys.executable` and `sys.prefix` of the embedded interpreter.
    public var executable: String
    public var prefix: String
    /// `sys.path` when the import failed.
    public var searchPath: [String]
    /// The ImportError (or whatever `import numpy` raised).
    public var exception: PythonException

    public var description: String {
        """
        NumPy cannot be imported by the embedded Python (\(executable), prefix \(prefix)): \
        \(exception.typeName): \(exception.message)
        It searched sys.path = \(searchPath)
        Fix: install Debian's NumPy for this interpreter (apt-get install python3-numpy), or put a \
        NumPy built for this Python version on the search path with \
        Python.configure(PythonConfiguration(searchPaths: ["<venv>/lib/python3.X/site-packages"])) before first use.
        """
    }
}
