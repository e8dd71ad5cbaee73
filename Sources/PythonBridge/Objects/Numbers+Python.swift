import CPythonShim

// Bool, Int and the floating-point types to and from Python's bool, int and float.

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

extension Float: PythonConvertible, ConvertibleFromPython {
    /// A Python `float` (a double) of exactly this value.
    public func makePythonObject() throws(PythonError) -> PythonObject {
        try Double(self).makePythonObject()
    }

    /// As `Double(python:)`, then rounded once to the nearest `Float`.
    public init(python object: PythonObject) throws(PythonError) {
        self = Float(try Double(python: object))
    }
}

#if !(os(macOS) && arch(x86_64))
extension Float16: PythonConvertible, ConvertibleFromPython {
    /// A Python `float` (a double) of exactly this value.
    public func makePythonObject() throws(PythonError) -> PythonObject {
        try Double(self).makePythonObject()
    }

    /// As `Double(python:)`, then rounded once to the nearest `Float16`.
    public init(python object: PythonObject) throws(PythonError) {
        self = Float16(try Double(python: object))
    }
}
#endif
