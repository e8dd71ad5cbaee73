"""The four dtypes of the golden files and their TENSOR encoding (docs/CONTRACTS.md sections 0 and 2).

NumPy has no bfloat16. Inside the generator a bfloat16 array is carried as a float32 array whose
every element is a bfloat16 value (the upper 16 bits of its float32 pattern; the lower 16 are 0),
so the catalogue can compute with it like any other dtype; `to_reference` / `from_reference`
convert to and from the uint16 bit arrays that bce_reference takes and returns for bfloat16.
Rounding a value to bfloat16 is round-to-nearest-even from the value itself (`round_to`), never
through float32 (that would round twice).
"""

import numpy as np

DTYPE_NAMES = ("float16", "bfloat16", "float32", "float64")
VALUES_MAX = 32  # "values" rendering only on tensors of at most this many elements (contract: <= 64)

# dtype -> (carrier numpy type, significand bits p, minimum normal exponent, hex digits per element)
_TABLE = {
    "float16": (np.float16, 11, -14, 4),
    "bfloat16": (np.float32, 8, -126, 4),
    "float32": (np.float32, 24, -126, 8),
    "float64": (np.float64, 53, -1022, 16),
}
BFLOAT16_MAX = float((2 - 2.0 ** -7) * 2.0 ** 127)


def carrier(dtype):
    """The numpy type that holds the dtype's values in the generator (float32 for bfloat16)."""
    return _TABLE[dtype][0]


def hex_width(dtype):
    return _TABLE[dtype][3]


def _round_bfloat16(values):
    """Correct rounding (half to even) of float64/longdouble values to bfloat16, as float32 values."""
    v = np.asarray(values)
    if v.dtype not in (np.float64, np.longdouble):
        v = v.astype(np.float64)
    out = np.empty(v.shape, dtype=np.float32)
    with np.errstate(all="ignore"):
        finite = np.isfinite(v)
        out[~finite] = v[~finite].astype(np.float32)
        a = v[finite]
        _, e = np.frexp(a)  # |a| in [2^(e-1), 2^e)
        p, emin = _TABLE["bfloat16"][1:3]
        quantum = np.maximum(e - p, emin - p + 1).astype(np.int32)
        r = np.ldexp(np.rint(np.ldexp(a, -quantum)), quantum)  # exact; > BFLOAT16_MAX only as 2^128
        out[finite] = np.where(np.abs(r) > BFLOAT16_MAX, np.copysign(np.inf, r), r).astype(np.float32)
    return out


def round_to(values, dtype):
    """Values (float64, or longdouble for bfloat16) rounded once to the dtype, as carrier arrays."""
    if dtype == "bfloat16":
        return _round_bfloat16(values)
    with np.errstate(over="ignore"):
        return np.asarray(values, dtype=np.float64).astype(carrier(dtype))  # NumPy's casts round once


def as_dtype(array, dtype):
    """An array of any float type as a carrier array of the dtype (rounded if needed)."""
    a = np.asarray(array)
    if dtype == "bfloat16":
        if a.dtype == np.float32:
            bits = a.view(np.uint32)
            if not np.any(bits & np.uint32(0xFFFF)):
                return a.copy()
        return _round_bfloat16(a.astype(np.float64) if a.dtype != np.longdouble else a)
    return round_to(a, dtype) if a.dtype not in (np.float16, np.float32, np.float64) else a.astype(carrier(dtype))


def _bits(a, dtype):
    """Unsigned integer bit patterns of a carrier array (NaN canonical: positive quiet, no payload)."""
    t = carrier(dtype)
    a = np.asarray(np.where(np.isnan(a), t(np.nan), a)).astype(t)
    if dtype == "bfloat16":
        return np.asarray(a.view(np.uint32) >> np.uint32(16)).astype(np.uint16)  # 0-d stays an array
    return a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize])


def to_reference(array, dtype):
    """What bce_reference takes for this dtype: the carrier array, or bfloat16's uint16 bits."""
    if array is None:
        return None
    a = as_dtype(array, dtype)
    return _bits(a, dtype) if dtype == "bfloat16" else a


def from_reference(array, dtype):
    """A result of bce_reference as a carrier array (bfloat16: from uint16 bits)."""
    a = np.asarray(array)
    if dtype == "bfloat16":
        if a.dtype != np.uint16:
            raise TypeError(f"bce_reference returned {a.dtype} for bfloat16, not uint16 bits")
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
    _, p, emin, _ = _TABLE[dtype]
    min_normal = 2.0 ** emin
    min_sub = 2.0 ** (emin - p + 1)
    mx = BFLOAT16_MAX if dtype == "bfloat16" else float(np.finfo(carrier(dtype)).max)
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
