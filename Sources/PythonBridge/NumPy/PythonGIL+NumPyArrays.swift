import CPythonShim

// Swift memory to NumPy arrays, through the buffer protocol: a memoryview over the Swift memory
// (shape and format set, no copy), then np.asarray on it (still no copy). Either the view lives
// only inside a scope (`withNumPyView`), or np.array copies it once (`numpyArray(copying:shape:)`).

extension PythonGIL {
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
            // A Python function that raised while it had the array in a local variable left a
            // traceback whose frames still hold the array: the traceback text is kept, the frames'
            // locals are cleared, so the exception does not count as an escape.
            if let exception = error.exception?.object { clearTracebackFrames(of: exception) }
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
            var detail = "Swift kept the ndarray's PythonObject: \(!swiftUnique); Python references to the ndarray: "
                + "\(arrayReferences) (expected 1); memoryviews over the memory: \(exports) (expected 1); "
                + "references to the bridge's memoryview: \(viewReferences) (expected 1)"
            if case .failure(let error) = outcome { detail += "; the scope itself failed with: \(error)" }
            throw .viewEscaped(detail: detail)
        }
        return try outcome.get()
    }

    /// traceback.clear_frames on the exception's traceback and on those of its causes and contexts.
    private func clearTracebackFrames(of exception: PythonObject) {
        guard let clearFrames = try? self.import("traceback").attr("clear_frames") else { return }
        var next: PythonObject? = exception
        var seen = 0
        while let current = next, !current.isNone, seen < 100 {
            if let traceback = try? current.attr("__traceback__"), !traceback.isNone {
                _ = try? clearFrames.call(traceback)
            }
            let cause = try? current.attr("__cause__")
            next = (cause?.isNone == false) ? cause : (try? current.attr("__context__"))
            seen += 1
        }
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
