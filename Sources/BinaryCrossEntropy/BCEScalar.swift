import RealModule

/// An element type the binary cross-entropy losses are defined for: `Float16`, `Float` and `Double`.
///
/// Every loss value and gradient is evaluated in ``WideScalar`` and rounded to `Self` once, at
/// the end. That is why the results are more accurate than PyTorch's, which rounds after every
/// operation in the element type.
///
/// | `Self`    | `WideScalar`                          | loss accuracy (targets in [0, 1], `posWeight` ≥ 0) |
/// |-----------|---------------------------------------|----------------------------------------------------|
/// | `Float16` | `Double`                              | ≤ 1 ULP (measured < 0.51)                          |
/// | `Float`   | `Double`                              | ≤ 2 ULP (measured < 0.51)                          |
/// | `Double`  | `Float80` on x86_64, else `Double`    | ≤ 2 ULP on x86_64; a few ULP elsewhere             |
///
/// The protocol's requirements are implementation details of the losses; conform no other
/// types to it.
public protocol BCEScalar: BinaryFloatingPoint, Sendable, Hashable {
    /// The type each elementwise formula is evaluated in before it is rounded once to `Self`.
    associatedtype WideScalar: Real & BinaryFloatingPoint & Sendable

    /// PyTorch's `EPSILON = 1e-12` (aten/src/ATen/native/Loss.cpp), converted to `Self`, the floor
    /// of the denominator `(1 - x) * x` in the gradient of ``BCELoss``.
    ///
    /// In `Float16` it rounds to 0, so the BCE gradient at `x = 0` or `x = 1` is ±infinity
    /// (NaN when `x == y`), as in PyTorch.
    static var bceGradientEpsilon: Self { get }
}

extension BCEScalar {
    /// `x` in the wide evaluation type (exact: every `Self` value is a `WideScalar` value).
    @inline(__always)
    var wide: WideScalar { WideScalar(self) }

    /// `x` rounded once (to nearest, ties to even) to `Self`.
    @inline(__always)
    init(roundingWide x: WideScalar) { self.init(x) }
}
