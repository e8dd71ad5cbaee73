import CPythonShim

/// A Python exception, as Swift sees it.
///
/// Everything but `object` is plain Swift data, read while the exception was taken, so it can be
/// printed and compared anywhere without the GIL.
public struct PythonException: Sendable, CustomStringConvertible {
    /// "module.QualName" of the exception's type; just the name for builtins ("ZeroDivisionError").
    public var typeName: String
    /// The `__name__` of every class in the type's MRO, most derived first
    /// (["ZeroDivisionError", "ArithmeticError", "Exception", "BaseException", "object"]).
    public var typeHierarchy: [String]
    /// `str(exception)`.
    public var message: String
    /// `traceback.format_exception(exception)`, joined: "Traceback (most recent call last): ...".
    public var traceback: String
    /// `str()` of each instance attribute (the exception's `__dict__`), e.g. `attributes["kind"]`
    /// for an exception raised as `BCEReferenceError(kind, message)` that sets `self.kind`.
    public var attributes: [String: String]
    /// The exception object itself, for anything else (read it inside `Python.withGIL`).
    public var object: PythonObject?

    /// Whether the exception is an instance of a class of this `__name__` (or a subclass of one):
    /// `isInstance(of: "TypeError")` is true for NumPy's `_UFuncNoLoopError`.
    public func isInstance(of typeName: String) -> Bool {
        typeHierarchy.contains(typeName) || self.typeName == typeName
    }

    public var description: String {
        traceback.isEmpty ? "\(typeName): \(message)" : traceback
    }

    public init(typeName: String, typeHierarchy: [String] = [], message: String, traceback: String = "",
                attributes: [String: String] = [:], object: PythonObject? = nil) {
        self.typeName = typeName
        self.typeHierarchy = typeHierarchy
        self.message = message
        self.traceback = traceback
        self.attributes = attributes
        self.object = object
    }

    /// Reads an exception object (GIL held); never raises.
    init(describing exception: PythonObject) {
        var typeName: OpaquePointer?
        var message: OpaquePointer?
        var traceback: OpaquePointer?
        var typeNames: OpaquePointer?
        var attributes: OpaquePointer?
        bce_exception_describe(exception.pointer, &typeName, &message, &traceback, &typeNames, &attributes)

        func string(_ pointer: OpaquePointer?) -> String? {
            pointer.flatMap { PythonObject(owning: $0).stringValue }
        }
        self.typeName = string(typeName) ?? "?"
        self.message = string(message) ?? "<str() of the exception failed>"
        self.traceback = string(traceback) ?? ""
        self.typeHierarchy = (typeNames.flatMap { try? [String](python: PythonObject(owning: $0)) }) ?? []
        self.attributes = (attributes.flatMap { try? [String: String](python: PythonObject(owning: $0)) }) ?? [:]
        self.object = exception
    }
}
