import RealModule

/// An element type the binary cross-entropy losses are defined for: `Float16`, `Float` and `Double`.
///
/// Every loss value and gradient is evaluated in ``WideScalar`` and rounded to `Self` once, at
/// the end. That is why the results are more accurate than PyTorch's, which rounds after every
/// operation in the element type.
///
/// | `Self`    | `WideScalar`                          | loss accuracy (targets in [0, 1], `posWeight` ≥ 0) |
/// |-----------|---------------------------------------|----------------------------------------------------|
/// | `Float16` | `Double`                              | ≤ 1 ULP (measured 0.50)                            |
/// | `Float`   | `Double`                              | ≤ 2 ULP (measured 0.50)                            |
/// | `Double`  | `Float80` on x86_64, else `Double`    | ≤ 2 ULP on x86_64 (measured 0.50); elsewhere       |
/// |           |                                       | measured ≤ 3.5 for normal results                  |
/// |           | double-double lanes: unweighted       | ≤ 2 ULP everywhere (measured 0.62)                 |
/// |           | forward passes, every platform        |                                                    |
///
/// The protocol's requirements are implementation details of the losses; conform no other
/// types to it.
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

    // Entry points of the four kernels, so they run specialized per type (see below). Not API:
    // call the functions named in each comment.

    /// Implementation detail of ``binaryCrossEntropy(_:_:weight:reduction:)``; call that.
    static func _binaryCrossEntropy(
        _ input: NDArray<Self>, _ target: NDArray<Self>, weight: NDArray<Self>?, reduction: Reduction
    ) throws(BCEError) -> NDArray<Self>
    /// Implementation detail of ``binaryCrossEntropyBackward(_:_:weight:reduction:gradOutput:)``; call that.
    static func _binaryCrossEntropyBackward(
        _ input: NDArray<Self>, _ target: NDArray<Self>, weight: NDArray<Self>?, reduction: Reduction,
        gradOutput: NDArray<Self>
    ) throws(BCEError) -> BCEGradients<Self>
    /// Implementation detail of ``binaryCrossEntropyWithLogits(_:_:weight:posWeight:reduction:)``; call that.
    static func _binaryCrossEntropyWithLogits(
        _ input: NDArray<Self>, _ target: NDArray<Self>, weight: NDArray<Self>?, posWeight: NDArray<Self>?,
        reduction: Reduction
    ) throws(BCEError) -> NDArray<Self>
    /// Implementation detail of
    /// ``binaryCrossEntropyWithLogitsBackward(_:_:weight:posWeight:reduction:gradOutput:)``; call that.
    static func _binaryCrossEntropyWithLogitsBackward(
        _ input: NDArray<Self>, _ target: NDArray<Self>, weight: NDArray<Self>?, posWeight: NDArray<Self>?,
        reduction: Reduction, gradOutput: NDArray<Self>
    ) throws(BCEError) -> BCEGradients<Self>
}


// The losses are generic over BCEScalar, but their loops must run specialized for the concrete
// element type (unspecialized, each element costs hundreds of nanoseconds in witness-table
// calls). The public functions therefore call these requirements; each conformance's witness
// is the default implementation below instantiated at that concrete type, which the optimizer
// specializes inside this module.
extension BCEScalar {
    /// Implementation detail of ``binaryCrossEntropy(_:_:weight:reduction:)``.
    public static func _binaryCrossEntropy(
        _ input: NDArray<Self>, _ target: NDArray<Self>, weight: NDArray<Self>?, reduction: Reduction
    ) throws(BCEError) -> NDArray<Self> {
        try bceLossKernel(input, target, weight: weight, reduction: reduction)
    }

    /// Implementation detail of ``binaryCrossEntropyBackward(_:_:weight:reduction:gradOutput:)``.
    public static func _binaryCrossEntropyBackward(
        _ input: NDArray<Self>, _ target: NDArray<Self>, weight: NDArray<Self>?, reduction: Reduction,
        gradOutput: NDArray<Self>
    ) throws(BCEError) -> BCEGradients<Self> {
        try bceGradientKernel(input, target, weight: weight, reduction: reduction, gradOutput: gradOutput)
    }

    /// Implementation detail of ``binaryCrossEntropyWithLogits(_:_:weight:posWeight:reduction:)``.
    public static func _binaryCrossEntropyWithLogits(
        _ input: NDArray<Self>, _ target: NDArray<Self>, weight: NDArray<Self>?, posWeight: NDArray<Self>?,
        reduction: Reduction
    ) throws(BCEError) -> NDArray<Self> {
        try bceWithLogitsLossKernel(input, target, weight: weight, posWeight: posWeight, reduction: reduction)
    }

    /// Implementation detail of
    /// ``binaryCrossEntropyWithLogitsBackward(_:_:weight:posWeight:reduction:gradOutput:)``.
    public static func _binaryCrossEntropyWithLogitsBackward(
        _ input: NDArray<Self>, _ target: NDArray<Self>, weight: NDArray<Self>?, posWeight: NDArray<Self>?,
        reduction: Reduction, gradOutput: NDArray<Self>
    ) throws(BCEError) -> BCEGradients<Self> {
        try bceWithLogitsGradientKernel(
            input, target, weight: weight, posWeight: posWeight, reduction: reduction, gradOutput: gradOutput)
    }
}
