import RealModule

/// An element type the binary cross-entropy losses are defined for: `Float16`, ``BrainFloat16``,
/// `Float` and `Double`.
///
/// Every loss value and gradient is evaluated in ``WideScalar`` and rounded to `Self` once, at
/// the end. That is why the results are more accurate than PyTorch's, which rounds after every
/// operation in the element type.
///
/// | `Self`    | `WideScalar`                          | loss accuracy (targets in [0, 1], `posWeight` ≥ 0) |
/// |-----------|---------------------------------------|----------------------------------------------------|
/// | `Float16` | `Double`                              | ≤ 1 ULP (measured 0.50)                            |
/// | `BrainFloat16` | `Double`                         | ≤ 1 ULP (measured 0.50)                            |
/// | `Float`   | `Double`                              | ≤ 2 ULP (measured 0.50)                            |
/// | `Double`  | `Float80` on x86_64, else `Double`    | ≤ 2 ULP on x86_64 (measured 0.50); elsewhere       |
/// |           |                                       | measured ≤ 3.5 for normal results                  |
/// |           | double-double lanes: unweighted       | ≤ 2 ULP everywhere (measured 0.62)                 |
/// |           | forward passes, every platform        |                                                    |
///
/// The protocol's requirements are implementation details of the losses; conform no other
/// types to it (the losses run specialized code for the four types above only).
public protocol BCEScalar: BinaryFloatingPoint, Sendable, Hashable {
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

// The losses are generic over BCEScalar, but their loops must run specialized for the concrete
// element type (unspecialized, each element costs hundreds of nanoseconds in witness-table
// calls). Every public entry point, NDArray and buffer API alike, therefore goes through
// `performBufferCall` (BufferAPI.swift), which compares `Self` with the four types once per call
// and runs the pass instantiated for that type; no protocol requirement is involved.
