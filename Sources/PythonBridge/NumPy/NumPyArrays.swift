import CPythonShim

// NumPy arrays from and to Swift memory, through the buffer protocol: no per-element conversion.
//
// Swift → NumPy: a memoryview over the Swift memory (shape and format set, no copy), then
// np.asarray on it (still no copy). Either the view lives only inside a scope (`withNumPyView`),
// or np.array copies it once (`numpyArray(copying:shape:)`).
// NumPy → Swift: PyObject_GetBuffer, checks of format, item size, byte order and contiguity, one
// memcpy into a new Swift array.

/// NumPy objects used on every conversion, looked up once. Only read or written with the GIL
/// held, which serializes every access (a lock here could deadlock against the GIL).
private enum NumPyCache {
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
    func importNumPy(moduleName: String) throws(PythonError) -> PythonObject {
        do {
            return try self.import(moduleName)
        } catch {
            guard let exception = error.exception, exception.isInstance(of: "ImportError") else { throw error }
            let info = try interpreterInfo()
            throw .numpyUnavailable(NumPyUnavailable(
                executable: info.executable, prefix: info.prefix, searchPath: info.searchPath, exception: exception))
        }
    }

    // MARK: Swift → NumPy

    /// A new NumPy array (it owns its data) with a copy of `buffer`, row-major in `shape`
    /// (`[]` for a 0-d array of one element). One memcpy, no per-element conversion.
    public func numpyArray<Scalar: NumPyScalar>(
        copying buffer: UnsafeBufferPointer<Scalar>, shape: [Int]
    ) throws(PythonError) -> PythonObject {
        _ = try numpy()
        let view = try memoryView(over: UnsafeMutableRawPointer(mutating: buffer.baseAddress), count: buffer.count,
                                  of: Scalar.self, shape: shape, readonly: true)
        // np.array copies (its default copy=True), so nothing refers to the Swift memory afterwards.
        return try NumPyCache.array!.call(view)
    }

    /// A new NumPy array with a copy of `scalars`; `shape` defaults to one dimension.
    public func numpyArray<Scalar: NumPyScalar>(_ scalars: [Scalar], shape: [Int]? = nil) throws(PythonError) -> PythonObject {
        try scalars.withUnsafeBufferPointer { (buffer) throws(PythonError) -> PythonObject in
            try numpyArray(copying: buffer, shape: shape ?? [scalars.count])
        }
    }

    /// Lends `buffer` to NumPy as a read-only ndarray of `shape`, without copying, for the length
    /// of `body`.
    ///
    /// Nothing may keep the array, or any view of it, after `body` returns: the memory belongs to
    /// Swift. When something did (a Python global, a list, an attribute, a Swift variable outside
    /// the closure), this throws `PythonError.viewEscaped` after `body` returns (even if `body`
    /// threw). Results computed from the array (`np.log1p(a)`) are new arrays and may be kept.
    public func withNumPyView<Scalar: NumPyScalar, Result>(
        of buffer: UnsafeBufferPointer<Scalar>, shape: [Int],
        _ body: (PythonObject) throws(PythonError) -> Result
    ) throws(PythonError) -> Result {
        try withView(UnsafeMutableRawPointer(mutating: buffer.baseAddress), count: buffer.count, of: Scalar.self,
                     shape: shape, readonly: true, body)
    }

    /// Lends `buffer` to NumPy as a writable ndarray of `shape`, without copying, for the length of
    /// `body`: NumPy can write results straight into Swift memory with `out=`:
    ///
    ///     try py.withNumPyView(ofMutable: output, shape: [n]) { out in
    ///         _ = try np.attr("log1p").call(input, kwargs: ["out": out])
    ///     }
    ///
    /// The same escape rule and check as `withNumPyView(of:shape:_:)`. Note that ufuncs return
    /// `out` itself: returning that from `body` (a one-line closure does) is an escape.
    public func withNumPyView<Scalar: NumPyScalar, Result>(
        ofMutable buffer: UnsafeMutableBufferPointer<Scalar>, shape: [Int],
        _ body: (PythonObject) throws(PythonError) -> Result
    ) throws(PythonError) -> Result {
        try withView(UnsafeMutableRawPointer(buffer.baseAddress), count: buffer.count, of: Scalar.self,
                     shape: shape, readonly: false, body)
    }

    private func withView<Scalar: NumPyScalar, Result>(
        _ memory: UnsafeMutableRawPointer?, count: Int, of: Scalar.Type, shape: [Int], readonly: Bool,
        _ body: (PythonObject) throws(PythonError) -> Result
    ) throws(PythonError) -> Result {
        _ = try numpy()
        let view = try memoryView(over: memory, count: count, of: Scalar.self, shape: shape, readonly: readonly)
        var array: PythonObject? = try NumPyCache.asarray!.call(view)

        let outcome: Swift.Result<Result, PythonError>
        do {
            outcome = .success(try body(array!))
        } catch {
            outcome = .failure(error)
        }

        // Who still refers to the memory? A Swift reference to our PythonObject, a Python
        // reference to the ndarray (np.frombuffer(a), a[1:], lists, globals all hold one), or a
        // memoryview made from ours that outlives the ndarray. memoryview.release() alone would
        // not tell: the ndarray holds its own view.
        let swiftUnique = isKnownUniquelyReferenced(&array)
        let arrayReferences = array!.referenceCount
        array = nil
        let exports = bce_memoryview_exports(view.pointer)
        let viewReferences = view.referenceCount
        if !swiftUnique || arrayReferences != 1 || exports != 1 || viewReferences != 1 {
            let references = max(arrayReferences, exports, viewReferences) + (swiftUnique ? 0 : 1)
            throw .viewEscaped(references: references, detail:
                "Swift kept the PythonObject: \(!swiftUnique), ndarray references: \(arrayReferences), "
                + "views of the memory: \(exports), memoryview references: \(viewReferences)")
        }
        return try outcome.get()
    }

