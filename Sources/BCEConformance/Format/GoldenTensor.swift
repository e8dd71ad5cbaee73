/// A golden TENSOR: dtype, row-major shape and the elements, widened exactly to Double.
///
/// Every dtype of the suite widens to Double without rounding, so comparisons and conversions
/// to the library's scalar types are exact. NaN payloads are not kept: the policy ignores them.
public struct GoldenTensor: Sendable, Equatable {
    public let dtype: DType
    public let shape: [Int]
    public var values: [Double]

    /// Builds a tensor, checking that `values.count` is the product of `shape` (no negative dims).
    public init(dtype: DType, shape: [Int], values: [Double]) throws(ShapeError) {
        let count = try Self.elementCount(of: shape)
        guard count == values.count else { throw .countMismatch(shape: shape, expected: count, actual: values.count) }
        self.dtype = dtype
        self.shape = shape
        self.values = values
    }

    public var count: Int { values.count }

    public enum ShapeError: Error, Equatable, Sendable, CustomStringConvertible {
        case negativeDimension(Int)
        case overflow(shape: [Int])
        case countMismatch(shape: [Int], expected: Int, actual: Int)

        public var description: String {
            switch self {
            case .negativeDimension(let d): "negative dimension \(d)"
            case .overflow(let shape): "element count of shape \(shape) overflows Int"
            case .countMismatch(let shape, let expected, let actual):
                "shape \(shape) needs \(expected) elements, found \(actual)"
            }
        }
    }

    /// The product of `shape`, rejecting negative dimensions and overflow instead of trapping.
    public static func elementCount(of shape: [Int]) throws(ShapeError) -> Int {
        var count = 1
        for dim in shape {
            guard dim >= 0 else { throw .negativeDimension(dim) }
        }
        for dim in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw .overflow(shape: shape) }
            count = product
        }
        return count
    }

    /// The contract's lowercase fixed-width hex of every element's bits.
    public var hex: String { HexCodec.encode(values, dtype: dtype) }
}
