import PythonBridge

/// The NumPy side of the benchmark: each loss written the way people write it in NumPy (one
/// ufunc per operation, temporaries included), called on zero-copy views of the Swift buffers.
enum NumPyBaseline {
    /// Python source of the baseline functions. `w` (weight) and `pw` (pos_weight) are arrays
    /// that broadcast against `x`, or None; `g` is the upstream gradient already divided by the
    /// count for `mean` (a Python float), or an array of ones for `none`.
    static let source = """
        import numpy as np

        def bce_none(x, y, w, pw):
            loss = -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log(1 - x), -100))
            return loss if w is None else loss * w

        def bce_gradients(x, y, w, pw, g):
            gw = g if w is None else g * w
            grad_input = gw * (x - y) / np.maximum((1 - x) * x, 1e-12)
            grad_target = -gw * (np.log(x) - np.log(1 - x))
            return grad_input, grad_target

        def bce_input_gradient(x, y, w, pw, g):
            gw = g if w is None else g * w
            return gw * (x - y) / np.maximum((1 - x) * x, 1e-12)

        def bce_with_logits_none(x, y, w, pw):
            if pw is None:
                loss = (1 - y) * x - (np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))))
            else:
                loss = (1 - y) * x + (1 + (pw - 1) * y) * (np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0))
            return loss if w is None else loss * w

        def bce_with_logits_gradients(x, y, w, pw, g):
            gw = g if w is None else g * w
            sigmoid = 1 / (1 + np.exp(-x))
            if pw is None:
                return gw * (sigmoid - y), -gw * x
            softplus = np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)
            return gw * ((pw * y + 1 - y) * sigmoid - pw * y), gw * ((pw - 1) * softplus - x)

        def bce_with_logits_input_gradient(x, y, w, pw, g):
            gw = g if w is None else g * w
            sigmoid = 1 / (1 + np.exp(-x))
            if pw is None:
                return gw * (sigmoid - y)
            return gw * ((pw * y + 1 - y) * sigmoid - pw * y)

        def forward(loss, reduction):
            none = globals()[loss + "_none"]
            if reduction == "none":
                return none
            return lambda x, y, w, pw: none(x, y, w, pw).mean()

        def forward_and_gradients(loss, reduction, target_gradient=True):
            f = forward(loss, reduction)
            gradients = globals()[loss + ("_gradients" if target_gradient else "_input_gradient")]
            def both(x, y, w, pw, g):
                return f(x, y, w, pw), gradients(x, y, w, pw, g)
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