    /// A C-contiguous memoryview over Swift memory (no copy).
    private func memoryView<Scalar: NumPyScalar>(
        over memory: UnsafeMutableRawPointer?, count: Int, of: Scalar.Type, shape: [Int], readonly: Bool
    ) throws(PythonError) -> PythonObject {
        var elements = 1
        for dimension in shape {
            guard dimension >= 0 else { throw .arrayMismatch("negative dimension in shape \(shape)") }
            elements *= dimension
        }
        guard elements == count else {
            throw .arrayMismatch("shape \(shape) has \(elements) elements, the buffer has \(count)")
        }
        // memoryview wants a non-NULL address even for zero bytes; it never reads it then.
        let address = memory ?? UnsafeMutableRawPointer(bitPattern: MemoryLayout<Scalar>.alignment)!
        let format = CChar(truncatingIfNeeded: Scalar.bufferFormat.value)
        return try shape.withUnsafeBufferPointer { (dimensions) throws(PythonError) -> PythonObject in
            try .checking(bce_memoryview_over(address, format, MemoryLayout<Scalar>.stride, Int32(shape.count),
                                              dimensions.baseAddress, readonly ? 1 : 0))
        }
    }
}

// MARK: NumPy → Swift

extension PythonObject {
    /// The shape and elements (row-major) of an ndarray (or anything with the buffer protocol, or
    /// anything np.asarray accepts), copied with one memcpy.
    ///
    /// The dtype must be exactly `Scalar`'s (no casting: a float64 array read as `Float` throws
    /// `.arrayMismatch`), in native byte order. Non-contiguous arrays (slices, transposes) are
    /// made contiguous by NumPy first.
    public func toArray<Scalar: NumPyScalar>(_ type: Scalar.Type = Scalar.self) throws(PythonError) -> (shape: [Int], scalars: [Scalar]) {
        requireGIL()
        var buffer = BCEBuffer()
        if bce_buffer_acquire(pointer, 0, &buffer) < 0 {
            // Not a buffer exporter (a list, a Python float): let NumPy make an array of it.
            let error = PythonError.takeCurrent()
            guard error.exception?.isInstance(of: "TypeError") == true else { throw error }
            let py = PythonGIL()
            _ = try py.numpy()
            let array = try NumPyCache.asarray!.call(self)
            guard bce_buffer_acquire(array.pointer, 0, &buffer) == 0 else { throw .takeCurrent() }
            return try withExtendedLifetime(array) { () throws(PythonError) in try Self.copy(&buffer) }
        }
        if buffer.c_contiguous == 0 {
            bce_buffer_release(&buffer)
            let py = PythonGIL()
            _ = try py.numpy()
            let contiguous = try NumPyCache.ascontiguousarray!.call(self)
            guard bce_buffer_acquire(contiguous.pointer, 0, &buffer) == 0 else { throw .takeCurrent() }
            return try withExtendedLifetime(contiguous) { () throws(PythonError) in try Self.copy(&buffer) }
        }
        return try Self.copy(&buffer)
    }

    /// Checks and copies an acquired buffer, then releases it.
    private static func copy<Scalar: NumPyScalar>(_ buffer: inout BCEBuffer) throws(PythonError) -> (shape: [Int], scalars: [Scalar]) {
        defer { bce_buffer_release(&buffer) }
        let format = String(cString: buffer.format)
        var code = Substring(format)
        if let first = code.first, "@=<>!".contains(first) {
            code = code.dropFirst()
            let littleEndianHost = 1.littleEndian == 1
            if (first == ">" || first == "!") && littleEndianHost || first == "<" && !littleEndianHost {
                throw .arrayMismatch("byte order of format '\(format)' is not the machine's; "
                                     + "convert with a.astype(a.dtype.newbyteorder('='))")
            }
        }
        guard code == String(Scalar.bufferFormat), buffer.item_size == MemoryLayout<Scalar>.size else {
            throw .arrayMismatch("expected \(Scalar.numpyDTypeName) (format '\(Scalar.bufferFormat)', "
                                 + "\(MemoryLayout<Scalar>.size) bytes), got format '\(format)' with "
                                 + "\(buffer.item_size)-byte items")
        }
        guard buffer.c_contiguous != 0 else { throw .arrayMismatch("buffer is not C-contiguous") }
        let shape = (0..<Int(buffer.ndim)).map { buffer.shape[$0] }
        let count = buffer.length / buffer.item_size
        let scalars = [Scalar](unsafeUninitializedCapacity: count) { destination, initialized in
            if count > 0 {
                UnsafeMutableRawPointer(destination.baseAddress!).copyMemory(from: buffer.memory, byteCount: buffer.length)
            }
            initialized = count
        }
        return (shape, scalars)
    }

    /// Whether this object is a `numpy.ndarray` (subclasses included).
    public var isNumPyArray: Bool {
        get throws(PythonError) {
            _ = try PythonGIL().numpy()
            return try isInstance(of: NumPyCache.ndarray!)
        }
    }
}
