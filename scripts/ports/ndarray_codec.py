"""The protocol's tensors ({"dtype", "shape", "hex"}, golden/FORMAT.md) as NumPy arrays, bit for bit,
for the framework adapters that hand NumPy arrays to their framework (jax_port.py, keras_port.py,
tinygrad_port.py). torch_port.py decodes straight into torch tensors instead.

bfloat16 (NumPy has none): `decode_bits` / `encode_bits` carry it as its uint16 bit pattern;
`decode` / `encode` use ml_dtypes.bfloat16 (JAX's own bfloat16 type, installed with jaxlib).
"""

import numpy as np

# dtype -> the big-endian NumPy type of its bit pattern
BIG_ENDIAN = {"float16": ">f2", "bfloat16": ">u2", "float32": ">f4", "float64": ">f8"}


def decode_bits(tensor, dtype):
    """A native-endian array of the case dtype (bfloat16: its uint16 bits)."""
    if tensor["dtype"] != dtype:
        raise ValueError(f"tensor of dtype {tensor['dtype']!r} in a {dtype} case")
    raw = np.frombuffer(bytes.fromhex(tensor["hex"]), dtype=BIG_ENDIAN[dtype]).reshape(tensor["shape"])
    return raw.astype(raw.dtype.newbyteorder("="))


def encode_bits(a, dtype):
    """The protocol tensor of `a`, an array of the case dtype (bfloat16: its uint16 bits)."""
    a = np.asarray(a)
    want = np.dtype(BIG_ENDIAN[dtype]).newbyteorder("=")
    if a.dtype != want:
        raise TypeError(f"the framework returned a {a.dtype} array in a {dtype} case")
    return {"dtype": dtype, "shape": list(a.shape), "hex": a.astype(BIG_ENDIAN[dtype]).tobytes().hex()}


def bfloat16_type():
    import ml_dtypes  # noqa: PLC0415 (only the bfloat16 cases need it)
    return ml_dtypes.bfloat16


def decode(tensor, dtype):
    """A native array of the case dtype, bfloat16 as ml_dtypes.bfloat16."""
    a = decode_bits(tensor, dtype)
    return a.view(bfloat16_type()) if dtype == "bfloat16" else a


def encode(a, dtype):
    a = np.asarray(a)
    if dtype == "bfloat16":
        if a.dtype != bfloat16_type():
            raise TypeError(f"the framework returned a {a.dtype} array in a bfloat16 case")
        a = a.view(np.uint16)
    return encode_bits(a, dtype)
