"""Self-checks of scripts/bce_reference.py: hand-computed values, the clamp, errors, rounding.

Run from the repo root: /usr/bin/python3 -I -m unittest discover -s scripts/tests
"""

import math
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(HERE)
sys.path.insert(0, SCRIPTS)

import numpy as np  # noqa: E402

import bce_reference as ref  # noqa: E402
from bce_reference import BCEReferenceError, evaluate, round_to_dtype  # noqa: E402

LD = np.longdouble
LOG2 = math.log(2)


def ev(loss, dtype, reduction, x, y, **kw):
    return evaluate(loss, dtype, reduction, np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64),
                    **{k: (None if v is None else np.asarray(v, dtype=np.float64)) for k, v in kw.items()})


def bits(a):
    a = np.asarray(a)
    return a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize]).tolist()


class HandComputedBCE(unittest.TestCase):
    def test_loss_values(self):
        r = ev("bce", "float64", "none", [0.5, 0.25, 0.75, 0.5], [1.0, 1.0, 0.0, 0.5])
        np.testing.assert_array_equal(r["loss"], [LOG2, math.log(4), math.log(4), LOG2])

    def test_clamp(self):
        for dtype in ("float16", "float32", "float64"):
            r = ev("bce", dtype, "none", [0.0, 0.0, 1.0, 1.0, 0.0], [1.0, 0.5, 0.0, 0.25, 0.0])
            self.assertEqual(r["loss"].tolist(), [100.0, 50.0, 100.0, 75.0, 0.0], dtype)
            self.assertEqual(r["loss"].dtype, np.dtype(dtype))

    def test_clamp_threshold_float32(self):
        # float32's smallest subnormal has log = -103.28: clamped; exp(-100) lies between two subnormals
        r = ev("bce", "float32", "none", [np.float32(1e-45), np.float32(27 * 2.0 ** -149)], [1.0, 1.0])
        self.assertEqual(float(r["loss"][0]), 100.0)
        self.assertEqual(float(r["loss"][1]), float(np.float32(-math.log(27 * 2.0 ** -149))))

    def test_reductions(self):
        x, y = [0.25, 0.75], [1.0, 0.0]
        self.assertEqual(float(ev("bce", "float64", "sum", x, y)["loss"]), 2 * math.log(4))
        self.assertEqual(float(ev("bce", "float64", "mean", x, y)["loss"]), math.log(4))
        self.assertEqual(ev("bce", "float64", "mean", x, y)["loss"].shape, ())

    def test_empty(self):
        e = np.zeros((0,))
        self.assertTrue(np.isnan(ev("bce", "float32", "mean", e, e)["loss"]))
        self.assertEqual(bits(ev("bce", "float32", "sum", e, e)["loss"]), 0)
        self.assertEqual(ev("bce", "float32", "none", e, e)["loss"].shape, (0,))
        self.assertEqual(ev("bce", "float32", "mean", e, e)["grad_input"].shape, (0,))

    def test_weight_broadcast(self):
        r = ev("bce", "float64", "none", [[0.5, 0.5], [0.5, 0.5]], [[1.0, 0.0], [1.0, 0.0]], weight=[2.0, -1.0])
        np.testing.assert_array_equal(r["loss"], [[2 * LOG2, -LOG2], [2 * LOG2, -LOG2]])
        self.assertEqual(float(ev("bce", "float64", "mean", [0.5, 0.5], [1.0, 0.0], weight=[0.0, 1.0])["loss"]), LOG2 / 2)

    def test_gradients(self):
        r = ev("bce", "float64", "none", [0.25], [1.0])
        self.assertEqual(float(r["grad_input"][0]), -4.0)  # (0.25 - 1) / (0.75 * 0.25)
        self.assertAlmostEqual(float(r["grad_target"][0]), math.log(3), places=15)  # -(log .25 - log .75)
        r = ev("bce", "float64", "mean", [0.25, 0.5], [1.0, 0.5], grad_output=2.0)
        self.assertEqual(r["grad_input"].tolist(), [-4.0, 0.0])  # 2 * -4 / 2
        r = ev("bce", "float64", "none", [0.25], [1.0], weight=[3.0], grad_output=[0.5])
        self.assertEqual(float(r["grad_input"][0]), -6.0)

    def test_epsilon_float16_is_zero(self):
        r = ev("bce", "float16", "none", [0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 0.0, 1.0])
        gi = r["grad_input"]
        self.assertEqual(gi[0], -np.inf)
        self.assertTrue(np.isnan(gi[1]))  # (0 - 0) / max(0, 0) = 0 / 0
        self.assertEqual(gi[2], np.inf)
        self.assertTrue(np.isnan(gi[3]))
        r32 = ev("bce", "float32", "none", [0.0, 0.0], [1.0, 0.0])
        self.assertEqual(float(r32["grad_input"][0]), float(np.float32(-1 / np.float32(1e-12))))
        self.assertEqual(float(r32["grad_input"][1]), 0.0)

    def test_grad_target_unclamped(self):
        r = ev("bce", "float32", "none", [0.0, 1.0, 0.5], [0.5, 0.5, 0.5])
        self.assertEqual(r["grad_target"].tolist()[:2], [np.inf, -np.inf])
        self.assertEqual(float(r["grad_target"][2]), 0.0)

    def test_grad_target_near_half_no_cancellation(self):
        x = np.nextafter(0.5, 1.0)  # logit(x) = 2 atanh(2^-52) = 2^-51 + 2^-156 / 3: rounds to 2^-51
        r = ev("bce", "float64", "none", [x], [0.0])
        self.assertEqual(float(r["grad_target"][0]), -2.0 ** -51)


