import CPythonShim

/// NumPy objects used on every conversion, looked up once. Only read or written with the GIL
/// held, which serializes every access (a lock here could deadlock against the GIL).
enum NumPyCache {
    nonisolated(unsafe) static var module: PythonObject?
    nonisolated(unsafe) static var asarray: PythonObject?
    nonisolated(unsafe) static var array: PythonObject?
    nonisolated(unsafe) static var ascontiguousarray: PythonObject?
    nonisolated(unsafe) static var ndarray: PythonObject?
}

extension PythonGIL {
    /// The `numpy` module. If it cannot be imported, throws `PythonError.numpyUnavailable`, which
    /// names the interpreter, its prefix and search path, and the fix.
    public func numpy() throws(PythonError) -> PythonObject {
        if let module = NumPyCache.module { return module }
        let module = try importNumPy(moduleName: "numpy")
        NumPyCache.asarray = try module.attr("asarray")
        NumPyCache.array = try module.attr("array")
        NumPyCache.ascontiguousarray = try module.attr("ascontiguousarray")
        NumPyCache.ndarray = try module.attr("ndarray")
        NumPyCache.module = module
        return module
    }

    /// `import moduleName`, with an ImportError turned into `.numpyUnavailable` (a parameter so
    /// tests can import a module that is missing for sure).
    package func importNumPy(moduleName: String) throws(PythonError) -> PythonObject {
        do {
            return try self.import(moduleName)
        } catch {
            guard let exception = error.exception, exception.isInstance(of: "ImportError") else { throw error }
            let info = try interpreterInfo()
            throw .numpyUnavailable(NumPyUnavailable(
                executable: info.executable, prefix: info.prefix, searchPath: info.searchPath, exception: exception))
        }
    }
}
