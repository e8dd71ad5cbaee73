#!/usr/bin/env python3
"""PyTorch itself as a port of the swift-bce conformance suite (docs/CONTRACTS.md section 5).

A faithful adapter: every number comes from PyTorch's public API on the CPU, and nothing in here
corrects what PyTorch does.
  loss          torch.nn.functional.binary_cross_entropy / binary_cross_entropy_with_logits
                (weight, pos_weight and reduction passed through as given)
  grad_input    autograd: input and target are leaf tensors with requires_grad=True and
  grad_target   loss.backward(grad_output) fills input.grad and target.grad
Tensors are decoded from the protocol's big-endian hex into tensors of the case dtype
(float16, bfloat16 = the upper 16 bits of a float32 pattern, float32, float64) bit for bit, and
encoded back the same way (NaN payloads included, as PyTorch produced them).

Errors: PyTorch's exception is mapped to the protocol's error kind by what PyTorch raises (its type
and the text of its message, ERROR_KINDS below; the stage that raised it is part of the message
sent back). An exception that matches no entry is reported as the error kind
"unrecognised_exception" with PyTorch's type and message, so the runner fails the case and shows
it, instead of a guessed kind.

Threads: torch.set_num_threads(1). With more than one thread, PyTorch's CPU kernels split the
elements between threads: a sum is accumulated in per-thread partial sums, so its low-order bits
depend on the machine's core count (measured, torch 2.15: binary_cross_entropy_with_logits with
reduction "sum" over 1,000,003 float32 elements of torch.rand, seed 1, is 733662.1875 on one
thread and 733662.25 on two), and the range check of binary_cross_entropy raises from
whichever thread meets a bad element first (so the kind reported for an input with a bad input
element and a bad target element at another index could depend on scheduling). One thread makes
the result a function of the case alone. PYTORCH_PORT_THREADS=N overrides it (to measure that).

Run by hand:
    printf '%s\n' '{"type":"start","protocol_version":1}' '{"type":"stop"}' | \
        /work/venvs/torch/bin/python -I scripts/ports/torch_port.py
"""

import os
import re
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from port_loop import PortError, serve  # noqa: E402
THREADS = int(os.environ.get("PYTORCH_PORT_THREADS", "1"))
torch.set_num_threads(THREADS)

# dtype -> (torch dtype, big-endian NumPy type of the bit pattern, torch type of the same width)
TYPES = {
    "float16": (torch.float16, ">f2", None),
    "bfloat16": (torch.bfloat16, ">u2", torch.int16),   # NumPy has no bfloat16: carried as its bits
    "float32": (torch.float32, ">f4", None),
    "float64": (torch.float64, ">f8", None),
}

# What PyTorch 2.x raises, by exception type and message (first match wins).
ERROR_KINDS = [
    # torch/nn/functional.py, binary_cross_entropy: target.size() != input.size()
    (ValueError, r"Using a target size .* that is different to the input size", "shape_mismatch"),
    # torch/nn/functional.py, binary_cross_entropy_with_logits
    (ValueError, r"Target size .* must be the same as input size", "shape_mismatch"),
    # aten/src/ATen/native/Loss.cpp, binary_cross_entropy_out_cpu (checked element by element)
    (RuntimeError, r"all elements of input should be between 0 and 1", "input_out_of_range"),
    (RuntimeError, r"all elements of target should be between 0 and 1", "target_out_of_range"),
    # weight / pos_weight that do not broadcast (torch._C._infer_size, expand, TensorIterator)
    (RuntimeError, r"The size of tensor a \(\d+\) must match the size of tensor b", "not_broadcastable"),
    (RuntimeError, r"Attempting to broadcast a dimension of length", "not_broadcastable"),
    (RuntimeError, r"The expanded size of the tensor .* must match the existing size", "not_broadcastable"),
    (RuntimeError, r"output with shape \[.*\] doesn't match the broadcast shape", "not_broadcastable"),
    # torch/autograd: grad_output of another shape than the loss
    (RuntimeError, r"Mismatch in shape: grad_output\[0\] has a shape of", "not_broadcastable"),
]


def error_kind(exc):
    for typ, pattern, kind in ERROR_KINDS:
        if isinstance(exc, typ) and re.search(pattern, str(exc)):
            return kind
    return None


# ---------------------------------------------------------------------------------------------
# Tensors: {"dtype", "shape", "hex"}


def decode(tensor, dtype):
    if tensor["dtype"] != dtype:
        raise ValueError(f"tensor of dtype {tensor['dtype']!r} in a {dtype} case")
    torch_dtype, big_endian, bits = TYPES[dtype]
    raw = np.frombuffer(bytes.fromhex(tensor["hex"]), dtype=big_endian).reshape(tensor["shape"])
    native = raw.astype(raw.dtype.newbyteorder("="))
    if bits is not None:
        return torch.from_numpy(native.view(np.int16).copy()).view(torch_dtype)
    return torch.from_numpy(native.copy())


def encode(t, dtype):
    torch_dtype, big_endian, bits = TYPES[dtype]
    if t.dtype != torch_dtype:
        raise TypeError(f"PyTorch returned a {t.dtype} tensor in a {dtype} case")
    t = t.detach().contiguous()
    a = (t.view(bits).numpy().view(np.uint16) if bits is not None else t.numpy()).astype(big_endian)
    return {"dtype": dtype, "shape": list(t.shape), "hex": a.tobytes().hex()}


# ---------------------------------------------------------------------------------------------
# One case


def call(stage, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # PyTorch's own exception, mapped by what it is
        kind = error_kind(exc)
        text = f"{stage}: {type(exc).__name__}: {exc}"
        if kind is None:
            raise PortError("unrecognised_exception", "not a recognised PyTorch error (torch_port.py ERROR_KINDS): " + text)
        raise PortError(kind, text)


def run_case(case):
    dtype, loss, reduction = case["dtype"], case["loss"], case["reduction"]
    ins = case["inputs"]
    x = decode(ins["input"], dtype).requires_grad_(True)
    y = decode(ins["target"], dtype).requires_grad_(True)
    g = decode(ins["grad_output"], dtype)
    kwargs = {"reduction": reduction}
    if "weight" in ins:
        kwargs["weight"] = decode(ins["weight"], dtype)
    if "pos_weight" in ins:
        kwargs["pos_weight"] = decode(ins["pos_weight"], dtype)
    fn = F.binary_cross_entropy if loss == "bce" else F.binary_cross_entropy_with_logits
    out = call(f"{fn.__name__}", fn, x, y, **kwargs)
    call("loss.backward(grad_output)", out.backward, g)
    outputs = {"loss": encode(out, dtype)}
    for field, leaf in (("grad_input", x), ("grad_target", y)):
        if leaf.grad is not None:  # else left out, and the runner reports the missing output
            outputs[field] = encode(leaf.grad, dtype)
    return outputs


def main():
    return serve("torch_port", {
        "name": "PyTorch", "language": "python",
        "version": f"torch {torch.__version__} (CPU, {THREADS} thread{'s' if THREADS != 1 else ''}), numpy {np.__version__}",
        "losses": ["bce", "bce_with_logits"], "dtypes": list(TYPES)}, run_case, TYPES)


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Without the interpreter's finalization: torch's takes 1.2 s on an idle machine and over 3 s
    # on a loaded one, which the runner counts as a port that does not exit after "stop".
    os._exit(status)