class HandComputedLogits(unittest.TestCase):
    def test_loss_values(self):
        r = ev("bce_with_logits", "float64", "none", [0.0, 0.0, 100.0, -100.0, 2.0], [0.0, 1.0, 0.0, 1.0, 0.5])
        self.assertEqual(r["loss"].tolist()[:4], [LOG2, LOG2, 100.0, 100.0])
        self.assertAlmostEqual(float(r["loss"][4]), 0.5 * (2 + math.log1p(math.exp(-2))) + 0.5 * math.log1p(math.exp(-2)), places=15)

    def test_pos_weight(self):
        r = ev("bce_with_logits", "float64", "none", [0.0, 0.0], [0.5, 1.0], pos_weight=[3.0])
        self.assertEqual(r["loss"].tolist(), [2 * LOG2, 3 * LOG2])
        r = ev("bce_with_logits", "float64", "none", [0.0], [1.0], pos_weight=[0.0])
        self.assertEqual(float(r["loss"][0]), 0.0)

    def test_gradients(self):
        r = ev("bce_with_logits", "float64", "none", [0.0, 3.0], [0.0, 1.0])
        self.assertEqual(float(r["grad_input"][0]), 0.5)
        self.assertEqual(float(r["grad_target"][1]), -3.0)
        self.assertAlmostEqual(float(r["grad_input"][1]), -1 / (1 + math.exp(3)), places=16)
        r = ev("bce_with_logits", "float64", "none", [0.0], [1.0], pos_weight=[2.0])
        self.assertEqual(float(r["grad_input"][0]), -1.0)  # (2 + 1 - 1) * 0.5 - 2
        self.assertEqual(float(r["grad_target"][0]), LOG2)  # logsig(0) - 2 logsig(0) = log 2

    def test_tiny_logit_gradients_keep_x(self):
        tiny = 5e-324
        r = ev("bce_with_logits", "float64", "none", [tiny], [1.0], pos_weight=[1.0])
        self.assertEqual(float(r["grad_target"][0]), -tiny)  # softplus(-x) - softplus(x) = -x
        r = ev("bce_with_logits", "float64", "none", [30.0], [1.0])
        self.assertEqual(float(r["grad_input"][0]), -1 / (1 + math.exp(30)))  # sigmoid(30) - 1, no cancellation

    def test_non_finite_logits_follow_ieee_formula(self):
        inf, nan = np.inf, np.nan
        r = ev("bce_with_logits", "float32", "none", [inf, inf, inf, -inf, -inf, -inf, nan],
               [0.5, 1.0, 1.5, 0.5, 1.0, 1.5, 0.5])
        loss = r["loss"].tolist()
        self.assertEqual(loss[0], inf)
        self.assertTrue(math.isnan(loss[1]))  # 0 * inf
        self.assertEqual(loss[2], -inf)
        self.assertTrue(math.isnan(loss[3]))  # -inf + inf
        self.assertTrue(math.isnan(loss[4]))
        self.assertEqual(loss[5], inf)  # (1 - 1.5) * -inf - (-inf) = inf + inf
        self.assertTrue(math.isnan(loss[6]))
        self.assertEqual(r["grad_input"].tolist()[:4], [0.5, 0.0, -0.5, -0.5])
        self.assertEqual(r["grad_target"].tolist()[:4], [-inf, -inf, -inf, inf])

    def test_negative_pos_weight_no_cancellation(self):
        # y = 0 is softplus(x) whatever p is; PyTorch's literal x - logsigmoid(x) gives 0 at x = -40
        # even in longdouble. log1p(e^-40) = 4.248354255291589e-18 (mpmath).
        sp = 4.248354255291589e-18
        for dtype in ("float32", "float64"):
            for p in (-2.0, -0.5):
                for red in ("none", "sum", "mean"):
                    r = ev("bce_with_logits", dtype, red, [-40.0], [0.0], pos_weight=[p])
                    self.assertEqual(float(r["loss"].ravel()[0]), float(np.dtype(dtype).type(sp)), (dtype, p, red))
            # y = 1: p * softplus(-x)
            r = ev("bce_with_logits", dtype, "none", [40.0], [1.0], pos_weight=[-2.0])
            self.assertEqual(float(r["loss"][0]), float(np.dtype(dtype).type(-2 * sp)))

    def test_target_outside_unit_interval_no_cancellation(self):
        # y = -2^-70, x = -40: (1 + 2^-70) softplus(-40) - 2^-70 softplus(40) = 4.214472937401417e-18
        # (mpmath, 300 bits); PyTorch's form rounds (1 - y) * x to -40 and gives softplus(-40).
        r = ev("bce_with_logits", "float64", "none", [-40.0], [-2.0 ** -70])
        self.assertEqual(float(r["loss"][0]), 4.214472937401417e-18)

    def test_non_finite_target_or_pos_weight_follow_ieee_formula(self):
        inf = np.inf
        # y = inf, x = 2, p = 1/2: (1 - inf) * 2 - logsigmoid(2) * (-inf) = -inf (decomposed: -inf + inf)
        r = ev("bce_with_logits", "float64", "none", [2.0], [inf], pos_weight=[0.5])
        self.assertEqual(float(r["loss"][0]), -inf)
        # y = inf, p = 1: t = inf, (t + 1 - y) * sigmoid(x) - t = NaN in PyTorch's d/dx
        r = ev("bce_with_logits", "float64", "none", [2.0], [inf], pos_weight=[1.0])
        self.assertTrue(math.isnan(float(r["grad_input"][0])))
        # p = inf, x = 3: d/dy = logsigmoid(-3) - inf * logsigmoid(3) = +inf
        r = ev("bce_with_logits", "float64", "none", [3.0], [0.5], pos_weight=[inf])
        self.assertEqual(float(r["grad_target"][0]), inf)

    def test_large_logits_exact(self):
        r = ev("bce_with_logits", "float32", "none", [1e30, -1e30, 3.4028234663852886e38], [0.0, 1.0, 0.5])
        self.assertEqual(r["loss"].tolist(), [np.float32(1e30), np.float32(1e30), np.float32(3.4028234663852886e38 / 2)])


