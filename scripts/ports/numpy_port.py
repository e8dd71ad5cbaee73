#!/usr/bin/env python3
"""An example port of BCELoss / BCEWithLogitsLoss in plain NumPy, speaking the swift-bce port protocol.

Self-contained on purpose (it does not import bce_reference): it is what a port author would write.
It computes in float64 and casts the results to the case dtype, following PyTorch's formulas
literally, and passes the golden suite's default tolerances (not the strict ULP mode).
bfloat16 (NumPy has none) travels as 4 hex digits, the upper half of the float32 bits: decoded by
shifting them into a float32, encoded by rounding float64 to bfloat16 (nearest even) here.

Protocol (docs/CONTRACTS.md section 5): JSON Lines on stdin/stdout, one message per line.
    runner: {"type": "start", "protocol_version": 2, "accepts": [1, 2]}
                                                        port: {"type": "started", ..., "capabilities": {...}}
    runner: {"type": "run", "case": {...}}              port: {"type": "result", "id": ..., "outputs" | "error" | "skipped"}
    runner: {"type": "stop"}                            port exits 0
Run it by hand:  echo '{"type": "start", "protocol_version": 2}' | /usr/bin/python3 -I scripts/ports/numpy_port.py
"""

import json
import os
import sys

import numpy as np

PROTOCOL_VERSION = 2
# What it implements (protocol version 2): everything, PyTorch's argument checks included.
CAPABILITIES = {"losses": ["bce", "bce_with_logits"], "dtypes": ["float16", "bfloat16", "float32", "float64"],
                "reductions": ["none", "mean", "sum"], "outputs": ["loss", "grad_input", "grad_target"],
                "arguments": ["weight", "pos_weight"],
                "errors": ["shape_mismatch", "not_broadcastable", "input_out_of_range", "target_out_of_range"]}
# NUMPY_PORT_IN_DTYPE=1 computes in the case dtype (bfloat16: float32) instead of float64 (to see what the tolerances allow).
IN_DTYPE = os.environ.get("NUMPY_PORT_IN_DTYPE") == "1"
TYPES = {"float16": np.float16, "float32": np.float32, "float64": np.float64}
DTYPES = ["float16", "bfloat16", "float32", "float64"]


