/// A shape and contiguous row-major storage: just what the losses need, not a tensor library.
///
/// A 0-d array (shape `[]`) holds one element; any dimension may be 0 (then the array is empty).
/// The storage is a Swift array, so building an `NDArray` from an array shares its buffer
/// (copy-on-write) instead of copying it.
///
/// ```swift
/// let x = try NDArray(shape: [2, 2], scalars: [0.1, 0.9, 0.5, 0.0] as [Float])
/// let loss = try BCELoss<Float>()(x, x)        // 0-d mean
/// print(loss.scalar!)
/// ```
public struct NDArray<Scalar: BCEScalar>: Sendable, Equatable {
    /// The extent of each dimension, outermost first. `[]` is a 0-d scalar.
    public let shape: [Int]
    /// The elements in row-major order. Its count should stay equal to the product of `shape`;
    /// if a mutation breaks that, the losses throw ``BCEError/invalidShape(shape:count:)``.
    public var scalars: [Scalar]

    /// An array of the given shape over `scalars` (shared, not copied).
    ///
    /// - Throws: ``BCEError/invalidShape(shape:count:)`` if a dimension is negative, the element
    ///   count overflows `Int`, or it differs from `scalars.count`.
    public init(shape: [Int], scalars: [Scalar]) throws(BCEError) {
        guard let expected = elementCount(of: shape), expected == scalars.count else {
            throw .invalidShape(shape: shape, count: scalars.count)
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// An array of the given shape with every element equal to `value`.
    ///
    /// - Throws: ``BCEError/invalidShape(shape:count:)`` (with `count` -1) if a dimension is
    ///   negative, or the element count or its size in bytes overflows `Int` (where `Array` would
    ///   trap).
    public init(shape: [Int], repeating value: Scalar) throws(BCEError) {
        guard let count = elementCount(of: shape),
              !count.multipliedReportingOverflow(by: MemoryLayout<Scalar>.stride).overflow
        else { throw .invalidShape(shape: shape, count: -1) }
        self.shape = shape
        self.scalars = Array(repeating: value, count: count)
    }

    /// An array of the given shape holding a copy of `buffer` (one copy, no intermediate array).
    ///
    /// - Throws: ``BCEError/invalidShape(shape:count:)`` as ``init(shape:scalars:)``.
    public init(shape: [Int], copying buffer: UnsafeBufferPointer<Scalar>) throws(BCEError) {
        guard let expected = elementCount(of: shape), expected == buffer.count else {
            throw .invalidShape(shape: shape, count: buffer.count)
        }
        self.shape = shape
        self.scalars = Array(buffer)
    }

    /// A 0-d array (shape `[]`) holding `scalar`.
    public init(scalar: Scalar) {
        shape = []
        scalars = [scalar]
    }

    /// A 1-d array (shape `[scalars.count]`) over `scalars` (shared, not copied).
    public init(_ scalars: [Scalar]) {
        shape = [scalars.count]
        self.scalars = scalars
    }

    /// The number of elements (1 for a 0-d array).
    public var count: Int { scalars.count }

    /// The number of dimensions (0 for a 0-d array).
    public var rank: Int { shape.count }

    /// The only element of a one-element array (such as a `.mean` or `.sum` loss), else `nil`.
    public var scalar: Scalar? { scalars.count == 1 ? scalars[0] : nil }

    /// The array with the same elements and another shape of the same element count.
    ///
    /// - Throws: ``BCEError/invalidShape(shape:count:)`` if the counts differ.
    public func reshaped(to newShape: [Int]) throws(BCEError) -> NDArray {
        try NDArray(shape: newShape, scalars: scalars)
    }

    /// Throws unless `scalars.count` still matches `shape` (it can drift, `scalars` is public).
    func validated() throws(BCEError) -> NDArray {
        guard elementCount(of: shape) == scalars.count else {
            throw .invalidShape(shape: shape, count: scalars.count)
        }
        return self
    }
}

/// The product of `shape`, or `nil` if a dimension is negative or the product overflows `Int`.
/// A zero dimension makes the count 0 even if the other dimensions' product would overflow.
package func elementCount(of shape: [Int]) -> Int? {
    if shape.contains(where: { $0 < 0 }) { return nil }
    if shape.contains(0) { return 0 }
    var count = 1
    for extent in shape {
        let (product, overflow) = count.multipliedReportingOverflow(by: extent)
        if overflow { return nil }
        count = product
    }
    return count
}