class Errors(unittest.TestCase):
    def kind(self, *a, **kw):
        with self.assertRaises(BCEReferenceError) as cm:
            ev(*a, **kw)
        return cm.exception.kind

    def test_kinds(self):
        self.assertEqual(self.kind("bce", "float32", "mean", [0.5], [0.5, 0.5]), "shape_mismatch")
        self.assertEqual(self.kind("bce", "float32", "mean", [0.5, 0.5], [[0.5, 0.5]]), "shape_mismatch")
        self.assertEqual(self.kind("bce", "float32", "mean", [0.5, 1.5], [0.5, 0.5]), "input_out_of_range")
        self.assertEqual(self.kind("bce", "float32", "mean", [0.5, np.nan], [0.5, 0.5]), "input_out_of_range")
        self.assertEqual(self.kind("bce", "float32", "mean", [0.5, 0.5], [-0.1, 0.5]), "target_out_of_range")
        self.assertEqual(self.kind("bce", "float32", "mean", [0.5, 0.5], [0.5, np.nan]), "target_out_of_range")
        self.assertEqual(self.kind("bce", "float32", "none", [0.5, 0.5], [0.5, 0.5], weight=np.ones((3, 2))), "not_broadcastable")
        self.assertEqual(self.kind("bce", "float32", "none", [0.5, 0.5], [0.5, 0.5], weight=np.ones((2, 2))), "not_broadcastable")
        self.assertEqual(self.kind("bce_with_logits", "float32", "none", np.zeros((2, 3, 4, 4)), np.zeros((2, 3, 4, 4)),
                                   pos_weight=[1.0, 2.0, 3.0]), "not_broadcastable")
        self.assertEqual(self.kind("bce", "float32", "mean", [0.5], [0.5], grad_output=[1.0, 1.0]), "not_broadcastable")
        self.assertEqual(self.kind("bce", "float32", "none", [0.5, 0.5], [0.5, 0.5], grad_output=[1.0]), "not_broadcastable")

    def test_no_range_check_for_logits(self):
        r = ev("bce_with_logits", "float32", "none", [5.0, -5.0], [2.0, -1.0])
        self.assertTrue(np.all(np.isfinite(r["loss"])))

    def test_order(self):
        # shape before everything; weight before pos_weight before grad_output before ranges
        self.assertEqual(self.kind("bce", "float32", "none", [2.0], [2.0, 2.0], weight=np.ones(5)), "shape_mismatch")
        self.assertEqual(self.kind("bce", "float32", "none", [2.0], [2.0], weight=np.ones(5)), "not_broadcastable")
        self.assertEqual(self.kind("bce", "float32", "none", [2.0], [2.0], grad_output=[1.0, 1.0]), "not_broadcastable")
        # ranges: ascending flat index, input before target at the same index
        self.assertEqual(self.kind("bce", "float32", "none", [0.5, 2.0], [2.0, 0.5]), "target_out_of_range")
        self.assertEqual(self.kind("bce", "float32", "none", [2.0, 0.5], [2.0, 0.5]), "input_out_of_range")

    def test_grad_output_one_element_shapes(self):
        for g in (1.0, [1.0], [[1.0]]):
            ev("bce", "float32", "mean", [0.5], [0.5], grad_output=g)

    def test_misuse_is_value_error(self):
        with self.assertRaises(ValueError):
            ev("bce", "float32", "mean", [0.5], [0.5], pos_weight=[1.0])
        with self.assertRaises(ValueError):
            ev("bce", "float8", "mean", [0.5], [0.5])
        with self.assertRaises(ValueError):
            BCEReferenceError("no_such_kind", "x")


