import RealModule

/// An element type the binary cross-entropy losses are defined for: `Float16`, ``BrainFloat16``,
/// `Float` and `Double`.
///
/// Every loss value and gradient is evaluated in a wider type and rounded to `Self` once, at
/// the end. That is why the results are more accurate than PyTorch's, which rounds after every
/// operation in the element type.
///
/// | `Self`    | evaluated in                          | loss accuracy (targets in [0, 1], `posWeight` ≥ 0) |
/// |-----------|---------------------------------------|----------------------------------------------------|
/// | `Float16` | `Double`                              | ≤ 1 ULP (measured 0.50)                            |
/// | `BrainFloat16` | `Double`                         | ≤ 1 ULP (measured 0.50)                            |
/// | `Float`   | `Double`                              | ≤ 2 ULP (measured 0.50)                            |
/// | `Double`  | `Float80` on x86_64, else `Double`    | ≤ 2 ULP on x86_64 (measured 0.50); elsewhere       |
/// |           |                                       | measured ≤ 3.5 for normal results                  |
/// |           | double-double lanes: unweighted       | ≤ 2 ULP everywhere (measured 0.62)                 |
/// |           | forward passes, every platform        |                                                    |
///
/// Only these four types conform: the protocol's one requirement, ``bceScalarKind``, is of a type
/// whose values cannot be made outside this module. The members the losses compute with (the wide
/// type, the rounding, PyTorch's epsilon) are `package` (`BCEArithmetic`): this package's own
/// targets and tests see them, no importer's view of `Float` or `Double` does.
public protocol BCEScalar: BinaryFloatingPoint, Sendable, Hashable {
    /// Which of the four element types `Self` is.
    static var bceScalarKind: BCEScalarKind { get }
}

/// Which element type a ``BCEScalar`` is: `Float16`, ``BrainFloat16``, `Float` or `Double`.
/// Nothing outside this module can make one, so no other type can conform to ``BCEScalar``.
public struct BCEScalarKind: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable { case float16, bfloat16, float, double }
    let kind: Kind
    init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case .float16: "float16"
        case .bfloat16: "bfloat16"
        case .float: "float32"
        case .double: "float64"
        }
    }
}

/// The arithmetic the losses need of an element type, inside this package only: every
/// ``BCEScalar`` conforms (the four conformances sit beside each other's public one).
package protocol BCEArithmetic: BCEScalar {
    /// The type each elementwise formula is evaluated in before it is rounded once to `Self`.
    associatedtype WideScalar: Real & BinaryFloatingPoint & Sendable

    /// PyTorch's `constexpr float EPSILON = 1e-12` (aten/src/ATen/native/Loss.cpp), a `Float`
    /// converted to `Self` (so `Double` gets 9.999999960041972e-13, not 1e-12), the floor
    /// of the denominator `(1 - x) * x` in the gradient of ``BCELoss``.
    ///
    /// In `Float16` it rounds to 0, so the BCE gradient at `x = 0` or `x = 1` is ±infinity
    /// (NaN when `x == y`), as in PyTorch.
    static var bceGradientEpsilon: Self { get }

    /// `self` in ``WideScalar``, exactly (every `Self` value is a `WideScalar` value). Each type
    /// implements it with its concrete conversion, which is a single instruction or libcall.
    var bceWide: WideScalar { get }

    /// `x` rounded once (to nearest, ties to even) to `Self`; overflow gives ±infinity.
    init(bceRounding x: WideScalar)
}

// The losses are generic over BCEArithmetic, but their loops must run specialized for the
// concrete element type (unspecialized, each element costs hundreds of nanoseconds in
// witness-table calls). Every public entry point, NDArray and buffer API alike, therefore goes
// through `performBufferCall` (BufferAPI.swift), which switches on `bceScalarKind` once per call
// and runs the pass instantiated for that type.
