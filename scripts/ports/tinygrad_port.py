#!/usr/bin/env python3
"""tinygrad as a port of the swift-bce conformance suite (docs/CONTRACTS.md section 5.1).

A faithful adapter of tinygrad's own API on its CPU device; nothing in here corrects what it does:
  loss          Tensor.binary_crossentropy(Y, reduction) / Tensor.binary_crossentropy_logits(Y,
                reduction, pos_weight) (tinygrad's own loss functions, reduction passed through)
  grad_input    loss.backward(grad_output), which in tinygrad 0.14 fills .grad of every float tensor
  grad_target   in the graph (it has no requires_grad): input's and target's
What tinygrad does not have is declared in the capabilities, not emulated: no weight argument in
either loss, pos_weight only in the logits form (a bce case never has one), no argument checks
(it broadcasts mismatched shapes and takes the log of anything).
Tensors: float16 / float32 / float64 from NumPy arrays; bfloat16 (NumPy has none) enters as its
float32 value cast to dtypes.bfloat16 (exact: every bfloat16 is a float32) and leaves through
Tensor.bitcast(dtypes.uint16), bit for bit.

Threads: NUM_CPU_THREADS=1 and PARALLEL=0 (set before tinygrad is imported), DEV=CPU.

Run by hand:
    printf '%s\n' '{"type":"start","protocol_version":2,"accepts":[1,2]}' '{"type":"stop"}' | \
        ~/.cache/swift-bce/tinygrad-0.14.0-venv/bin/python -I scripts/ports/tinygrad_port.py
"""

import os
import sys

os.environ.setdefault("DEV", "CPU")
os.environ.setdefault("NUM_CPU_THREADS", "1")
os.environ.setdefault("PARALLEL", "0")  # no pool of compiler processes: the port is one process

import numpy as np  # noqa: E402
import tinygrad  # noqa: E402
from tinygrad import Tensor, dtypes  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ndarray_codec import decode_bits, encode_bits  # noqa: E402
from port_loop import PortError, serve  # noqa: E402

TINY = {"float16": dtypes.float16, "bfloat16": dtypes.bfloat16, "float32": dtypes.float32, "float64": dtypes.float64}

CAPABILITIES = {
    "losses": ["bce", "bce_with_logits"],
    "dtypes": ["float16", "bfloat16", "float32", "float64"],
    "reductions": ["none", "mean", "sum"],
    "outputs": ["loss", "grad_input", "grad_target"],
    "arguments": ["pos_weight"],
    "errors": [],
    "notes": "Tensor.binary_crossentropy / binary_crossentropy_logits, gradients by .backward(grad_output); "
             "no weight argument, pos_weight only in the logits form, no argument checks; CPU device, one thread",
}


def tensor(t, dtype):
    bits = decode_bits(t, dtype)
    if dtype == "bfloat16":
        value = np.asarray(bits.astype(np.uint32) << 16).view(np.float32)
        return Tensor(value).cast(dtypes.bfloat16)
    return Tensor(bits, dtype=TINY[dtype])


def array(t, dtype):
    if t.dtype != TINY[dtype]:
        raise TypeError(f"tinygrad returned a {t.dtype} tensor in a {dtype} case")
    if dtype == "bfloat16":
        return encode_bits(t.bitcast(dtypes.uint16).numpy().reshape(t.shape), dtype)
    return encode_bits(t.numpy().reshape(t.shape), dtype)


def run_case(case):
    dtype, loss, reduction, ins = case["dtype"], case["loss"], case["reduction"], case["inputs"]
    try:
        x = tensor(ins["input"], dtype)
        y = tensor(ins["target"], dtype)
        g = tensor(ins["grad_output"], dtype)
        if loss == "bce":
            out = x.binary_crossentropy(y, reduction=reduction)
        else:
            pos_weight = tensor(ins["pos_weight"], dtype) if "pos_weight" in ins else None
            out = x.binary_crossentropy_logits(y, reduction=reduction, pos_weight=pos_weight)
        out.backward(g)
        outputs = {"loss": array(out, dtype)}
        for field, leaf in (("grad_input", x), ("grad_target", y)):
            if leaf.grad is not None:  # else left out, and the runner reports the missing output
                outputs[field] = array(leaf.grad, dtype)
    except (TypeError, PortError):
        raise
    except Exception as exc:  # what tinygrad raises; it has no error kinds of the protocol
        raise PortError("unrecognised_exception", f"{type(exc).__name__}: {exc}") from exc
    return outputs


def version():
    try:
        from importlib.metadata import version as dist_version  # noqa: PLC0415
        v = dist_version("tinygrad")
    except Exception:  # noqa: BLE001 (a source checkout has no metadata)
        v = getattr(tinygrad, "__version__", "unknown")
    return f"tinygrad {v}, numpy {np.__version__} (DEV={os.environ['DEV']}, NUM_CPU_THREADS={os.environ['NUM_CPU_THREADS']})"


def main():
    return serve("tinygrad_port", {"name": "tinygrad", "language": "python", "version": version()},
                 run_case, capabilities=CAPABILITIES)


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
