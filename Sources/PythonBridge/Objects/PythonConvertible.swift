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

// MARK: Bool, Int, Double

extension Bool: PythonConvertible, ConvertibleFromPython {
    public func makePythonObject() throws(PythonError) -> PythonObject {
        try .checking(bce_bool_from_int(self ? 1 : 0))
    }

    /// From `bool` and NumPy's `bool_`; other types (even ints) are a type mismatch.
    public init(python object: PythonObject) throws(PythonError) {
        object.requireGIL()
        let name = object.typeName
        guard bce_is_bool(object.pointer) != 0 || name == "numpy.bool_" || name == "numpy.bool" else {
            throw .mismatch("bool", object)
        }
        let truth = bce_truth(object.pointer)
        try PythonObject.checking(status: truth)
        self = truth == 1
    }
}

extension Int: PythonConvertible, ConvertibleFromPython {
    public func makePythonObject() throws(PythonError) -> PythonObject {
        try .checking(bce_int_from_int64(Int64(self)))
    }

    /// From `int` and anything with `__index__` (NumPy integers); not from floats.
    /// Out of range throws the Python `OverflowError`.
    public init(python object: PythonObject) throws(PythonError) {
        object.requireGIL()
        var value: Int64 = 0
        if bce_int_value(object.pointer, &value) < 0 {
            let error = PythonError.takeCurrent()
            if error.exception?.isInstance(of: "OverflowError") == true { throw error }
            throw .mismatch("int", object)
        }
        self = Int(value)
    }
}

extension Double: PythonConvertible, ConvertibleFromPython {
    public func makePythonObject() throws(PythonError) -> PythonObject {
        try .checking(bce_float_from_double(self))
    }

    /// From `float`, `int` (rounded to nearest) and anything with `__float__` (NumPy floats, 0-d
    /// arrays). NaN payloads, infinities and -0.0 of Python floats come through unchanged.
    public init(python object: PythonObject) throws(PythonError) {
        object.requireGIL()
        guard bce_is_string(object.pointer) == 0 else { throw .mismatch("float", object) }
        var value = 0.0
        if bce_float_value(object.pointer, &value) < 0 {
            let error = PythonError.takeCurrent()
            if error.exception?.isInstance(of: "OverflowError") == true { throw error }
            throw .mismatch("float", object)
        }
        self = value
    }
}

// MARK: String

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

// MARK: Arrays (list) and dictionaries (dict)

extension Array: PythonConvertible where Element: PythonConvertible {
    /// A `list`. For numeric data use `PythonGIL.numpyArray` instead: one copy, no per-element objects.
    public func makePythonObject() throws(PythonError) -> PythonObject {
        let list = try PythonObject.checking(bce_list_new(count))
        for (index, element) in enumerated() {
            let object = try element.makePythonObject()
            try PythonObject.checking(status: bce_list_set(list.pointer, index, object.pointer))
        }
        return list
    }
}

extension Array: ConvertibleFromPython where Element: ConvertibleFromPython {
    /// From any sequence with `len` and indexing: `list`, `tuple`, 1-d NumPy arrays, ... (not `str`).
    public init(python object: PythonObject) throws(PythonError) {
        object.requireGIL()
        guard bce_is_string(object.pointer) == 0, bce_is_dict(object.pointer) == 0 else {
            throw .mismatch("sequence", object)
        }
        let count = bce_sequence_length(object.pointer)
        if count < 0 {
            _ = PythonError.takeCurrent()
            throw .mismatch("sequence", object)
        }
        var elements: [Element] = []
        elements.reserveCapacity(count)
        for index in 0..<count {
            let item = try PythonObject.checking(bce_sequence_item(object.pointer, index))
            elements.append(try Element(python: item))
        }
        self = elements
    }
}

extension Dictionary: PythonConvertible where Key == String, Value: PythonConvertible {
    /// A `dict` with `str` keys.
    public func makePythonObject() throws(PythonError) -> PythonObject {
        let dict = try PythonObject.checking(bce_dict_new())
        for (key, value) in self {
            let keyObject = try key.makePythonObject()
            let valueObject = try value.makePythonObject()
            try PythonObject.checking(status: bce_dict_set(dict.pointer, keyObject.pointer, valueObject.pointer))
        }
        return dict
    }
}

extension Dictionary: ConvertibleFromPython where Key == String, Value: ConvertibleFromPython {
    /// From a `dict` whose keys are all `str`, e.g. `[String: PythonObject](python: result)`.
    public init(python object: PythonObject) throws(PythonError) {
        object.requireGIL()
        guard bce_is_dict(object.pointer) != 0 else { throw .mismatch("dict", object) }
        var result: [String: Value] = [:]
        var position = 0
        var key: OpaquePointer?
        var value: OpaquePointer?
        while bce_dict_next(object.pointer, &position, &key, &value) != 0 {
            // Borrowed references: own them before anything can run Python code.
            let keyObject = PythonObject(borrowing: key!)
            let valueObject = PythonObject(borrowing: value!)
            result[try String(python: keyObject)] = try Value(python: valueObject)
        }
        self = result
    }
}
