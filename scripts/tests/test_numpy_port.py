"""Runs the example port (scripts/ports/numpy_port.py) over every golden case with a minimal driver.

The driver speaks the port protocol (docs/CONTRACTS.md section 5) and gives the default-mode
verdict of section 0: an element passes when it matches the exact value or the same element of an
`acceptable` alternative (the rule is golden_gen.acceptance.matches). It checks the port, the
protocol as documented, and, since the port shares no code with bce_reference, the golden data
itself. It also reports how many elements only the alternative accepts (the port is not PyTorch,
so few should).
"""

import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GOLDEN = os.path.join(REPO, "golden")
PORT = os.path.join(REPO, "scripts", "ports", "numpy_port.py")

sys.path.insert(0, os.path.join(REPO, "scripts"))

import numpy as np  # noqa: E402

from golden_gen.acceptance import matches  # noqa: E402
from golden_gen.tensors import decode_tensor as decode  # noqa: E402


def compare(actual, case, field, tol):
    """(None or a description of the first failing element, elements accepted only by an alternative)."""
    expected = decode(case["expected"][field])
    if list(actual.shape) != list(expected.shape):
        return f"shape {list(actual.shape)} != {list(expected.shape)}", 0
    signed = "signed-zero" in case["flags"]
    exact = matches(actual, expected, tol, signed)
    ok = exact.copy()
    for alt in case.get("acceptable", []):
        if field in alt["outputs"]:
            ok |= matches(actual, decode(alt["outputs"][field]), tol, signed)
    if not ok.all():
        i = int(np.flatnonzero(~ok.ravel())[0])
        return f"[{i}] {float(actual.ravel()[i])!r} vs expected {float(expected.ravel()[i])!r}", 0
    return None, int(np.count_nonzero(ok & ~exact))


class NumpyPort(unittest.TestCase):
    def test_port_passes_default_tolerances(self):
        with open(os.path.join(GOLDEN, "MANIFEST.json")) as fh:
            manifest = json.load(fh)
        proc = subprocess.Popen([sys.executable, "-I", PORT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, bufsize=1)

        def ask(msg):
            proc.stdin.write(json.dumps(msg) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            self.assertTrue(line.endswith("\n"), proc.stderr.read() if proc.poll() is not None else "no reply")
            return json.loads(line)

        failures = []
        total = 0
        only_alternative = 0
        try:
            hello = ask({"type": "start", "protocol_version": 2, "accepts": [1, 2]})
            self.assertEqual(hello["type"], "started")
            self.assertEqual(hello["protocol_version"], 2)
            self.assertEqual(hello["capabilities"]["arguments"], ["weight", "pos_weight"])
            for entry in manifest["files"]:
                with open(os.path.join(GOLDEN, entry["path"])) as fh:
                    cases = json.load(fh)["cases"]
                for case in cases:
                    total += 1
                    sent = {k: case[k] for k in ("id", "loss", "dtype", "reduction", "inputs")}
                    res = ask({"type": "run", "case": sent})
                    self.assertEqual((res["type"], res["id"]), ("result", case["id"]))
                    if "expected_error" in case:
                        if res.get("error") != case["expected_error"]:
                            failures.append(f"{case['id']}: error {res.get('error')!r}, expected {case['expected_error']}")
                        continue
                    if "outputs" not in res:
                        failures.append(f"{case['id']}: {res}")
                        continue
                    tol = case.get("tolerance", manifest["default_tolerance"][case["dtype"]])
                    for field in ("loss", "grad_input", "grad_target"):
                        if field in case["expected"]:
                            why, alt_only = compare(decode(res["outputs"][field]), case, field, tol)
                            only_alternative += alt_only
                            if why:
                                failures.append(f"{case['id']} {field}{why}")
            proc.stdin.write(json.dumps({"type": "stop"}) + "\n")
            proc.stdin.flush()
            self.assertEqual(proc.wait(timeout=60), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                stream.close()
        self.assertGreater(total, 1000)
        print(f"numpy_port: {total} cases, {len(failures)} failing, {only_alternative} elements accepted only"
              " by a pytorch-cpu alternative", file=sys.stderr)
        self.assertEqual(failures, [], f"{len(failures)} of {total} cases differ:\n" + "\n".join(failures[:40]))


if __name__ == "__main__":
    unittest.main()
