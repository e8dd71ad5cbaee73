"""Checks every finite golden value against an independent oracle: mpmath at high precision.

The oracle evaluates the mathematical definitions (docs/CONTRACTS.md, bce_reference's docstring)
in 60-digit arithmetic with exact 1 - x, and rounds to the dtype with its own nearest-even logic
(Fractions), sharing no code with bce_reference. Expectation: float16 and float32 golden values are
correctly rounded; float64 ones are within 1 ULP, and correctly rounded for all but a small fraction.
Skipped where mpmath is not installed (Debian's python3 lacks it; run with an interpreter that has
it, e.g. `python3 -I -m unittest scripts/tests/test_against_mpmath.py`). BCE_SLOW=1 includes the
100,000-element reductions (minutes).
"""

import json
import os
import sys
import unittest
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402

try:
    import mpmath
    from mpmath import mp, mpf
except ImportError:  # pragma: no cover
    mpmath = None

GOLDEN = os.path.join(os.path.dirname(os.path.dirname(HERE)), "golden")
TYPES = {"float16": np.float16, "float32": np.float32, "float64": np.float64}


def decode(t):
    dt = np.dtype(TYPES[t["dtype"]]).newbyteorder(">")
    return np.frombuffer(bytes.fromhex(t["hex"]), dtype=dt).astype(TYPES[t["dtype"]]).reshape(t["shape"])


def frac_of_mpf(v):
    sign, man, exp, bc = mpf(v)._mpf_
    if man and exp + bc < -5000:  # far below every dtype's smallest subnormal: rounds to zero
        q = Fraction(1, 1 << 5000)
    elif man and exp + bc > 5000:  # far above every dtype's largest finite value
        q = Fraction(1 << 5000)
    else:
        q = Fraction(int(man)) * (Fraction(2) ** int(exp))
    return -q if sign else q


def round_nearest_even(q, t):
    """Correctly rounds the Fraction q to numpy type t (checking the neighbours of a double guess)."""
    if q == 0:
        return t(0)
    if abs(q) >= 2 ** 1024:
        return t(np.inf) if q > 0 else t(-np.inf)
    with np.errstate(over="ignore"):
        guess = t(float(q))
        cands = {guess}
        for _ in range(2):
            for c in list(cands):
                cands.add(np.nextafter(c, t(np.inf)))
                cands.add(np.nextafter(c, t(-np.inf)))
    fin = [c for c in cands if np.isfinite(c)]
    best = min(fin, key=lambda c: (abs(Fraction(float(c)) - q), int(np.array(c).view({2: np.uint16, 4: np.uint32, 8: np.uint64}[np.dtype(t).itemsize])) & 1))
    top = np.finfo(t).max
    # overflow: beyond max + half an ULP of max rounds to inf
    half = (Fraction(float(top)) - Fraction(float(np.nextafter(top, t(0))))) / 2
    if abs(q) >= Fraction(float(top)) + half:
        return t(np.inf) if q > 0 else t(-np.inf)
    return best


def clamp_log(v):
    return max(v, mpf(-100))


