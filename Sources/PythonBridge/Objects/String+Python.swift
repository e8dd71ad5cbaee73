import CPythonShim

extension String: PythonConvertible, ConvertibleFromPython {
    public func makePythonObject() throws(PythonError) -> PythonObject {
        var copy = self
        let string = copy.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { bce_string_from_utf8($0.baseAddress, $0.count) }
        }
        return try .checking(string)
    }

    /// From `str` only.
    public init(python object: PythonObject) throws(PythonError) {
        object.requireGIL()
        guard bce_is_string(object.pointer) != 0 else { throw .mismatch("str", object) }
        var length = 0
        guard let utf8 = bce_string_utf8(object.pointer, &length) else { throw .takeCurrent() }
        self = utf8.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }
}