class Rounding(unittest.TestCase):
    def test_ties_to_even(self):
        vals = [1 + LD(2) ** -11, 1 + 3 * LD(2) ** -11, LD(2) ** -25, 3 * LD(2) ** -25]
        self.assertEqual(round_to_dtype(np.array(vals), "float16").tolist(), [1.0, 1 + 2 ** -9, 0.0, 2 ** -23])

    def test_no_double_rounding(self):
        # 1 + 2^-11 + 2^-60 rounds up in float16, but through float64 it becomes the tie 1 + 2^-11 -> 1.0
        v = 1 + LD(2) ** -11 + LD(2) ** -60
        self.assertEqual(float(np.float16(np.float64(v))), 1.0)
        self.assertEqual(float(round_to_dtype(np.array([v]), "float16")[0]), 1 + 2 ** -10)
        w = 1 + LD(2) ** -24 + LD(2) ** -60  # the same for float32
        self.assertEqual(float(round_to_dtype(np.array([w]), "float32")[0]), 1 + 2 ** -23)
        s = LD(2) ** -25 + LD(2) ** -70  # float16 subnormal: just above half the smallest
        self.assertEqual(float(round_to_dtype(np.array([s]), "float16")[0]), 2 ** -24)

    def test_overflow_and_specials(self):
        r = round_to_dtype(np.array([65519.99, 65520, -1e6, np.inf, np.nan, -0.0], dtype=LD), "float16")
        self.assertEqual(r.tolist()[:4], [65504.0, np.inf, -np.inf, np.inf])
        self.assertTrue(np.isnan(r[4]))
        self.assertEqual(bits(r[5:]), [0x8000])
        big = np.array([np.finfo(np.float64).max], dtype=LD) * (1 + LD(2) ** -55)  # below half an ULP
        self.assertEqual(round_to_dtype(big, "float64")[0], np.finfo(np.float64).max)

    def test_ties_reported(self):
        _, ties = round_to_dtype(np.array([1 + LD(2) ** -11, 1.25], dtype=LD), "float16", return_ties=True)
        self.assertEqual(ties.tolist(), [True, False])

    def test_exact_rounding_of_rationals(self):
        self.assertEqual(ref._round_rational(1, 3, "float64"), 1 / 3)
        self.assertEqual(ref._round_rational(-1, 3, "float32"), float(np.float32(-1 / 3)))
        self.assertEqual(ref._round_rational(2 ** 11 + 1, 2 ** 11, "float16"), 1.0)  # tie -> even
        self.assertEqual(ref._round_rational(10 ** 400, 1, "float64"), math.inf)
        self.assertEqual(ref._round_rational(1, 2 ** 1080, "float64"), 0.0)

    def test_exact_sum(self):
        terms = np.array([LD(1e20), LD(1), LD(-1e20), LD(2) ** -70], dtype=LD)
        num, den = ref._exact_sum(terms)
        self.assertEqual(num / den, 1 + 2 ** -70)
        from fractions import Fraction
        self.assertEqual(Fraction(num, den), 1 + Fraction(1, 2 ** 70))


