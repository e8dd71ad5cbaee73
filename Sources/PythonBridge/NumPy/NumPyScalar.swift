/// An element type that NumPy arrays and Swift buffers share bit for bit.
///
/// Conversions copy bytes, never values: NaN payloads, infinities, subnormals and -0.0 survive.
public protocol NumPyScalar: BitwiseCopyable, Sendable {
    /// The buffer-protocol (struct module) format character: "e", "f" or "d".
    static var bufferFormat: Unicode.Scalar { get }
    /// NumPy's dtype name: "float16", "float32" or "float64".
    static var numpyDTypeName: String { get }
}

#if !(os(macOS) && arch(x86_64))
extension Float16: NumPyScalar {
    public static var bufferFormat: Unicode.Scalar { "e" }
    public static var numpyDTypeName: String { "float16" }
}
#endif

extension Float: NumPyScalar {
    public static var bufferFormat: Unicode.Scalar { "f" }
    public static var numpyDTypeName: String { "float32" }
}

extension Double: NumPyScalar {
    public static var bufferFormat: Unicode.Scalar { "d" }
    public static var numpyDTypeName: String { "float64" }
}
