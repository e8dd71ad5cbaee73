#!/usr/bin/env python3
"""JAX with optax as a port of the swift-bce conformance suite (docs/CONTRACTS.md section 5.1).

A faithful adapter of optax's own API, on the CPU, nothing in here corrects what it does:
  loss          optax.losses.sigmoid_binary_cross_entropy(logits, labels): element-wise, as optax
                returns it; reduction "mean" / "sum" is jnp.mean / jnp.sum of it (optax leaves the
                reduction to the caller, and its examples use .mean())
  grad_input    jax.vjp of that function with respect to (logits, labels), pulled back with the
  grad_target   case's grad_output
  x64           jax.config.update("jax_enable_x64", True), so float64 cases run in float64
  eager         op by op, without jax.jit (jit lets XLA fuse and reorder; a user's jitted step may
                round differently)
What optax does not have is declared in the capabilities, not emulated: no loss on probabilities
(optax 0.2.8 offers only the logits form), no weight, no pos_weight, no argument checks (it
broadcasts logits against labels instead of refusing a shape mismatch).

Threads: XLA's CPU client on one thread (XLA_FLAGS --xla_cpu_multi_thread_eigen=false
intra_op_parallelism_threads=1, set before jax is imported), so a sum does not depend on the core count.

Run by hand:
    printf '%s\n' '{"type":"start","protocol_version":2,"accepts":[1,2]}' '{"type":"stop"}' | \
        ~/.cache/swift-bce/jax-0.12.0.1-venv/bin/python -I scripts/ports/jax_port.py
"""

import os
import sys

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                           + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ndarray_codec import decode, encode  # noqa: E402
from port_loop import PortError, serve  # noqa: E402

REDUCE = {"none": lambda v: v, "mean": jnp.mean, "sum": jnp.sum}

CAPABILITIES = {
    "losses": ["bce_with_logits"],
    "dtypes": ["float16", "bfloat16", "float32", "float64"],
    "reductions": ["none", "mean", "sum"],
    "outputs": ["loss", "grad_input", "grad_target"],
    "arguments": [],
    "errors": [],
    "notes": "optax.losses.sigmoid_binary_cross_entropy (element-wise; mean/sum by jnp.mean/jnp.sum), "
             "gradients by jax.vjp; optax has no loss on probabilities, no weight, no pos_weight and no "
             "argument checks; CPU, x64 enabled, eager, one thread",
}


def run_case(case):
    dtype, reduction, ins = case["dtype"], case["reduction"], case["inputs"]
    x, y, g = (jnp.asarray(decode(ins[k], dtype)) for k in ("input", "target", "grad_output"))

    def loss_of(logits, labels):
        return REDUCE[reduction](optax.losses.sigmoid_binary_cross_entropy(logits, labels))

    try:
        loss, pullback = jax.vjp(loss_of, x, y)
        grad_x, grad_y = pullback(g)
    except Exception as exc:  # what JAX raises; it has no error kinds of the protocol
        raise PortError("unrecognised_exception", f"{type(exc).__name__}: {exc}") from exc
    return {"loss": encode(np.asarray(loss), dtype), "grad_input": encode(np.asarray(grad_x), dtype),
            "grad_target": encode(np.asarray(grad_y), dtype)}


def main():
    return serve("jax_port", {
        "name": "JAX/optax", "language": "python",
        "version": f"jax {jax.__version__}, jaxlib {jax.lib.__version__}, optax {optax.__version__}, numpy {np.__version__} (CPU, x64, 1 thread)",
    }, run_case, capabilities=CAPABILITIES)


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # without the interpreter's finalization (XLA's teardown), as torch_port.py