class PortError(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


# ---------------------------------------------------------------------------------------------
# Tensors: {"dtype", "shape", "hex"}: big-endian IEEE bits, fixed width, row-major


def decode(tensor):
    """A TENSOR as a NumPy array (bfloat16 as the float32 array of the same values)."""
    if tensor["dtype"] == "bfloat16":
        bits = np.frombuffer(bytes.fromhex(tensor["hex"]), dtype=">u2").astype(np.uint32) << np.uint32(16)
        return bits.view(np.float32).reshape(tensor["shape"])
    t = TYPES[tensor["dtype"]]
    raw = np.frombuffer(bytes.fromhex(tensor["hex"]), dtype=np.dtype(t).newbyteorder(">"))
    return raw.astype(t).reshape(tensor["shape"])


def bfloat16_bits(array):
    """float64 values rounded to nearest even bfloat16, as uint16 bits (NaN: 7fc0)."""
    a = np.asarray(array, dtype=np.float64)
    out = np.full(a.shape, 0x7FC0, dtype=np.uint16)
    with np.errstate(all="ignore"):
        ok = ~np.isnan(a)
        v = a[ok]
        _, e = np.frexp(v)
        q = np.maximum(e - 8, -133)  # 8 significant bits; subnormals below 2^-126 in steps of 2^-133
        r = np.ldexp(np.rint(np.ldexp(v, -q)), q)  # exact, ties to even; 2^128 means overflow
        r = np.where(np.abs(r) >= 2.0 ** 128, np.copysign(np.inf, r), r)
        out[ok] = (r.astype(np.float32).view(np.uint32) >> np.uint32(16)).astype(np.uint16)
    return out


def encode(array, dtype):
    if dtype == "bfloat16":
        bits = bfloat16_bits(array)
        return {"dtype": dtype, "shape": list(bits.shape), "hex": bits.astype(">u2").tobytes().hex()}
    a = np.asarray(array).astype(TYPES[dtype])
    return {"dtype": dtype, "shape": list(a.shape), "hex": a.astype(a.dtype.newbyteorder(">")).tobytes().hex()}


# ---------------------------------------------------------------------------------------------
# The losses (PyTorch 2.x: aten/src/ATen/native/Loss.cpp, torch/csrc/autograd/FunctionsManual.cpp)


def broadcasts_into(shape, target):
    if len(shape) > len(target):
        return False
    return all(s == t or s == 1 for s, t in zip(reversed(shape), reversed(target)))


def check(loss, reduction, x, y, w, p, g):
    if x.shape != y.shape:
        raise PortError("shape_mismatch", f"input {x.shape} vs target {y.shape}")
    for name, a in (("weight", w), ("pos_weight", p)):
        if a is not None and not broadcasts_into(a.shape, x.shape):
            raise PortError("not_broadcastable", f"{name} {a.shape} vs input {x.shape}")
    if reduction == "none" and g.shape != x.shape or reduction != "none" and g.size != 1:
        raise PortError("not_broadcastable", f"grad_output {g.shape} for reduction {reduction}")
    if loss == "bce":
        bad_x = ~((x >= 0) & (x <= 1)).ravel()
        bad_y = ~((y >= 0) & (y <= 1)).ravel()
        first_x = np.argmax(bad_x) if bad_x.any() else x.size
        first_y = np.argmax(bad_y) if bad_y.any() else x.size
        if first_x < x.size and first_x <= first_y:
            raise PortError("input_out_of_range", f"input[{first_x}] not in [0, 1]")
        if first_y < x.size:
            raise PortError("target_out_of_range", f"target[{first_y}] not in [0, 1]")


def log_sigmoid(z):
    return np.minimum(z, 0) - np.log1p(np.exp(-np.abs(z)))


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def run_case(case):
    dtype, loss, reduction = case["dtype"], case["loss"], case["reduction"]
    ins = case["inputs"]
    x, y, g = decode(ins["input"]), decode(ins["target"]), decode(ins["grad_output"])
    w = decode(ins["weight"]) if "weight" in ins else None
    p = decode(ins["pos_weight"]) if "pos_weight" in ins else None
    check(loss, reduction, x, y, w, p, g)

    work = TYPES.get(dtype, np.float32) if IN_DTYPE else np.float64
    # EPSILON: PyTorch's `constexpr float EPSILON = 1e-12` in the case dtype (float32(1e-12) =
    # 9.99999996e-13 in float32 and float64), 0 in float16, 1.0019e-12 in bfloat16
    eps = work(decode(encode(np.float32(1e-12).astype(np.float64), dtype)))
    x, y = x.astype(work), y.astype(work)
    w = np.ones_like(x) if w is None else np.broadcast_to(w.astype(work), x.shape)
    g = g.astype(work) if reduction == "none" else work(g.reshape(-1)[0])
    n = x.size
    with np.errstate(all="ignore"):
        if loss == "bce":
            l = (y - 1) * np.maximum(np.log1p(-x), -100) - y * np.maximum(np.log(x), -100)
            d = (1 - x) * x
            gi = g * (x - y) / np.where(d < eps, eps, d)  # C++ std::max(d, eps): d = -0 (x = -0) stays -0
            gt = -(np.log(x) - np.log1p(-x)) * g
        else:
            ls = log_sigmoid(x)
            if p is None:
                l = (1 - y) * x - ls
                gi = (sigmoid(x) - y) * g
                gt = -x * g
            else:
                p = np.broadcast_to(p.astype(work), x.shape)
                l = (1 - y) * x - ls * ((p - 1) * y + 1)
                t = p * y
                gi = ((t + 1 - y) * sigmoid(x) - t) * g
                gt = (log_sigmoid(-x) - p * ls) * g
        l, gi, gt = l * w, gi * w, gt * w
        if reduction == "sum":
            l = np.sum(l)
        elif reduction == "mean":
            l = np.sum(l) / work(n) if n else work(np.nan)
            gi, gt = gi / work(n), gt / work(n)
        return {"loss": encode(l, dtype), "grad_input": encode(gi, dtype), "grad_target": encode(gt, dtype)}


# ---------------------------------------------------------------------------------------------
# Protocol loop


def send(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        kind = msg.get("type")
        if kind == "start":
            implementation = {"name": "numpy_port", "language": "python", "version": f"numpy {np.__version__}"}
            if PROTOCOL_VERSION in msg.get("accepts", [msg.get("protocol_version")]):
                send({"type": "started", "protocol_version": PROTOCOL_VERSION, "implementation": implementation,
                      "capabilities": CAPABILITIES})
            else:  # a version-1 runner: losses and dtypes inside implementation
                implementation.update(losses=CAPABILITIES["losses"], dtypes=DTYPES)
                send({"type": "started", "protocol_version": 1, "implementation": implementation})
        elif kind == "run":
            case = msg["case"]
            try:
                send({"type": "result", "id": case["id"], "outputs": run_case(case)})
            except PortError as e:
                send({"type": "result", "id": case["id"], "error": e.kind, "message": str(e)})
        elif kind == "stop":
            return 0
        else:
            print(f"numpy_port: unknown message type {kind!r}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
