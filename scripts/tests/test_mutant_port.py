"""The mutant ports (scripts/ports/mutants/mutant_port.py): their rounding, and one bug each.

The kill matrix (scripts/kill-matrix.sh) is what shows the suite kills them; this checks the
ports themselves: bfloat16 rounding as docs/CONTRACTS.md section 0 defines it, and that every
mutant changes the base in exactly one place and says what and where from.
"""

import inspect
import os
import sys
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "ports", "mutants"))

import mutant_port as mp  # noqa: E402


def bf16_hex(value):
    return mp.to_bits(np.array([value], dtype=mp.W), "bfloat16").hex()


class BFloat16Rounding(unittest.TestCase):
    def test_one_is_3f80_and_nan_is_the_canonical_quiet_nan(self):
        self.assertEqual(bf16_hex(1.0), "3f80")
        self.assertEqual(bf16_hex(-2.0), "c000")
        self.assertEqual(bf16_hex(float("nan")), "7fc0")
        self.assertEqual(bf16_hex(float("-inf")), "ff80")

    def test_ties_round_to_even(self):
        # 1 + 2^-8 lies halfway between 1 (3f80, even) and 1 + 2^-7 (3f81): to 3f80;
        # 1 + 3 * 2^-8 halfway between 3f81 and 3f82 (even): to 3f82
        self.assertEqual(bf16_hex(1 + 2.0 ** -8), "3f80")
        self.assertEqual(bf16_hex(1 + 3 * 2.0 ** -8), "3f82")
        self.assertEqual(bf16_hex(1 + 2.0 ** -8 + 2.0 ** -20), "3f81")

    def test_beyond_the_largest_finite_rounds_to_infinity(self):
        self.assertEqual(bf16_hex(3.3895313892515355e38), "7f7f")  # bfloat16's largest finite
        self.assertEqual(bf16_hex(3.4e38), "7f80")
        self.assertEqual(bf16_hex(1e300), "7f80")

    def test_scalar_rounding_of_the_naive_sum_agrees_with_the_vector_one(self):
        rnd = mp.scalar_rounding("bfloat16")
        for v in (1.0, 1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8, 0.1, 1e-40, 3.4e38, 1e300, -7.7e-3):
            with self.subTest(v=v):
                self.assertEqual(bf16_hex(rnd(v)), bf16_hex(v))

    def test_decode_reads_bfloat16_bits_as_the_upper_half_of_float32(self):
        x = mp.decode({"dtype": "bfloat16", "shape": [3], "hex": "3f80c0407fc0"})
        self.assertEqual(x[0], 1.0)
        self.assertEqual(x[1], -3.0)
        self.assertTrue(np.isnan(x[2]))


class OneBugEach(unittest.TestCase):
    def test_every_mutant_overrides_exactly_one_method_of_the_base(self):
        own_methods = {name for name, _ in inspect.getmembers(mp.Base, inspect.isfunction)}
        helpers = {"clip", "leading", "tiny"}  # private helpers of one mutant, not Base methods
        for name, (cls, dtypes, description, source) in mp.MUTANTS.items():
            if name == "base":
                continue
            with self.subTest(mutant=name):
                self.assertTrue(issubclass(cls, mp.Base))
                overridden = {m for m in vars(cls) if callable(vars(cls)[m]) and not m.startswith("__")} - helpers
                self.assertTrue(overridden <= own_methods, overridden - own_methods)
                # one bug may need the same change in two places of one formula (loss and its
                # gradients, or a check and the broadcast it guards), never two unrelated ones
                self.assertLessEqual(len(overridden), 3, overridden)
                self.assertGreaterEqual(len(overridden), 1)
                self.assertTrue(dtypes and set(dtypes) <= set(mp.DTYPES))
                self.assertTrue(description and source and source != "-")

    def test_at_least_twenty_mutants(self):
        self.assertGreaterEqual(len(mp.MUTANTS) - 1, 20)


if __name__ == "__main__":
    unittest.main()
