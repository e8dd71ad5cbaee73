import CPythonShim
import Synchronization

/// The one embedded CPython interpreter of the process, and the only way into it.
///
/// The interpreter starts on first use (from any thread), exactly once, and is never finalized:
/// NumPy cannot be imported again into a re-initialized interpreter (numpy/numpy#11925). After
/// start-up nobody holds the GIL; `withGIL` takes it for the length of a synchronous closure, so no
/// `await` can happen while it is held, and any number of threads and tasks may call in at once.
public enum Python {
    private struct StartState {
        var configuration = PythonConfiguration()
        var started = false
    }

    private static let startState = Mutex(StartState())

    /// Sets how the interpreter will start. Call it before the first `withGIL`; once the interpreter
    /// has started this throws `PythonError.alreadyStarted` (and changes nothing).
    public static func configure(_ configuration: PythonConfiguration) throws(PythonError) {
        try startState.withLock { (state: inout StartState) throws(PythonError) in
            guard !state.started else { throw PythonError.alreadyStarted }
            state.configuration = configuration
        }
    }

    /// The system interpreter this package embeds, e.g. "/usr/bin/python3.11" (from the Python
    /// headers it was compiled with).
    public static var systemExecutable: String { String(cString: bce_system_python_executable()) }

    /// The libpython this package opens on first use (it is not linked), e.g. "libpython3.11.so.1.0".
    public static var libraryName: String { String(cString: bce_libpython_name()) }

    /// The version of the Python headers this package was compiled with, e.g. "3.11.2".
    public static var headersVersion: String { String(cString: bce_compiled_python_version()) }

    /// Runs `body` holding the GIL, starting the interpreter first if this is the first use.
    ///
    /// Re-entrant: a nested `withGIL` on the same thread just runs its body. Do not let `py`, or
    /// anything that needs the GIL, escape the closure; `PythonObject` values may escape (their
    /// methods need a `withGIL` scope again, their deinit takes the GIL itself).
    public static func withGIL<Result>(
        _ body: (PythonGIL) throws(PythonError) -> Result
    ) throws(PythonError) -> Result {
        try startResult.get()
        let token = bce_gil_ensure()
        defer { releaseGIL(token) }
        return try body(PythonGIL())
    }

    /// `withGIL` for a closure that may throw any error (Python's or the caller's own), so that
    /// closures need no `throws(PythonError)` annotation. The interpreter's start-up failure is
    /// thrown as a `PythonError`.
    @_disfavoredOverload
    public static func withGIL<Result>(
        _ body: (PythonGIL) throws -> Result
    ) throws -> Result {
        try startResult.get()
        let token = bce_gil_ensure()
        defer { releaseGIL(token) }
        return try body(PythonGIL())
    }

    private static func releaseGIL(_ token: Int32) {
        // No exception may outlive the scope that raised it: the next C API call on this thread
        // would misreport it. Every failure is taken where it happens; this only catches bugs.
        let hadPendingException = bce_error_discard_pending() != 0
        bce_gil_release(token)
        assert(!hadPendingException, "a Python exception was left pending at the end of Python.withGIL")
    }

    /// Starts the interpreter now (if it has not started) and reports whether it could.
    public static func start() throws(PythonError) {
        try startResult.get()
    }

    /// Computed once per process (Swift guarantees thread-safe one-time initialization).
    private static let startResult: Result<Void, PythonError> = {
        let configuration = startState.withLock { (state: inout StartState) -> PythonConfiguration in
            state.started = true
            return state.configuration
        }
        var message = [CChar](repeating: 0, count: 1024)
        let status = bce_interpreter_start(&message, message.count)
        if status < 0 {
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            return .failure(status == -2 ? .libpythonUnavailable(text) : .interpreterUnavailable(text))
        }
        guard !configuration.searchPaths.isEmpty else { return .success(()) }
        let token = bce_gil_ensure()
        defer { bce_gil_release(token) }
        return Result { () throws(PythonError) in
            try PythonGIL().addSiteDirectoriesFirst(configuration.searchPaths)
        }
    }()
}

extension PythonGIL {
    /// site.addsitedir for each path, then moves everything added to the front of sys.path.
    fileprivate func addSiteDirectoriesFirst(_ paths: [String]) throws(PythonError) {
        let module = try makeModule(named: "_pythonbridge_startup", source: """
            import site, sys

            def add_first(paths):
                added = []
                for path in paths:
                    before = set(sys.path)
                    site.addsitedir(path)
                    new = [entry for entry in sys.path if entry not in before]
                    for entry in new:
                        sys.path.remove(entry)
                    added += new
                sys.path[0:0] = added
            """)
        _ = try module.attr("add_first").call(paths)
    }
}
