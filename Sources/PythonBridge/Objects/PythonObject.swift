import CPythonShim

/// An owned reference to a Python object.
///
/// Its methods need the GIL: call them inside `Python.withGIL` (checked at run time). The
/// reference itself may be kept anywhere and dropped on any thread: `deinit` takes the GIL to
/// release it when the thread does not hold it.
public final class PythonObject: @unchecked Sendable {
    // @unchecked: the pointer is only dereferenced with the GIL held, which serializes all access.
    let pointer: OpaquePointer

    /// Takes ownership of a new reference.
    init(owning pointer: OpaquePointer) {
        self.pointer = pointer
    }

    /// Takes a new reference of its own to a borrowed one.
    init(borrowing pointer: OpaquePointer) {
        bce_incref(pointer)
        self.pointer = pointer
    }

    deinit {
        bce_decref_any_thread(pointer)
    }

    /// Wraps a new reference returned by the shim, or throws the Python exception if it is NULL.
    static func checking(_ pointer: OpaquePointer?) throws(PythonError) -> PythonObject {
        guard let pointer else { throw PythonError.takeCurrent() }
        return PythonObject(owning: pointer)
    }

    /// Throws the pending Python exception when a shim call returned -1.
    static func checking(status: Int32) throws(PythonError) {
        if status < 0 { throw PythonError.takeCurrent() }
    }

    @inline(__always)
    func requireGIL(_ function: StaticString = #function) {
        precondition(bce_gil_is_held() != 0, "PythonObject.\(function) needs the GIL: call it inside Python.withGIL")
    }

    // MARK: Attributes and items

    /// `self.name`.
    public func attr(_ name: String) throws(PythonError) -> PythonObject {
        requireGIL()
        return try .checking(bce_get_attribute(pointer, name))
    }

    /// `self.name = value`.
    public func setAttr(_ name: String, _ value: (any PythonConvertible)?) throws(PythonError) {
        requireGIL()
        let object = try PythonObject.converting(value)
        try PythonObject.checking(status: bce_set_attribute(pointer, name, object.pointer))
    }

    /// `hasattr(self, name)`.
    public func hasAttr(_ name: String) -> Bool {
        requireGIL()
        return bce_has_attribute(pointer, name) != 0
    }

    /// `self[key]`, e.g. a dictionary entry or an array element.
    public func item(_ key: (any PythonConvertible)?) throws(PythonError) -> PythonObject {
        requireGIL()
        let keyObject = try PythonObject.converting(key)
        return try .checking(bce_get_item(pointer, keyObject.pointer))
    }

    /// `self[key] = value`.
    public func setItem(_ key: (any PythonConvertible)?, _ value: (any PythonConvertible)?) throws(PythonError) {
        requireGIL()
        let keyObject = try PythonObject.converting(key)
        let valueObject = try PythonObject.converting(value)
        try PythonObject.checking(status: bce_set_item(pointer, keyObject.pointer, valueObject.pointer))
    }

    // MARK: Calls

    /// `self(*arguments, **keywordArguments)`; `nil` passes `None`.
    ///
    ///     try reference.attr("evaluate").call("bce", "float32", "mean", input, target,
    ///                                          kwargs: ["weight": weight, "grad_output": nil])
    @discardableResult
    public func call(
        _ arguments: (any PythonConvertible)?...,
        kwargs keywordArguments: KeyValuePairs<String, (any PythonConvertible)?> = [:]
    ) throws(PythonError) -> PythonObject {
        try call(arguments: arguments, keywordArguments: keywordArguments)
    }

    /// `self(*arguments, **keywordArguments)` with the arguments in arrays.
    @discardableResult
    public func call(
        arguments: [(any PythonConvertible)?],
        keywordArguments: KeyValuePairs<String, (any PythonConvertible)?> = [:]
    ) throws(PythonError) -> PythonObject {
        requireGIL()
        var objects: [PythonObject] = []
        objects.reserveCapacity(arguments.count + keywordArguments.count)
        for argument in arguments { objects.append(try .converting(argument)) }
        for (_, value) in keywordArguments { objects.append(try .converting(value)) }
        let names: PythonObject? = keywordArguments.isEmpty
            ? nil : try PythonObject.tuple(keywordArguments.map { $0.key })
        // The PythonObjects stay alive (withExtendedLifetime) while Python borrows their pointers.
        let pointers: [OpaquePointer?] = objects.map(\.pointer)
        return try withExtendedLifetime((objects, names)) { () throws(PythonError) -> PythonObject in
            try .checking(bce_call(pointer, pointers, arguments.count, names?.pointer))
        }
    }

    /// `self.name(*arguments, **keywordArguments)`.
    @discardableResult
    public func callMethod(
        _ name: String,
        _ arguments: (any PythonConvertible)?...,
        kwargs keywordArguments: KeyValuePairs<String, (any PythonConvertible)?> = [:]
    ) throws(PythonError) -> PythonObject {
        try attr(name).call(arguments: arguments, keywordArguments: keywordArguments)
    }

    // MARK: Identity and inspection

    /// `self is None`.
    public var isNone: Bool { bce_is_none(pointer) != 0 }

    /// `type(self)` as "module.QualName" ("int", "numpy.ndarray", "bce_reference.BCEReferenceError").
    public var typeName: String {
        requireGIL()
        guard let name = bce_type_name(pointer) else { return "?" }
        return PythonObject(owning: name).stringValue ?? "?"
    }

    /// `isinstance(self, type)`.
    public func isInstance(of type: PythonObject) throws(PythonError) -> Bool {
        requireGIL()
        let result = bce_is_instance(pointer, type.pointer)
        try PythonObject.checking(status: result)
        return result == 1
    }

    /// Python's reference count of this object (this `PythonObject` holds one of them).
    public var referenceCount: Int { bce_reference_count(pointer) }

    /// `self` as a Swift `String` when it is a `str`, without raising.
    var stringValue: String? {
        guard bce_is_string(pointer) != 0 else { return nil }
        var length = 0
        guard let utf8 = bce_string_utf8(pointer, &length) else {
            _ = PythonError.takeCurrent()
            return nil
        }
        return utf8.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    /// `repr(self)`; takes the GIL itself.
    public var pythonRepresentation: String {
        (try? Python.withGIL { _ throws(PythonError) -> String in
            try String(python: .checking(bce_repr(pointer)))
        }) ?? "<PythonObject: repr failed>"
    }

    static func converting(_ value: (any PythonConvertible)?) throws(PythonError) -> PythonObject {
        guard let value else { return PythonObject(owning: bce_none()!) }
        return try value.makePythonObject()
    }

    static func tuple(_ elements: [(any PythonConvertible)?]) throws(PythonError) -> PythonObject {
        let tuple = try PythonObject.checking(bce_tuple_new(elements.count))
        for (index, element) in elements.enumerated() {
            let object = try converting(element)
            try checking(status: bce_tuple_set(tuple.pointer, index, object.pointer))
        }
        return tuple
    }
}

extension PythonObject: CustomStringConvertible {
    /// `str(self)`; takes the GIL itself.
    public var description: String {
        (try? Python.withGIL { _ throws(PythonError) -> String in
            try String(python: .checking(bce_str(pointer)))
        }) ?? "<PythonObject: str failed>"
    }
}
