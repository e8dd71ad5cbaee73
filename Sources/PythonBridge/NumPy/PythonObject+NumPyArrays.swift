import CPythonShim

// NumPy arrays to Swift arrays: PyObject_GetBuffer, checks of format, item size, byte order and
// contiguity, one memcpy into a new Swift array.

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
