"""The four dtypes of the golden files and their TENSOR encoding (docs/CONTRACTS.md sections 0 and 2).

NumPy has no bfloat16. Inside the generator a bfloat16 array is carried as a float32 array whose
every element is a bfloat16 value (bce_reference's DTYPES[dtype].values), so the catalogue can
compute with it like any other dtype; `to_reference` / `from_reference` convert to and from the
storage bce_reference takes and returns (for bfloat16: uint16 bit arrays). Rounding to a dtype is
bce_reference.round_to_dtype's (once, to nearest even, from the value itself; never through float32).
"""

import numpy as np

import bce_reference as ref

DTYPE_NAMES = tuple(ref.DTYPES)  # float16, bfloat16, float32, float64
VALUES_MAX = 32  # "values" rendering only on tensors of at most this many elements (contract: <= 64)
_HEX_WIDTH = {"float16": 4, "bfloat16": 4, "float32": 8, "float64": 16}
BFLOAT16_MAX = ref.max_finite("bfloat16")


def carrier(dtype):
    """The numpy type that holds the dtype's values in the generator (float32 for bfloat16)."""
    return ref.DTYPES[dtype].values


def hex_width(dtype):
    return _HEX_WIDTH[dtype]


def round_to(values, dtype):
    """Values (float64 or longdouble) rounded once to the dtype, as carrier arrays."""
    with np.errstate(over="ignore"):
        return np.asarray(ref.cast_to_dtype(np.asarray(values, dtype=np.longdouble), dtype))


def as_dtype(array, dtype):
    """An array of any float type as a carrier array of the dtype (rounded once if needed)."""
    return ref.cast_to_dtype(array, dtype)


def _bits(a, dtype):
    """Unsigned integer bit patterns of a carrier array (NaN canonical: positive quiet, no payload)."""
    t = carrier(dtype)
    a = np.asarray(np.where(np.isnan(a), t(np.nan), a)).astype(t)
    if dtype == "bfloat16":
        return np.asarray(ref.storage_of(a, dtype))
    return a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize])


def to_reference(array, dtype):
    """What bce_reference is given for this dtype: the carrier array (bfloat16: float32 values,
    which it rounds to bfloat16 exactly, being bfloat16 values already)."""
    return None if array is None else as_dtype(array, dtype)


def from_reference(array, dtype):
    """A result of bce_reference (its storage: bfloat16 as uint16 bits) as a carrier array."""
    a = np.asarray(array)
    if a.dtype != ref.DTYPES[dtype].storage:
        raise TypeError(f"bce_reference returned {a.dtype} for {dtype}, not {np.dtype(ref.DTYPES[dtype].storage)}")
    if dtype == "bfloat16":  # not ref.values_of: under NumPy 1.24 it fails on 0-d arrays (uint32 << int is int64)
        return (a.astype(np.uint32) << np.uint32(16)).view(np.float32)
    return a.astype(carrier(dtype))


def next_toward(x, toward, dtype):
    """The dtype's neighbour of x in the direction of `toward` (both dtype values)."""
    t = carrier(dtype)
    if dtype != "bfloat16":
        return float(np.nextafter(t(x), t(toward)))
    if x == toward:
        return float(x)
    b = int(_bits(np.array(x, dtype=np.float32), dtype))
    if x == 0:
        b = 1 if toward > 0 else 0x8001
    elif (toward > x) == (x > 0):
        b += 1
    else:
        b -= 1
    return float(from_reference(np.array(b, dtype=np.uint16), dtype))


def consts(dtype):
    """The dtype's edge values as Python floats."""
    p, emin = ref.DTYPES[dtype].precision, ref.DTYPES[dtype].emin
    min_normal = 2.0 ** emin
    min_sub = 2.0 ** (emin - p + 1)
    mx = ref.max_finite(dtype)
    return {"min_sub": min_sub, "min_normal": min_normal, "max_sub": min_normal - min_sub, "max": mx,
            "below_one": 1 - 2.0 ** -p, "above_half": 0.5 + 2.0 ** -p, "eps": 2.0 ** (1 - p)}


def scalar(dtype, v):
    """v rounded to the dtype, as a Python float."""
    return float(round_to(np.array(v, dtype=np.float64), dtype)[()])


def encode_tensor(array, dtype):
    a = as_dtype(array, dtype)
    bits = _bits(a, dtype)
    t = {"dtype": dtype, "shape": list(a.shape),
         "hex": bits.astype(bits.dtype.newbyteorder(">")).tobytes().hex()}
    if a.size <= VALUES_MAX:
        t["values"] = [render_value(v, dtype) for v in a.ravel()]
    return t


def decode_tensor(tensor):
    """A TENSOR as a carrier array of its dtype."""
    dtype = tensor["dtype"]
    width = {4: np.uint16, 8: np.uint32, 16: np.uint64}[hex_width(dtype)]
    bits = np.frombuffer(bytes.fromhex(tensor["hex"]), dtype=np.dtype(width).newbyteorder(">")).astype(width)
    if dtype == "bfloat16":
        return from_reference(bits, dtype).reshape(tensor["shape"])
    return bits.view(carrier(dtype)).reshape(tensor["shape"])


def render_value(v, dtype):
    """Python repr of the shortest decimal that reads back (as float64, then rounded to the dtype) as v."""
    x = float(v)
    if dtype == "float64" or not np.isfinite(v):
        return repr(x)
    for digits in range(1, 18):
        candidate = float("%.*g" % (digits, x))
        if scalar(dtype, candidate) == x:
            return repr(candidate)
    return repr(x)