def bf16(values):
    return round_to_dtype(np.array(values, dtype=LD), "bfloat16").tolist()


class BFloat16Rounding(unittest.TestCase):
    """bfloat16 = the upper half of a float32 (p = 8, float32's exponents); uint16 bits in and out."""

    def test_returns_uint16_bits(self):
        r = round_to_dtype(np.array([1.0, -2.0, 0.5], dtype=LD), "bfloat16")
        self.assertEqual(r.dtype, np.uint16)
        self.assertEqual(r.tolist(), [0x3F80, 0xC000, 0x3F00])

    def test_ties_to_even(self):
        # 1 + 2^-8 lies halfway between 1 (3f80, even) and 1 + 2^-7 (3f81); 1 + 3 * 2^-8 between 3f81 and 3f82 (even)
        self.assertEqual(bf16([1 + LD(2) ** -8, 1 + 3 * LD(2) ** -8, -(1 + LD(2) ** -8)]), [0x3F80, 0x3F82, 0xBF80])

    def test_no_double_rounding_through_float32(self):
        # 1 + 2^-8 + 2^-30 is above the tie: 3f81. Through float32 it would become the tie 1 + 2^-8, then 3f80.
        self.assertEqual(bf16([1 + LD(2) ** -8 + LD(2) ** -30]), [0x3F81])

    def test_overflow(self):
        top = LD(ref.max_finite("bfloat16"))  # 7f7f = (2 - 2^-7) * 2^127
        half_ulp = LD(2) ** 119
        self.assertEqual(float(top), float.fromhex("0x1.fe0000p+127"))
        self.assertEqual(bf16([top, top + half_ulp - LD(2) ** 100, top + half_ulp, -(top + half_ulp), LD(1e39)]),
                         [0x7F7F, 0x7F7F, 0x7F80, 0xFF80, 0x7F80])

    def test_nan_is_quiet_7fc0_and_infinities_kept(self):
        self.assertEqual(bf16([np.nan, -np.nan, np.inf, -np.inf]), [0x7FC0, 0x7FC0, 0x7F80, 0xFF80])

    def test_subnormals(self):
        tiny = LD(2) ** -133  # the smallest bfloat16 subnormal (0001)
        self.assertEqual(bf16([tiny, tiny / 2, 3 * tiny / 2, LD(2) ** -126 - tiny, -tiny, -tiny / 4, 0.75 * tiny]),
                         [0x0001, 0x0000, 0x0002, 0x007F, 0x8001, 0x8000, 0x0001])

    def test_epsilon_is_1e_12_rounded_not_zero(self):
        self.assertEqual(ref.epsilon("bfloat16"), float.fromhex("0x1.1a0000p-40"))  # 2b8d
        self.assertEqual(ref.epsilon("float16"), 0.0)
        self.assertEqual(ref.epsilon("float32"), float(np.float32(1e-12)))

    def test_epsilon_is_pytorchs_float_constant_in_float64(self):
        # Loss.cpp: constexpr float EPSILON = 1e-12, widened: torch 2.15 float64, x = 1e-20, y = 0 gives
        # d/dx = 1e-20 / 9.999999960041972e-13 = 1.0000000039958028e-08 (not 1e-08)
        self.assertEqual(ref.epsilon("float64"), 9.999999960041972e-13)
        r = ev("bce", "float64", "none", [1e-20], [0.0])
        self.assertEqual(float(r["grad_input"][0]), 1.0000000039958028e-08)

    def test_values_and_storage_round_trip(self):
        bits = np.array([0x3F80, 0x0001, 0xFF80, 0x7FC0, 0x8000], dtype=np.uint16)
        values = ref.values_of(bits, "bfloat16")
        self.assertEqual(values.dtype, np.float32)
        self.assertEqual(values[:3].tolist(), [1.0, 2.0 ** -133, -np.inf])
        self.assertTrue(np.isnan(values[3]))
        self.assertEqual(ref.storage_of(values, "bfloat16").tolist(), bits.tolist())

    def test_evaluate_takes_bits_or_floats_and_returns_bits(self):
        from_bits = evaluate("bce", "bfloat16", "none", np.array([0x3F00, 0x3E80], dtype=np.uint16),
                             np.array([0x3F80, 0x0000], dtype=np.uint16))
        from_floats = ev("bce", "bfloat16", "none", [0.5, 0.25], [1.0, 0.0])
        for key in ("loss", "grad_input", "grad_target", "grad_input_scale", "grad_target_scale"):
            self.assertEqual(from_bits[key].dtype, np.uint16, key)
            self.assertEqual(from_bits[key].tolist(), from_floats[key].tolist(), key)
        # log 2 = 0.693147 -> 3f31 (0.69140625); -log(0.75) = 0.287682 -> 3e93 (0.287109375)
        self.assertEqual(from_bits["loss"].tolist(), [0x3F31, 0x3E93])
        self.assertEqual(from_bits["grad_input"].tolist(), [0xC000, 0x3FAB])  # -2, 4/3 -> 1.3359375

    def test_evaluate_rounds_float_arguments_to_bfloat16_first(self):
        # 0.3 -> 3e9a (0.30078125): the loss is that of 0.30078125, not of 0.3
        a = ev("bce", "bfloat16", "none", [0.3], [1.0])["loss"].tolist()
        b = ev("bce", "bfloat16", "none", [0.30078125], [1.0])["loss"].tolist()
        self.assertEqual(a, b)

    def test_gradient_at_zero_uses_bfloat16_epsilon(self):
        r = ev("bce", "bfloat16", "none", [0.0], [1.0])
        expected = bf16([-1 / LD(ref.epsilon("bfloat16"))])  # -9.98e11, finite (float16 gives -inf)
        self.assertEqual(r["grad_input"].tolist(), expected)
        self.assertEqual(r["loss"].tolist(), [0x42C8])  # the clamp: 100

    def test_reductions_in_bfloat16(self):
        r = ev("bce_with_logits", "bfloat16", "mean", [0.0] * 3, [1.0] * 3)
        self.assertEqual(r["loss"].shape, ())
        self.assertEqual(r["loss"].tolist(), bf16([LD(LOG2)])[0])
        self.assertEqual(ev("bce", "bfloat16", "mean", np.zeros(0), np.zeros(0))["loss"].tolist(), 0x7FC0)


class ModuleHygiene(unittest.TestCase):
    def test_import_has_no_side_effects(self):
        code = "import sys; sys.path.insert(0, %r); import bce_reference" % SCRIPTS
        out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True)
        self.assertEqual(out.stdout + out.stderr, "")

    def test_longdouble_required(self):
        self.assertGreaterEqual(np.finfo(np.longdouble).nmant, 63)

    def test_inputs_cast_to_dtype_first(self):
        r = evaluate("bce", "float16", "none", np.array([0.1]), np.array([1.0]))
        self.assertEqual(r["loss"].dtype, np.float16)
        x16 = np.float16(0.1)
        self.assertEqual(float(r["loss"][0]), float(np.float16(-math.log(float(x16)))))


if __name__ == "__main__":
    unittest.main()
