"""Self-checks of scripts/pytorch_cpu.py (the emulation of PyTorch's CPU arithmetic).

Every expected bit pattern below was computed by torch 2.15.0 (CPU) itself, with
F.binary_cross_entropy / F.binary_cross_entropy_with_logits and loss.backward(grad_output), input
and target requiring grad; they are literals here so that the tests need no torch (NumPy 1.24,
Debian's Python). scripts/check_pytorch_emulation.py repeats the comparison on 200,000 elements
per configuration against the installed torch.

Run from the repo root: /usr/bin/python3 -I -m unittest discover -s scripts/tests
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402

import bce_reference as ref  # noqa: E402
from bce_reference import BCEReferenceError  # noqa: E402
from pytorch_cpu import pytorch_cpu  # noqa: E402


def bits(a):
    a = np.asarray(a)
    return [int(v) for v in a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize]).ravel()]


def half(hexes):
    """float16 values from their bits."""
    return np.array(hexes, dtype=np.uint16).view(np.float16)


def bf16(values):
    return np.array(values, dtype=np.float64)  # rounded to bfloat16 by pytorch_cpu itself


class Float16FromTorch(unittest.TestCase):
    def test_bce_rounds_every_operation_of_the_lambda(self):
        # issue 11's bce/float16/none/weight-none loss[0]: x = 0.8682 (3af2), y = 0.3679 (35e3).
        # Exact: 1.3330078125 (3d55); torch 2.15: 1.3310546875 (3d53).
        r = pytorch_cpu("bce", "float16", "none", half([0x3AF2]), half([0x35E3]))
        self.assertEqual(bits(r["loss"]), [0x3D53])
        self.assertEqual(bits(r["grad_input"]), [0x445E])
        self.assertEqual(bits(r["grad_target"]), [0xBF8A])
        exact = ref.evaluate("bce", "float16", "none", half([0x3AF2]), half([0x35E3]))
        self.assertEqual(bits(exact["loss"]), [0x3D55])  # the two differ: this is what `acceptable` is for

    def test_logits_formula_cancels_to_zero(self):
        # (1 - y) * x - logsigmoid(x) at x = -8.5, y = 0: torch 2.15 gives 0 (exact 2.03e-4)
        r = pytorch_cpu("bce_with_logits", "float16", "none", np.array([-8.5, 10.0, -10.0]), np.array([0.0, 1.0, 0.0]))
        self.assertEqual(bits(r["loss"]), [0x0000, 0x02FA, 0x0000])
        self.assertEqual(bits(r["grad_input"]), [0x0AAA, 0x0000, 0x02FA])
        self.assertEqual(bits(r["grad_target"]), [0x4840, 0xC900, 0x4900])

    def test_non_finite_logits(self):
        r = pytorch_cpu("bce_with_logits", "float16", "none", np.array([np.inf, -np.inf, np.nan]), np.full(3, 0.5))
        self.assertEqual(bits(r["loss"])[0], 0x7C00)
        self.assertTrue(np.isnan(r["loss"][1:]).all())  # torch: fe00 and 7e00
        self.assertEqual(bits(r["grad_input"])[:2], [0x3800, 0xB800])
        self.assertTrue(np.isnan(r["grad_input"][2]))
        self.assertEqual(bits(r["grad_target"])[:2], [0xFC00, 0x7C00])

    def test_mean_sums_in_float_then_divides_once(self):
        # torch 2.15: 39cc. Rounding the sum to float16 first and then dividing would give 39cd.
        x = np.array([0.87109375, 0.27490234375, 0.56201171875, 0.39990234375, 0.61279296875,
                      0.197021484375, 0.1800537109375])
        r = pytorch_cpu("bce", "float16", "mean", x, np.zeros(7))
        self.assertEqual(bits(r["loss"]), [0x39CC])

    def test_mean_gradient_divides_by_numel_as_float(self):
        # 70,000 elements: numel is not a float16 (its largest finite value is 65504); torch divides in
        # float: grad_input -4 / 70000 -> 83bf, grad_target log(3) / 70000 -> 0107; the mean loss 3d8c
        n = 70000
        r = pytorch_cpu("bce", "float16", "mean", np.full(n, 0.25), np.ones(n))
        self.assertEqual(bits(r["loss"]), [0x3D8C])
        self.assertEqual(set(bits(r["grad_input"])), {0x83BF})
        self.assertEqual(set(bits(r["grad_target"])), {0x0107})

    def test_sum_overflows_float16_after_accumulating_in_float(self):
        r = pytorch_cpu("bce", "float16", "sum", np.full(70000, 0.25), np.ones(70000))
        self.assertEqual(bits(r["loss"]), [0x7C00])  # 97,040 (in float) -> inf in float16

    def test_small_reductions(self):
        self.assertEqual(bits(pytorch_cpu("bce", "float16", "mean", np.array([0.1, 0.2, 0.7]), np.zeros(3))["loss"]), [0x3817])
        self.assertEqual(bits(pytorch_cpu("bce", "float16", "sum", np.array([0.1, 0.2, 0.7]), np.zeros(3))["loss"]), [0x3E22])
        self.assertEqual(bits(pytorch_cpu("bce", "float16", "mean", np.full(7, 0.3), np.zeros(7))["loss"]), [0x35B5])
        self.assertEqual(bits(pytorch_cpu("bce", "float16", "sum", np.full(7, 0.3), np.zeros(7))["loss"]), [0x40FE])


class BFloat16FromTorch(unittest.TestCase):
    def test_bce_elementwise_with_clamp_and_epsilon(self):
        r = pytorch_cpu("bce", "bfloat16", "none", bf16([0.3, 0.0, 1.0, 0.75]), bf16([0.7, 1.0, 0.0, 0.25]))
        self.assertEqual(r["loss"].dtype, np.uint16)
        self.assertEqual(bits(r["loss"]), [0x3F72, 0x42C8, 0x42C8, 0x3F8E])
        # at x = 0 and 1: -1 / EPSILON with EPSILON = bfloat16(1e-12) (not 0, unlike float16): d368, 5368
        self.assertEqual(bits(r["grad_input"]), [0xBFF3, 0xD368, 0x5368, 0x402B])
        self.assertEqual(bits(r["grad_target"]), [0x3F58, 0x7F80, 0xFF80, 0xBF8D])

    def test_bce_weight_and_mean(self):
        r = pytorch_cpu("bce", "bfloat16", "mean", bf16([0.3, 0.6, 0.9]), bf16([1.0, 0.0, 0.5]), weight=bf16([0.7, 1.3, 2.0]))
        self.assertEqual(bits(r["loss"]), [0x3FBD])
        self.assertEqual(bits(r["grad_input"]), [0xBF47, 0x3F8B, 0x403B])
        self.assertEqual(bits(r["grad_target"]), [0x3E49, 0xBE35, 0xBFBB])

    def test_logits_pos_weight(self):
        r = pytorch_cpu("bce_with_logits", "bfloat16", "none", bf16([-3.0, 0.5, 20.0]), bf16([0.25, 1.0, 0.0]),
                        pos_weight=bf16([3.0]))
        self.assertEqual(bits(r["loss"]), [0x4014, 0x3FB6, 0x41A0])
        self.assertEqual(bits(r["grad_input"]), [0xBF2E, 0xBF92, 0x3F80])
        self.assertEqual(bits(r["grad_target"]), [0x4111, 0x3EE6, 0xC1A0])

    def test_logits_pos_weight_sum_with_grad_output(self):
        r = pytorch_cpu("bce_with_logits", "bfloat16", "sum", bf16([-2.5, 0.75, 30.0]), bf16([1.0, 0.25, 0.0]),
                        pos_weight=bf16([0.5, 2.0, 4.0]), grad_output=bf16(1.5))
        self.assertEqual(bits(r["loss"]), [0x4201])
        self.assertEqual(bits(r["grad_input"]), [0xBF32, 0x3F07, 0x3FC0])
        self.assertEqual(bits(r["grad_target"]), [0x3FE8, 0xBF0D, 0xC234])

    def test_takes_bfloat16_bits(self):
        as_bits = pytorch_cpu("bce", "bfloat16", "none", np.array([0x3E9A], dtype=np.uint16), np.array([0x3F33], dtype=np.uint16))
        as_floats = pytorch_cpu("bce", "bfloat16", "none", bf16([0.3]), bf16([0.7]))  # 0.3 -> 3e9a, 0.7 -> 3f33
        self.assertEqual(bits(as_bits["loss"]), bits(as_floats["loss"]))
        self.assertEqual(bits(as_bits["loss"]), [0x3F72])


class WiderDtypesFromTorch(unittest.TestCase):
    def test_float64_epsilon_is_the_float_constant(self):
        r = pytorch_cpu("bce", "float64", "none", np.array([0.0, 1e-20]), np.array([1.0, 0.0]))
        self.assertEqual(bits(r["loss"]), [0x4059000000000000, 0x3BC79CA10C924223])
        self.assertEqual(bits(r["grad_input"]), [0xC26D1A94A3F379B1, 0x3E45798EE3A11874])
        self.assertEqual(bits(r["grad_target"]), [0x7FF0000000000000, 0x4047069E2AA2AA5B])

    def test_float32_logits_cancel_at_minus_40(self):
        # exact 4.25e-18; torch 2.15 float32: 0 ((1 - 0) * -40 - logsigmoid(-40) = -40 + 40)
        r = pytorch_cpu("bce_with_logits", "float32", "none", np.array([-40.0]), np.array([0.0]))
        self.assertEqual(bits(r["loss"]), [0])


class ArgumentRules(unittest.TestCase):
    """The same rules, errors and order as bce_reference.evaluate (one implementation)."""

    def test_errors_as_evaluate(self):
        cases = [(("bce", "float16", "none", np.zeros(2), np.zeros(3)), "shape_mismatch"),
                 (("bce", "float32", "none", np.array([1.5]), np.array([0.0])), "input_out_of_range"),
                 (("bce", "bfloat16", "none", np.array([0.5]), np.array([-1.0])), "target_out_of_range"),
                 (("bce_with_logits", "float64", "none", np.zeros((2, 3)), np.zeros((2, 3)), np.zeros(2)), "not_broadcastable")]
        for args, kind in cases:
            with self.assertRaises(BCEReferenceError) as cm:
                pytorch_cpu(*args)
            self.assertEqual(cm.exception.kind, kind, args)

    def test_misuse_is_value_error(self):
        with self.assertRaises(ValueError):
            pytorch_cpu("bce", "float32", "none", np.zeros(1), np.zeros(1), pos_weight=np.ones(1))
        with self.assertRaises(ValueError):
            pytorch_cpu("bce", "int8", "none", np.zeros(1), np.zeros(1))

    def test_shapes_and_dtypes(self):
        for dtype in ref.DTYPES:
            r = pytorch_cpu("bce_with_logits", dtype, "mean", np.zeros((2, 3)), np.ones((2, 3)), weight=np.ones(3),
                            pos_weight=np.ones((1, 3)))
            self.assertEqual(r["loss"].shape, ())
            self.assertEqual(r["grad_input"].shape, (2, 3))
            self.assertEqual(r["grad_target"].shape, (2, 3))
            self.assertEqual(r["loss"].dtype, ref.DTYPES[dtype].storage, dtype)

    def test_empty_mean_is_nan(self):
        for dtype in ref.DTYPES:
            r = pytorch_cpu("bce", dtype, "mean", np.zeros(0), np.zeros(0))
            self.assertTrue(np.isnan(ref.values_of(r["loss"], dtype)), dtype)
            self.assertEqual(r["grad_input"].shape, (0,))


if __name__ == "__main__":
    unittest.main()
