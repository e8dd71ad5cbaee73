#!/usr/bin/env python3
"""PyTorch CPU as the second baseline of `bce-conformance bench` (a worker subprocess).

The bench runs in a process whose embedded interpreter is Debian's Python with Debian's NumPy,
which cannot import the torch of a virtual environment; so the bench starts this script with the
venv's python (`bench --torch PYTHON`) and talks to it in JSON lines, one request on stdin, one
reply on stdout:

  {"op": "hello", "threads": N}
      -> {"ok": true, "torch": "2.15.0+cpu", "numpy": "...", "python": "3.11.2", "threads": N}
         torch.set_num_threads(N): the same thread count as the Swift library.
  {"op": "load", "dtype": "float32", "shape": [ROWS, C],
   "input": PATH, "target": PATH, "weight": PATH or null, "weight_shape": [...],
   "pos_weight": PATH or null, "pos_weight_shape": [...]}
      -> {"ok": true}
         Each PATH holds the raw little-endian element bits the Swift side timed (bfloat16: the
         16-bit patterns), so PyTorch computes on the same values.
  {"op": "time", "loss": "bce" | "bce_with_logits", "reduction": "mean" | "none",
   "pass": "forward" | "forward+gradients", "calls": K}
      -> {"ok": true, "seconds": T, "settled": S}
         T: wall time of K calls (time.perf_counter), on the inputs of the last "load". Then,
         outside T, the worker waits until its threads are idle (S seconds; see settle) before
         it replies, so the bench's next side does not share the cores with PyTorch's threads.
  {"op": "stop"}  -> exits 0 without replying.
Any failure: {"ok": false, "error": "..."} and the worker goes on reading.

The calls are what a training loop runs:
  forward            F.binary_cross_entropy(x, y, weight=w, reduction=r)
                     F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw, reduction=r)
  forward+gradients  the same on x with requires_grad=True (the target does not require grad, as
                     in training), then loss.backward() for mean, loss.backward(ones) for none,
                     and x.grad = None before the next call (zero_grad(set_to_none=True)).
"""

import json
import platform
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

# dtype -> (torch dtype, NumPy type of the little-endian file, torch dtype to view the bits as)
TYPES = {
    "float16": (torch.float16, "<f2", None),
    "bfloat16": (torch.bfloat16, "<i2", torch.bfloat16),   # NumPy has no bfloat16: its bits
    "float32": (torch.float32, "<f4", None),
    "float64": (torch.float64, "<f8", None),
}

state = {}


def read_tensor(path, dtype, shape):
    torch_dtype, file_type, view = TYPES[dtype]
    array = np.fromfile(path, dtype=file_type)
    if array.size != int(np.prod(shape)):
        raise ValueError(f"{path}: {array.size} elements, expected {int(np.prod(shape))} for shape {shape}")
    tensor = torch.from_numpy(array.astype(array.dtype.newbyteorder("="))).reshape(shape)
    return tensor.view(view) if view is not None else tensor


def load(request):
    dtype, shape = request["dtype"], request["shape"]
    if dtype not in TYPES:
        raise ValueError(f"unknown dtype {dtype!r} ({', '.join(TYPES)})")
    x = read_tensor(request["input"], dtype, shape)
    y = read_tensor(request["target"], dtype, shape)
    w = read_tensor(request["weight"], dtype, request["weight_shape"]) if request.get("weight") else None
    pw = read_tensor(request["pos_weight"], dtype, request["pos_weight_shape"]) if request.get("pos_weight") else None
    state.clear()
    state.update(x=x, y=y, w=w, pw=pw, leaf=x.clone().requires_grad_(True), ones=torch.ones_like(x))


def call(loss, reduction, gradients):
    if not state:
        raise ValueError('"time" before any "load"')
    x = state["leaf"] if gradients else state["x"]
    if loss == "bce":
        out = F.binary_cross_entropy(x, state["y"], weight=state["w"], reduction=reduction)
    elif loss == "bce_with_logits":
        out = F.binary_cross_entropy_with_logits(
            x, state["y"], weight=state["w"], pos_weight=state["pw"], reduction=reduction)
    else:
        raise ValueError(f"unknown loss {loss!r} (bce, bce_with_logits)")
    if gradients:
        out.backward() if reduction != "none" else out.backward(state["ones"])
        state["leaf"].grad = None
    return out


def time_calls(request):
    loss, reduction, pass_ = request["loss"], request["reduction"], request["pass"]
    if reduction not in ("mean", "none", "sum"):
        raise ValueError(f"unknown reduction {reduction!r} (mean, none, sum)")
    if pass_ not in ("forward", "forward+gradients"):
        raise ValueError(f"unknown pass {pass_!r} (forward, forward+gradients)")
    calls = int(request["calls"])
    gradients = pass_ == "forward+gradients"
    start = time.perf_counter()
    for _ in range(calls):
        call(loss, reduction, gradients)
    return time.perf_counter() - start


def settle(cpu_seconds=time.process_time, sleep=time.sleep, poll=0.002, limit=0.5):
    """Waits until this process uses no CPU (less than a quarter of one core) over `poll` seconds,
    at most `limit` seconds; returns the seconds waited.

    After its last call PyTorch's OpenMP threads spin, waiting for more work: up to 9 ms of CPU
    time (median 6.4 ms; scripts/torch_spin.py, torch 2.15 CPU, 2 threads). The bench samples each
    side for 20 ms in turn, so without this wait the side after PyTorch ran with one core taken
    (20-35% slower).
    `time.process_time` counts every thread of the process."""
    polls = max(1, round(limit / poll))
    for done in range(1, polls + 1):
        before = cpu_seconds()
        sleep(poll)
        if cpu_seconds() - before < poll / 4:
            break
    return done * poll


def timed_reply(request, cpu_seconds=time.process_time, sleep=time.sleep):
    """The reply to a "time" request: the calls' seconds, then the wait for idle threads."""
    seconds = time_calls(request)
    return {"ok": True, "seconds": seconds, "settled": settle(cpu_seconds=cpu_seconds, sleep=sleep)}


def reply(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            op = request.get("op")
            if op == "stop":
                return 0
            if op == "hello":
                torch.set_num_threads(int(request["threads"]))
                reply({"ok": True, "torch": torch.__version__, "numpy": np.__version__,
                       "python": platform.python_version(), "threads": torch.get_num_threads()})
            elif op == "load":
                load(request)
                reply({"ok": True})
            elif op == "time":
                reply(timed_reply(request))
            else:
                raise ValueError(f"unknown op {op!r} (hello, load, time, stop)")
        except Exception as error:   # reported to the bench, which names it in the PyTorch column
            reply({"ok": False, "error": f"{type(error).__name__}: {error}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