def oracle(case):
    loss, red = case["loss"], case["reduction"]
    ins = case["inputs"]
    x = decode(ins["input"])
    y = decode(ins["target"])
    shape = x.shape
    w = np.broadcast_to(decode(ins["weight"]), shape) if "weight" in ins else None
    p = np.broadcast_to(decode(ins["pos_weight"]), shape) if "pos_weight" in ins else None
    g = decode(ins["grad_output"])
    g = np.broadcast_to(g if red == "none" else g.reshape(()), shape)
    eps = mpf(float(TYPES[case["dtype"]](np.float32(1e-12))))  # PyTorch's float EPSILON in the dtype
    n = x.size
    L, GI, GT = [], [], []
    for i in np.ndindex(shape):
        X, Y, G = mpf(float(x[i])), mpf(float(y[i])), mpf(float(g[i]))
        W = mpf(float(w[i])) if w is not None else mpf(1)
        if not all(mpmath.isfinite(v) for v in (X, Y, G, W)):
            return None
        one_minus_x = mpmath.fsub(1, X, exact=True)
        if loss == "bce":
            lx = mpmath.log(X) if X > 0 else mpf("-inf")
            l1 = mpmath.log(one_minus_x) if one_minus_x > 0 else mpf("-inf")
            lo = -(1 - Y) * clamp_log(l1) - Y * clamp_log(lx)
            den = max(one_minus_x * X, eps)
            gi = G * (X - Y) / den if den > 0 else None
            gt = -(lx - l1) * G if mpmath.isfinite(lx) and mpmath.isfinite(l1) else None
        else:
            P = mpf(float(p[i])) if p is not None else mpf(1)
            sp_pos = mpmath.log1p(mpmath.exp(X))  # softplus(x)
            sp_neg = mpmath.log1p(mpmath.exp(-X))
            lo = (1 - Y) * sp_pos + P * Y * sp_neg
            sig = 1 / (1 + mpmath.exp(-X))
            sig_neg = 1 / (1 + mpmath.exp(X))
            gi = ((1 - Y) * sig - P * Y * sig_neg) * G
            # p * softplus(-x) - softplus(x), written so that a tiny x survives 60 digits
            small = mpmath.log1p(mpmath.exp(-abs(X)))
            gt = (P * max(-X, 0) - max(X, 0) + (P - 1) * small) * G if p is not None else -X * G
        L.append(lo * W)
        GI.append(None if gi is None else gi * W / (n if red == "mean" else 1))
        GT.append(None if gt is None else gt * W / (n if red == "mean" else 1))
    if red == "none":
        loss_vals = L
    elif n == 0:
        return None
    else:
        s = mpmath.fsum(L)
        loss_vals = [s / n if red == "mean" else s]
    return loss_vals, GI, GT


def ulp_distance(a, b, t):
    """Distance in representable steps between two finite values of numpy type t."""
    ints = {2: np.int16, 4: np.int32, 8: np.int64}[np.dtype(t).itemsize]

    def key(v):
        i = int(np.array(v, dtype=t).view(ints))
        return i if i >= 0 else -(i & ((1 << (8 * np.dtype(t).itemsize - 1)) - 1))
    return abs(key(a) - key(b))


@unittest.skipIf(mpmath is None, "python3-mpmath is not installed")
class GoldenAgainstMpmath(unittest.TestCase):
    def test_every_finite_value(self):
        mp.dps = 60
        stats = {}
        for loss in ("bce", "bce_with_logits"):
            for dtype, t in TYPES.items():
                path = os.path.join(GOLDEN, loss, dtype + ".json")
                with open(path) as fh:
                    cases = json.load(fh)["cases"]
                checked = off = 0
                worst = 0
                for case in cases:
                    if "expected" not in case:
                        continue
                    if "large-reduction" in case["flags"] and not os.environ.get("BCE_SLOW"):
                        continue  # 100,000 elements: minutes in mpmath; BCE_SLOW=1 to include
                    res = oracle(case)
                    if res is None:
                        continue
                    exp = case["expected"]
                    for field, vals in zip(("loss", "grad_input", "grad_target"), res):
                        if field not in exp:
                            continue
                        got = decode(exp[field]).ravel()
                        for k, v in enumerate(vals):
                            if v is None:
                                continue
                            want = round_nearest_even(frac_of_mpf(v), t)
                            checked += 1
                            if not np.isfinite(want) or not np.isfinite(got[k]):
                                self.assertEqual(want, got[k], f"{case['id']} {field}[{k}]")
                                continue
                            d = ulp_distance(want, got[k], t)
                            q = frac_of_mpf(v)
                            if d == 1 and 2 * q == Fraction(float(want)) + Fraction(float(got[k])):
                                continue  # a tie at the oracle's own precision: it cannot decide
                            if d:
                                off += 1
                                worst = max(worst, d)
                                if dtype != "float64" or d > 1:
                                    self.fail(f"{case['id']} {field}[{k}]: golden {got[k]!r}, correctly rounded {want!r} ({d} ULP)")
                stats[(loss, dtype)] = (checked, off, worst)
                self.assertGreater(checked, 1000)
                self.assertLess(off, checked * 0.01, (loss, dtype, off, checked))
        if os.environ.get("BCE_VERBOSE"):
            print(stats, file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
