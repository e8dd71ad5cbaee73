import CPythonShim

/// Proof that the current thread holds the GIL, handed to the body of `Python.withGIL`.
///
/// Everything that creates Python objects starts here. It is not `Sendable` and must not outlive
/// the closure it was given to.
public struct PythonGIL {
    init() {}

    /// `import name` (e.g. "numpy.linalg"); the module is cached by Python after the first import.
    public func `import`(_ name: String) throws(PythonError) -> PythonObject {
        try PythonObject.checking(bce_import(name))
    }

    /// The `builtins` module (`len`, `float`, `isinstance`, ...).
    public var builtins: PythonObject {
        // Importing builtins cannot fail in a running interpreter.
        PythonObject(owning: bce_builtins()!)
    }

    /// Python's `None`.
    public var none: PythonObject { PythonObject(owning: bce_none()!) }

    /// Converts a Swift value (`Int`, `Double`, `String`, `Bool`, arrays, dictionaries, `nil`, ...).
    public func object(_ value: (any PythonConvertible)?) throws(PythonError) -> PythonObject {
        guard let value else { return none }
        return try value.makePythonObject()
    }

    /// A tuple of the given values (Swift tuples cannot be converted generically).
    public func tuple(_ elements: (any PythonConvertible)?...) throws(PythonError) -> PythonObject {
        try PythonObject.tuple(elements)
    }

    /// Evaluates one Python expression in a fresh namespace, e.g. `py.evaluate("2 ** 10")`.
    public func evaluate(_ expression: String) throws(PythonError) -> PythonObject {
        let globals = try PythonObject.checking(bce_dict_new())
        return try PythonObject.checking(bce_run(expression, 0, globals.pointer))
    }

    /// A new module object named `name` whose namespace is what running `source` defines. It is
    /// not registered in `sys.modules`; its source is registered with `linecache`, so tracebacks
    /// through it show its lines (as "File \"<name>\", line N").
    public func makeModule(named name: String, source: String) throws(PythonError) -> PythonObject {
        if ModuleMaker.function == nil {
            let namespace = try PythonObject.checking(bce_dict_new())
            _ = try PythonObject.checking(bce_run("""
                import linecache, types

                def make_module(name, source):
                    filename = "<" + name + ">"
                    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
                    module = types.ModuleType(name)
                    module.__file__ = filename
                    exec(compile(source, filename, "exec"), module.__dict__)
                    return module
                """, 1, namespace.pointer))
            ModuleMaker.function = try namespace.item("make_module")
        }
        return try ModuleMaker.function!.call(name, source)
    }

    /// Where the running interpreter is and where it imports from.
    public func interpreterInfo() throws(PythonError) -> PythonInterpreterInfo {
        let sys = try self.import("sys")
        return PythonInterpreterInfo(
            executable: try String(python: sys.attr("executable")),
            prefix: try String(python: sys.attr("prefix")),
            version: try String(python: sys.attr("version")),
            searchPath: try [String](python: sys.attr("path"))
        )
    }
}

@available(*, unavailable)
extension PythonGIL: Sendable {}

/// Read and written only with the GIL held, which serializes every access.
private enum ModuleMaker {
    nonisolated(unsafe) static var function: PythonObject?
}

/// `sys.executable`, `sys.prefix`, `sys.version` and `sys.path` of the embedded interpreter.
public struct PythonInterpreterInfo: Sendable, Equatable, CustomStringConvertible {
    public var executable: String
    public var prefix: String
    public var version: String
    public var searchPath: [String]

    public var description: String {
        "Python \(version.split(separator: " ").first ?? "?") at \(executable) (prefix \(prefix)), sys.path \(searchPath)"
    }
}
