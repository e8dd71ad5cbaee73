"""scripts/matrix_report.py: the tables of docs/MATRIX.md from real JSON reports.

The fixtures in fixtures/matrix/ are the reports of one small run of each adapter (6 golden cases,
protocol version 2 runner), made with:
    BIN=.build/release/bce-conformance; C=~/.cache/swift-bce
    IDS=(--id 'bce/float32/none/p0' --id 'bce/float32/none/error-input-below-0'
         --id 'bce_with_logits/float32/none/pos-weight-ones' --id 'bce_with_logits/float32/none/logit-pm-inf'
         --id 'bce/float32/none/shape-0?')
    $BIN run --port "$TORCH_VENV/bin/python -I scripts/ports/torch_port.py" --format json "${IDS[@]}" > torch.json
    (the same with keras_port.py, jax_port.py, tinygrad_port.py in their venvs of scripts/matrix.sh)
"""

import io
import json
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import matrix_report as mr  # noqa: E402

FIXTURES = os.path.join(HERE, "fixtures", "matrix")


def fixture(name):
    return os.path.join(FIXTURES, name + ".json")


def impls(*names):
    return {i.name: i for i in mr.read_reports([fixture(n) for n in names])}


def row(markdown, name):
    """The summary table's row of `name`, as its cells."""
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| ") and cells[0] == name and len(cells) == 8:
            return cells
    raise AssertionError(f"no row for {name} in:\n{markdown}")


def deviations(markdown, name):
    """{sentence: (count, example)} of `name`'s deviation table."""
    section = markdown.split(f"### {name}\n", 1)[1].split("\n### ", 1)[0]
    table = {}
    for line in section.splitlines()[2:]:
        if line.startswith("| ") and not line.startswith("|---"):
            sentence, count, example = [c.strip() for c in line.strip("|").split(" | ")]
            table[sentence] = (int(count), example)
    return table


class SummaryTable(unittest.TestCase):
    def setUp(self):
        self.md = mr.render(list(impls("torch", "keras", "jax", "tinygrad").values()))

    def test_pytorch_passes_every_case_it_was_given(self):
        name, version, cases, passed, failed, not_covered, verdict, protocol = row(self.md, "PyTorch")
        self.assertTrue(version.startswith("torch 2.15.0"), version)
        self.assertEqual((cases, passed, failed, not_covered, verdict, protocol), ("6", "6", "0", "0", "CONFORMANT", "2"))
        self.assertIn("No failed case.", self.md.split("### PyTorch\n", 1)[1].split("###", 1)[0])

    def test_keras_fails_its_clip_and_its_limit_and_has_no_pos_weight_nor_range_check_to_compare(self):
        self.assertEqual(row(self.md, "Keras")[2:], ["6", "1", "2", "3", "NOT CONFORMANT", "2"])
        self.assertIn("| Keras | no pos_weight | 2 |", self.md)
        self.assertIn("| Keras | no argument validation: input_out_of_range | 1 |", self.md)

    def test_jax_and_tinygrad_rows(self):
        self.assertEqual(row(self.md, "JAX/optax")[2:], ["6", "0", "1", "5", "NOT CONFORMANT", "2"])
        self.assertIn("| JAX/optax | no loss bce | 3 |", self.md)
        self.assertEqual(row(self.md, "tinygrad")[2:], ["6", "1", "4", "1", "NOT CONFORMANT", "2"])
        self.assertIn("| tinygrad | no argument validation: input_out_of_range | 1 |", self.md)

    def test_declared_capabilities_come_from_the_started_message(self):
        self.assertIn("| JAX/optax | bce_with_logits | float16, bfloat16, float32, float64 | none, mean, sum | "
                      "loss, grad_input, grad_target | none | none |", self.md)


