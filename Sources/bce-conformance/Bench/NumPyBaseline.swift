import PythonBridge

/// The NumPy side of the benchmark: each loss written the way people write it in NumPy (one
/// ufunc per operation, temporaries included), called on zero-copy views of the Swift buffers.
enum NumPyBaseline {
    /// Python source of the baseline functions. `g` is the upstream gradient already divided by
    /// the count for `mean` (a Python float), or an array of ones for `none`.
    static let source = """
        import numpy as np

        def bce_none(x, y):
            return -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log(1 - x), -100))

        def bce_mean(x, y):
            return bce_none(x, y).mean()

        def bce_gradients(x, y, g):
            grad_input = g * (x - y) / np.maximum((1 - x) * x, 1e-12)
            grad_target = -g * (np.log(x) - np.log(1 - x))
            return grad_input, grad_target

        def bce_with_logits_none(x, y):
            return (1 - y) * x - (np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))))

        def bce_with_logits_mean(x, y):
            return bce_with_logits_none(x, y).mean()

        def bce_with_logits_gradients(x, y, g):
            sigmoid = 1 / (1 + np.exp(-x))
            return g * (sigmoid - y), -g * x

        def forward(loss, reduction):
            return globals()[loss + "_" + reduction]

        def forward_and_gradients(loss, reduction):
            f = forward(loss, reduction)
            gradients = globals()[loss + "_gradients"]
            def both(x, y, g):
                return f(x, y), gradients(x, y, g)
            return both

        def repeat(function, times, *arguments):
            for _ in range(times):
                function(*arguments)
        """

    /// The loaded module (once per process).
    static func module(_ py: PythonGIL) throws(PythonError) -> PythonObject {
        try py.makeModule(named: "bce_benchmark_numpy", source: source)
    }
}
