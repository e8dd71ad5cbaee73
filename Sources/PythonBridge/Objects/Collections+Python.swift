import CPythonShim

// Arrays to and from Python lists (and any sequence), [String: T] to and from dicts.

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