class Deviations(unittest.TestCase):
    def setUp(self):
        self.md = mr.render(list(impls("torch", "keras", "jax", "tinygrad").values()))

    def test_keras_clip_is_explained_with_the_issue_s_example(self):
        table = deviations(self.md, "Keras")
        clip = next(v for k, v in table.items() if k.startswith("Keras clips the probability to [1e-7, 1 - 1e-7]"))
        self.assertEqual(clip, (1, "`bce/float32/none/p0` loss[1]: expected 100, got 16.118"))

    def test_the_limit_at_minus_infinity_is_explained_for_jax(self):
        table = deviations(self.md, "JAX/optax")
        inf = next(v for k, v in table.items() if k.startswith("optax and Keras compute -y log σ(x)"))
        self.assertEqual(inf, (1, "`bce_with_logits/float32/none/logit-pm-inf` loss[6]: expected nan, got inf"))

    def test_tinygrad_s_missing_clamp_and_0d_gradients(self):
        table = deviations(self.md, "tinygrad")
        self.assertEqual(next(v for k, v in table.items() if k.startswith("tinygrad's binary_crossentropy is")),
                         (1, "`bce/float32/none/p0` loss[0]: expected 0, got nan"))
        self.assertEqual(next(v for k, v in table.items() if k.startswith("tinygrad makes a 0-d tensor a constant")),
                         (1, "`bce/float32/none/shape-0d`: grad_input is missing"))

    def test_a_failure_no_signature_matches_is_listed_as_not_explained_never_folded_into_another(self):
        saved = mr.DEVIATIONS
        mr.DEVIATIONS = [e for e in saved if e["key"] != "keras-clip"]
        try:
            md = mr.render(list(impls("keras").values()))
        finally:
            mr.DEVIATIONS = saved
        unexplained = next(v for k, v in deviations(md, "Keras").items() if k.startswith("Not explained yet"))
        self.assertEqual(unexplained, (1, "`bce/float32/none/p0` loss[1]: expected 100, got 16.118"))


class Values(unittest.TestCase):
    def test_golden_tensors_decode_bit_for_bit_in_every_dtype(self):
        self.assertEqual(mr.decode({"dtype": "bfloat16", "hex": "3f80c0407fc0"})[:2], [1.0, -3.0])
        self.assertEqual(mr.decode({"dtype": "float16", "hex": "3c000001"}), [1.0, 2.0 ** -24])
        self.assertEqual(mr.decode({"dtype": "float32", "hex": "3f800000"}), [1.0])
        self.assertEqual(mr.decode({"dtype": "float64", "hex": "3ff0000000000001"}), [1.0 + 2.0 ** -52])

    def test_examples_print_enough_digits_to_tell_expected_from_actual(self):
        self.assertEqual(mr.digits_apart(0.3975433024172042, 0.3975433111190796), 8)
        self.assertEqual(mr.fmt("nan"), "nan")
        self.assertEqual(mr.fmt(100.0), "100")


class CommandLine(unittest.TestCase):
    def run_main(self, *argv):
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            status = mr.main(list(argv))
        return status, out.getvalue(), err.getvalue()

    def test_expect_clean_passes_for_pytorch_and_fails_for_an_implementation_with_failures(self):
        self.assertEqual(self.run_main("--expect-clean", "PyTorch", fixture("torch"), fixture("keras"))[0], 0)
        status, _, err = self.run_main("--expect-clean", "Keras", fixture("torch"), fixture("keras"))
        self.assertEqual(status, 1)
        self.assertIn("Keras has 2 failed cases", err)

    def test_out_writes_the_file_and_an_unreadable_report_exits_2(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "docs", "MATRIX.md")
            self.assertEqual(self.run_main("--out", out, fixture("torch"))[0], 0)
            with open(out, encoding="utf-8") as f:
                self.assertIn("| PyTorch | torch 2.15.0", f.read())
            self.assertEqual(os.listdir(os.path.dirname(out)), ["MATRIX.md"])
            bad = os.path.join(tmp, "bad.json")
            with open(bad, "w", encoding="utf-8") as f:
                f.write("{not json")
            status, _, err = self.run_main(bad)
            self.assertEqual(status, 2)
            self.assertIn("cannot read the reports", err)

    def test_shard_reports_of_one_implementation_are_merged(self):
        with open(fixture("torch"), encoding="utf-8") as f:
            report = json.load(f)
        with tempfile.TemporaryDirectory() as tmp:
            halves = []
            for k, cases in enumerate((report["cases"][:2], report["cases"][2:])):
                halves.append(os.path.join(tmp, f"{k}.json"))
                with open(halves[-1], "w", encoding="utf-8") as f:
                    json.dump({**report, "cases": cases}, f)
            (merged,) = mr.read_reports(halves)
        self.assertEqual((merged.total, merged.passed), (6, 6))


if __name__ == "__main__":
    unittest.main()
