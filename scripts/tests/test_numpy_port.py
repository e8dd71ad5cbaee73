"""Runs the example port (scripts/ports/numpy_port.py) over every golden case with a minimal driver.

The driver speaks the port protocol (docs/CONTRACTS.md section 5) and compares with the default
tolerance policy (section 3). It checks the port, the protocol as documented, and, since the
port shares no code with bce_reference, the golden data itself.
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

import numpy as np  # noqa: E402

TYPES = {"float16": np.float16, "float32": np.float32, "float64": np.float64}


def decode(t):
    dt = np.dtype(TYPES[t["dtype"]]).newbyteorder(">")
    return np.frombuffer(bytes.fromhex(t["hex"]), dtype=dt).astype(TYPES[t["dtype"]]).reshape(t["shape"])


def compare(actual, expected, tol):
    """None if `actual` matches `expected` under the default policy, else a description."""
    if list(actual.shape) != list(expected.shape):
        return f"shape {list(actual.shape)} != {list(expected.shape)}"
    a, e = actual.astype(np.float64).ravel(), expected.astype(np.float64).ravel()
    for i, (av, ev) in enumerate(zip(a, e)):
        if np.isnan(ev):
            ok = np.isnan(av)
        elif np.isinf(ev):
            ok = av == ev
        else:
            ok = np.isfinite(av) and abs(av - ev) <= tol["atol"] + tol["rtol"] * abs(ev)
        if not ok:
            return f"[{i}] {av!r} vs expected {ev!r}"
    return None


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
        try:
            hello = ask({"type": "start", "protocol_version": 1})
            self.assertEqual(hello["type"], "started")
            self.assertEqual(hello["protocol_version"], 1)
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
                            why = compare(decode(res["outputs"][field]), decode(case["expected"][field]), tol)
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
        self.assertEqual(failures, [], f"{len(failures)} of {total} cases differ:\n" + "\n".join(failures[:40]))


if __name__ == "__main__":
    unittest.main()
