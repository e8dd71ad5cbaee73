/// The gradients of a loss with respect to its input and its target, each in the input's shape,
/// for a given upstream gradient (`gradOutput`).
public struct BCEGradients<Scalar: BCEScalar>: Sendable {
    /// d(loss)/d(input) times the upstream gradient.
    public var input: NDArray<Scalar>
    /// d(loss)/d(target) times the upstream gradient.
    public var target: NDArray<Scalar>

    /// Gradients from their two arrays.
    public init(input: NDArray<Scalar>, target: NDArray<Scalar>) {
        self.input = input
        self.target = target
    }
}

extension Reduction {
    /// What the elementwise gradients are divided by: the element count for `.mean`, else 1.
    func gradientDivisor<W: BinaryFloatingPoint>(count: Int) -> W {
        self == .mean ? W(count) : 1
    }
}
