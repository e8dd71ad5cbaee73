/// How the elementwise losses are combined, as PyTorch's `reduction` argument
/// (`apply_loss_reduction`, aten/src/ATen/native/Loss.cpp).
public enum Reduction: String, Sendable, CaseIterable {
    /// The elementwise losses, in the input's shape.
    case none
    /// The sum of the elementwise (weighted) losses divided by the input's element count, as a 0-d
    /// array. Not divided by the sum of the weights. NaN for an empty input (0 / 0).
    case mean
    /// The sum of the elementwise (weighted) losses, as a 0-d array; 0 for an empty input.
    case sum
}
