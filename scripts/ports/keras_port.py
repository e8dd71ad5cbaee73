#!/usr/bin/env python3
"""Keras 3 on its JAX backend as a port of the swift-bce conformance suite (docs/CONTRACTS.md section 5.1).

A faithful adapter of Keras' own API on the CPU; nothing in here corrects what Keras does:
  loss          keras.losses.BinaryCrossentropy(from_logits=<bce_with_logits>, reduction=R,
                dtype=<case dtype>)(y_true, y_pred, sample_weight=weight), with R None for "none",
                "sum_over_batch_size" (Keras' mean, its default) for "mean", "sum" for "sum".
                The loss takes the mean over the last axis (Keras' samples × units layout), so every
                element enters as a sample of one unit: input and target get a trailing axis of 1
                (Keras' own shape for binary labels, (batch, 1)); the loss then has the input's shape.
                dtype=<case dtype>: Keras converts inputs to the loss' dtype (floatx, float32, by default).
  grad_input    jax.vjp of that call with respect to (input, target), pulled back with grad_output
  grad_target   (the JAX backend's own differentiation; Keras has no gradient API of its own)
Keras' weight is sample_weight (broadcast by Keras' rules, squeeze_or_expand_to_same_rank); it
has no pos_weight. Its argument checks: ops.binary_crossentropy refuses target and output of
different shapes (ValueError, "shape_mismatch"), and multiplying by a sample_weight that does not
broadcast fails in jax.numpy (TypeError "incompatible shapes for broadcasting", "not_broadcastable");
it checks no range.

Threads: XLA's CPU client on one thread (XLA_FLAGS, set before jax is imported), x64 enabled.

Run by hand:
    printf '%s\n' '{"type":"start","protocol_version":2,"accepts":[1,2]}' '{"type":"stop"}' | \
        ~/.cache/swift-bce/keras-3.15.1-venv/bin/python -I scripts/ports/keras_port.py
"""

import os
import re
import sys

os.environ["KERAS_BACKEND"] = "jax"
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                           + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import keras  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ndarray_codec import decode, encode  # noqa: E402
from port_loop import PortError, serve  # noqa: E402

REDUCTION = {"none": None, "mean": "sum_over_batch_size", "sum": "sum"}

# What Keras 3 (JAX backend) raises, by exception type and message (first match wins).
ERROR_KINDS = [
    # keras/src/backend/jax/nn.py, binary_crossentropy
    (ValueError, r"Arguments `target` and `output` must have the same shape", "shape_mismatch"),
    # jax.numpy multiplying the losses by a sample_weight of another shape
    ((TypeError, ValueError), r"[Ii]ncompatible shapes for broadcasting", "not_broadcastable"),
    # jax.vjp: a grad_output of another shape than the loss (torch_port.py maps PyTorch's
    # "Mismatch in shape: grad_output[0]" the same way); also what a loss that Keras enlarged meets
    (ValueError, r"unexpected JAX type \(e\.g\. shape/dtype\) for argument to VJP function", "not_broadcastable"),
]

CAPABILITIES = {
    "losses": ["bce", "bce_with_logits"],
    "dtypes": ["float16", "bfloat16", "float32", "float64"],
    "reductions": ["none", "mean", "sum"],
    "outputs": ["loss", "grad_input", "grad_target"],
    "arguments": ["weight"],
    "errors": ["shape_mismatch", "not_broadcastable"],
    "notes": "keras.losses.BinaryCrossentropy(from_logits, reduction, dtype) on the JAX backend, each element "
             "a sample of one unit, weight as sample_weight, gradients by jax.vjp; no pos_weight, no range "
             "checks; CPU, x64 enabled, one thread",
}


def error_kind(exc):
    for types, pattern, kind in ERROR_KINDS:
        if isinstance(exc, types) and re.search(pattern, str(exc)):
            return kind
    return None


def run_case(case):
    dtype, reduction, ins = case["dtype"], case["reduction"], case["inputs"]
    x, y, g = (jax.numpy.asarray(decode(ins[k], dtype)) for k in ("input", "target", "grad_output"))
    weight = jax.numpy.asarray(decode(ins["weight"], dtype)) if "weight" in ins else None
    loss = keras.losses.BinaryCrossentropy(from_logits=case["loss"] == "bce_with_logits",
                                           reduction=REDUCTION[reduction], dtype=dtype)

    def loss_of(y_pred, y_true):
        return loss(y_true[..., None], y_pred[..., None], sample_weight=weight)

    stage = "keras.losses.BinaryCrossentropy"
    try:
        out, pullback = jax.vjp(loss_of, x, y)
        stage = "jax.vjp pullback(grad_output)"
        grad_x, grad_y = pullback(g)
    except Exception as exc:  # Keras' (or JAX's) own exception, mapped by what it is
        kind = error_kind(exc)
        text = f"{stage}: {type(exc).__name__}: {exc}"
        raise PortError(kind or "unrecognised_exception",
                        text if kind else "not a recognised Keras error (keras_port.py ERROR_KINDS): " + text) from exc
    return {"loss": encode(np.asarray(out), dtype), "grad_input": encode(np.asarray(grad_x), dtype),
            "grad_target": encode(np.asarray(grad_y), dtype)}


def main():
    return serve("keras_port", {
        "name": "Keras", "language": "python",
        "version": f"keras {keras.__version__} (backend {keras.backend.backend()}), jax {jax.__version__}, "
                   f"numpy {np.__version__} (CPU, x64, 1 thread)",
    }, run_case, capabilities=CAPABILITIES)


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # without the interpreter's finalization (XLA's teardown: 3.6 s measured in issue 13)
