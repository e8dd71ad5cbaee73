/// The kind of an invalid-argument failure, spelled as the golden files spell it
/// (`expected_error` in docs/CONTRACTS.md).
public enum BCEErrorKind: String, Sendable, CaseIterable {
    /// `input` and `target` differ in shape.
    case shapeMismatch = "shape_mismatch"
    /// A ``BCELoss`` input element is outside [0, 1] or NaN.
    case inputOutOfRange = "input_out_of_range"
    /// A ``BCELoss`` target element is outside [0, 1] or NaN.
    case targetOutOfRange = "target_out_of_range"
    /// `weight`, `pos_weight` or `grad_output` does not broadcast to the input's shape.
    case notBroadcastable = "not_broadcastable"
    /// An ``NDArray`` whose shape is negative, overflows `Int`, or does not match its element count.
    case invalidShape = "invalid_shape"
}

/// Why a loss or gradient call rejected its arguments. Every check throws; nothing traps.
///
/// When several arguments are wrong, the first failing check wins, in this order:
/// array consistency (``invalidShape(shape:count:)``), input vs target shape, `weight`
/// broadcast, `pos_weight` broadcast, `grad_output` shape, then (``BCELoss`` only) the range of
/// input and target by ascending flat index, input before target at the same index — the order
/// PyTorch's `binary_cross_entropy_out_cpu` (aten/src/ATen/native/Loss.cpp) checks them in.
public enum BCEError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `input` and `target` have different shapes. PyTorch: `ValueError` "Using a target size (...)
    /// that is different to the input size (...) is deprecated" (BCE) or "Target size (...) must
    /// be the same as input size (...)" (BCE with logits), torch/nn/functional.py.
    case shapeMismatch(input: [Int], target: [Int])
    /// The input element at flat row-major `index` is outside [0, 1] or NaN (`value` is it,
    /// widened exactly to `Double`). PyTorch: "all elements of input should be between 0 and 1".
    case inputOutOfRange(index: Int, value: Double)
    /// The target element at flat row-major `index` is outside [0, 1] or NaN. PyTorch: "all
    /// elements of target should be between 0 and 1".
    case targetOutOfRange(index: Int, value: Double)
    /// `argument` (`"weight"`, `"pos_weight"` or `"grad_output"`) of shape `shape` does not
    /// broadcast to `to` by trailing broadcasting without enlarging it. PyTorch multiplies in
    /// place (`loss.mul_(weight)`), so weight (3, 2) against input (2,) fails there too.
    case notBroadcastable(argument: String, shape: [Int], to: [Int])
    /// An array's `shape` has a negative dimension, an element count that overflows `Int`, or
    /// does not match `count`, the number of scalars supplied.
    case invalidShape(shape: [Int], count: Int)

    /// The error's kind, as the golden files name it.
    public var kind: BCEErrorKind {
        switch self {
        case .shapeMismatch: .shapeMismatch
        case .inputOutOfRange: .inputOutOfRange
        case .targetOutOfRange: .targetOutOfRange
        case .notBroadcastable: .notBroadcastable
        case .invalidShape: .invalidShape
        }
    }

    /// A message in PyTorch's words, with the offending index, value or shapes.
    public var description: String {
        switch self {
        case let .shapeMismatch(input, target):
            "target size \(target) is different to the input size \(input); they must be the same"
        case let .inputOutOfRange(index, value):
            "all elements of input should be between 0 and 1 (element \(index) is \(value))"
        case let .targetOutOfRange(index, value):
            "all elements of target should be between 0 and 1 (element \(index) is \(value))"
        case let .notBroadcastable(argument, shape, to):
            "\(argument) of shape \(shape) does not broadcast to shape \(to) without enlarging it"
        case let .invalidShape(shape, count):
            "shape \(shape) is invalid for \(count) elements"
        }
    }

    /// Equality of cases and payloads, where two NaN `value`s are equal (so an error about a NaN
    /// element equals itself).
    public static func == (lhs: BCEError, rhs: BCEError) -> Bool {
        func same(_ a: Double, _ b: Double) -> Bool { a == b || (a.isNaN && b.isNaN) }
        switch (lhs, rhs) {
        case let (.shapeMismatch(a, b), .shapeMismatch(c, d)): return a == c && b == d
        case let (.inputOutOfRange(i, v), .inputOutOfRange(j, w)): return i == j && same(v, w)
        case let (.targetOutOfRange(i, v), .targetOutOfRange(j, w)): return i == j && same(v, w)
        case let (.notBroadcastable(a, s, t), .notBroadcastable(b, u, v)): return a == b && s == u && t == v
        case let (.invalidShape(s, c), .invalidShape(t, d)): return s == t && c == d
        default: return false
        }
    }
}
