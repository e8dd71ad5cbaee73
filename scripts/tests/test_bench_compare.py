"""scripts/bench_compare.py --groups (README's pass counts per loss, dtype and n) and --ratios."""
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


def timed(reduction, n, swift, torch=None):
    return {"reduction": reduction, "n": n, "swift": swift, "torch": torch}


class RatioTableTests(unittest.TestCase):
    def test_averages_repeated_runs_then_gives_median_least_greatest_per_group(self):
        before = [{1: timed("mean", 10000, 100), 2: timed("mean", 10000, 200), 3: timed("none", 10000, 100)},
                  {1: timed("mean", 10000, 300), 2: timed("mean", 10000, 200), 3: timed("none", 10000, 100)}]
        after = [{1: timed("mean", 10000, 300), 2: timed("mean", 10000, 300), 3: timed("none", 10000, 110)},
                 {1: timed("mean", 10000, 500), 2: timed("mean", 10000, 300), 3: timed("none", 10000, 90)}]
        lines = bench_compare.ratio_table(before, after, "swift", ["reduction", "n"])
        # mean rows: 400/200 = 2.00 and 300/200 = 1.50; none: 100/100.
        self.assertEqual(lines[2:], ["| mean | 1e4 | 2 | 1.75 | 1.50 | 2.00 |", "| none | 1e4 | 1 | 1.00 | 1.00 | 1.00 |"])

    def test_leaves_out_rows_without_a_value_or_missing_from_a_run(self):
        before = [{1: timed("mean", 10000, 100, torch=None), 2: timed("mean", 10000, 100, torch=50)}]
        after = [{1: timed("mean", 10000, 100, torch=80), 2: timed("mean", 10000, 100, torch=100), 3: timed("mean", 10000, 1, torch=9)}]
        self.assertEqual(bench_compare.ratio_table(before, after, "torch", ["n"])[2:], ["| 1e4 | 1 | 2.00 | 2.00 | 2.00 |"])


if __name__ == "__main__":
    unittest.main()
