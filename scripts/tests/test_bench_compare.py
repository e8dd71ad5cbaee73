"""scripts/bench_compare.py --groups: README's pass counts per loss, dtype and n."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import bench_compare  # noqa: E402


def row(loss, dtype, n, numpy, torch, reduction="mean"):
    return {"loss": loss, "dtype": dtype, "n": n, "reduction": reduction,
            "bars": {"numpy": numpy, "torch": torch, "weight": "-", "bandwidth": "-"}}


class GroupTableTests(unittest.TestCase):
    def test_counts_each_runs_passes_per_group_in_loss_dtype_n_order(self):
        before = {1: row("bce", "float32", 10000, "FAIL", "PASS"), 2: row("bce", "float32", 10000, "FAIL", "FAIL", "none")}
        after = {1: row("bce", "float32", 10000, "PASS", "PASS"), 2: row("bce", "float32", 10000, "FAIL", "PASS", "none"),
                 3: row("bce_with_logits", "float16", 1000000, "PASS", "FAIL"),
                 4: row("bce", "float16", 10000, "PASS", "PASS")}
        lines = bench_compare.group_table(before, after)
        self.assertEqual(lines[2:], [
            "| BCELoss | float16 | 1e4 | 0 → 1 of 1 | 0 → 1 of 1 |",
            "| BCELoss | float32 | 1e4 | 0 → 1 of 2 | 1 → 2 of 2 |",
            "| BCEWithLogitsLoss | float16 | 1e6 | 0 → 1 of 1 | 0 → 0 of 1 |",
        ])


if __name__ == "__main__":
    unittest.main()
