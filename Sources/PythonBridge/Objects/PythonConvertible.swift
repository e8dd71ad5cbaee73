import CPythonShim

/// A Swift value that can become a new Python object. Conversions need the GIL.
public protocol PythonConvertible {
    /// A new Python object equal to this value.
    func makePythonObject() throws(PythonError) -> PythonObject
}

/// A Swift value that can be read from a Python object. Conversions need the GIL.
public protocol ConvertibleFromPython {
    /// Reads `object`, throwing `PythonError.typeMismatch` (or the Python exception the conversion
    /// raised, e.g. `OverflowError`) when it is not such a value.
    init(python object: PythonObject) throws(PythonError)
}

extension PythonObject: PythonConvertible, ConvertibleFromPython {
    public func makePythonObject() -> PythonObject { self }
    public convenience init(python object: PythonObject) { self.init(borrowing: object.pointer) }

    /// Converts to a Swift type: `try result.to(Double.self)`.
    public func to<T: ConvertibleFromPython>(_ type: T.Type) throws(PythonError) -> T {
        try T(python: self)
    }
}

extension PythonError {
    static func mismatch(_ expected: String, _ object: PythonObject) -> PythonError {
        .typeMismatch(expected: expected, actual: object.typeName)
    }
}

// MARK: None and Optional

extension Optional: PythonConvertible where Wrapped: PythonConvertible {
    /// `None` for `nil`.
    public func makePythonObject() throws(PythonError) -> PythonObject {
        switch self {
        case .none: PythonObject(owning: bce_none()!)
        case .some(let wrapped): try wrapped.makePythonObject()
        }
    }
}

extension Optional: ConvertibleFromPython where Wrapped: ConvertibleFromPython {
    /// `nil` for `None`.
    public init(python object: PythonObject) throws(PythonError) {
        self = object.isNone ? nil : try Wrapped(python: object)
    }
}
