"""scripts/ports/port_loop.py: protocol negotiation and declared capabilities (docs/CONTRACTS.md 5.1).

The framework adapters (jax_port.py, keras_port.py, tinygrad_port.py) declare what they lack through
it, so a version-2 runner gets their capabilities and a version-1 runner gets the version-1 message
and "skipped" answers for the cases outside them.
"""

import io
import json
import os
import sys
import unittest
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "ports"))

import port_loop  # noqa: E402

CAPS = {"losses": ["bce_with_logits"], "dtypes": ["float32"], "reductions": ["none", "sum"],
        "outputs": ["loss", "grad_input"], "arguments": ["pos_weight"], "errors": [], "notes": "test"}
IMPL = {"name": "Test", "language": "python", "version": "1"}


def case(loss="bce_with_logits", dtype="float32", reduction="none", **inputs):
    return {"id": "c", "loss": loss, "dtype": dtype, "reduction": reduction, "inputs": {"input": {}, **inputs}}


def converse(lines, capabilities=CAPS, run_case=lambda c: {"loss": "L"}):
    stdin, out = sys.stdin, io.StringIO()
    sys.stdin = io.StringIO("".join(json.dumps(m) + "\n" for m in lines))
    try:
        with redirect_stdout(out):
            status = port_loop.serve("test", dict(IMPL), run_case, capabilities=capabilities)
    finally:
        sys.stdin = stdin
    return status, [json.loads(line) for line in out.getvalue().splitlines()]


class Negotiation(unittest.TestCase):
    def test_a_version_2_runner_gets_the_capabilities_and_no_losses_in_implementation(self):
        _, (started,) = converse([{"type": "start", "protocol_version": 2, "accepts": [1, 2]}, {"type": "stop"}])
        self.assertEqual(started["protocol_version"], 2)
        self.assertEqual(started["capabilities"], CAPS)
        self.assertEqual(started["implementation"], IMPL)

    def test_a_version_1_runner_gets_losses_and_dtypes_inside_implementation_and_no_capabilities(self):
        _, (started,) = converse([{"type": "start", "protocol_version": 1}, {"type": "stop"}])
        self.assertEqual(started, {"type": "started", "protocol_version": 1, "implementation": {
            **IMPL, "losses": ["bce_with_logits"], "dtypes": ["float32"]}})

    def test_a_version_1_port_s_losses_in_implementation_become_version_2_capabilities(self):
        stdin, out = sys.stdin, io.StringIO()
        sys.stdin = io.StringIO(json.dumps({"type": "start", "protocol_version": 2, "accepts": [1, 2]}) + "\n")
        try:
            with redirect_stdout(out):
                port_loop.serve("t", {**IMPL, "losses": ["bce"], "dtypes": ["float16"]}, None)
        finally:
            sys.stdin = stdin
        started = json.loads(out.getvalue())
        self.assertEqual(started["capabilities"], {"losses": ["bce"], "dtypes": ["float16"]})
        self.assertNotIn("losses", started["implementation"])

    def test_an_unknown_capability_name_or_value_is_refused_before_anything_is_sent(self):
        with self.assertRaisesRegex(ValueError, "unknown capability 'gradients'"):
            converse([], capabilities={"gradients": []})
        with self.assertRaisesRegex(ValueError, r"capability errors: unknown value\(s\) \['nan_input'\]"):
            converse([], capabilities={"errors": ["nan_input"]})
        with self.assertRaisesRegex(ValueError, 'outputs must include "loss"'):
            converse([], capabilities={"outputs": ["grad_input"]})


class NotCovered(unittest.TestCase):
    def test_each_undeclared_part_of_a_case_is_named(self):
        self.assertEqual(port_loop.not_covered(case(loss="bce"), CAPS), "no loss bce")
        self.assertEqual(port_loop.not_covered(case(dtype="float64"), CAPS), "no dtype float64")
        self.assertEqual(port_loop.not_covered(case(reduction="mean"), CAPS), "no reduction mean")
        self.assertEqual(port_loop.not_covered(case(weight={"dtype": "float32"}), CAPS), "no weight")
        self.assertIsNone(port_loop.not_covered(case(pos_weight={"dtype": "float32"}), CAPS))
        self.assertIsNone(port_loop.not_covered(case(weight=None), CAPS))

    def test_absent_capabilities_cover_everything(self):
        self.assertIsNone(port_loop.not_covered(case(loss="bce", dtype="bfloat16", reduction="mean",
                                                     weight={}, pos_weight={}), {}))

    def test_a_version_1_runner_s_undeclared_case_is_answered_skipped_with_the_reason_and_never_run(self):
        ran = []
        _, replies = converse([{"type": "start", "protocol_version": 1},
                               {"type": "run", "case": case(reduction="mean")},
                               {"type": "run", "case": case()}, {"type": "stop"}],
                              run_case=lambda c: ran.append(c["id"]) or {"loss": "L"})
        self.assertEqual(replies[1], {"type": "result", "id": "c", "skipped": "no reduction mean"})
        self.assertEqual(replies[2], {"type": "result", "id": "c", "outputs": {"loss": "L"}})
        self.assertEqual(ran, ["c"])

    def test_a_port_error_is_answered_with_its_kind(self):
        def refuse(c):
            raise port_loop.PortError("shape_mismatch", "no")
        status, replies = converse([{"type": "start", "protocol_version": 2}, {"type": "run", "case": case()},
                                    {"type": "stop"}], run_case=refuse)
        self.assertEqual(status, 0)
        self.assertEqual(replies[1], {"type": "result", "id": "c", "error": "shape_mismatch", "message": "no"})


if __name__ == "__main__":
    unittest.main()
