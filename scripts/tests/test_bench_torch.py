"""Self-checks of scripts/bench_torch.py (PyTorch CPU as the bench's second baseline) that need no
torch: the worker's wait for its own threads to go idle after a timed sample.

Why it exists (measured 2026-12-02, scripts/bench_torch.py's worker at 2 threads, float16
forward+gradients at 1e6 elements): after its last call, PyTorch's OpenMP threads keep spinning
for 5-11 ms of CPU time. The bench samples the sides in turn, 20 ms each, and the Swift library's
sample comes right after PyTorch's, so it ran with one of the two cores taken: 20-35% slower
than the same row with --no-torch (204 against 161 M/s). The worker now waits, outside the timed
region, until the process uses no CPU over a poll interval, before it replies.

torch is replaced by a stub module here (Debian's Python has none); the functions under test do
not touch it.

Run from the repo root: /usr/bin/python3 -I -m unittest discover -s scripts/tests
"""

import os
import sys
import types
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

if "torch" not in sys.modules:   # a stub with the attributes bench_torch reads at import
    torch = types.ModuleType("torch")
    for name in ("float16", "bfloat16", "float32", "float64"):
        setattr(torch, name, name)
    torch.nn = types.ModuleType("torch.nn")
    torch.nn.functional = types.ModuleType("torch.nn.functional")
    sys.modules.update({"torch": torch, "torch.nn": torch.nn, "torch.nn.functional": torch.nn.functional})

import bench_torch  # noqa: E402


class FakeProcess:
    """A process whose threads spin (use CPU at the rate of one core) for `spin` seconds of wall
    time after the timed calls, then stop; `sleep` advances the wall clock."""

    def __init__(self, spin):
        self.spin, self.wall = spin, 0.0

    def cpu(self):
        return min(self.wall, self.spin)

    def sleep(self, seconds):
        self.wall += seconds


class Settle(unittest.TestCase):
    def test_waits_until_the_spinning_threads_stop(self):
        process = FakeProcess(spin=0.011)
        waited = bench_torch.settle(cpu_seconds=process.cpu, sleep=process.sleep, poll=0.002, limit=0.5)
        # Polls of 2 ms: busy through 0.012 s (the spin ends at 0.011), the next poll is quiet.
        self.assertAlmostEqual(waited, 0.014, places=9)

    def test_an_idle_process_waits_one_poll(self):
        process = FakeProcess(spin=0.0)
        waited = bench_torch.settle(cpu_seconds=process.cpu, sleep=process.sleep, poll=0.002, limit=0.5)
        self.assertAlmostEqual(waited, 0.002, places=9)

    def test_a_process_that_never_idles_waits_the_limit_and_no_longer(self):
        process = FakeProcess(spin=float("inf"))
        waited = bench_torch.settle(cpu_seconds=process.cpu, sleep=process.sleep, poll=0.002, limit=0.1)
        self.assertAlmostEqual(waited, 0.1, places=9)
        self.assertAlmostEqual(process.wall, 0.1, places=9)

    def test_the_reply_reports_the_wait_outside_the_timed_seconds(self):
        # time_calls times the calls only; the reply carries the wait as "settled".
        calls = []
        original = bench_torch.call
        bench_torch.call = lambda loss, reduction, gradients: calls.append((loss, reduction, gradients))
        try:
            process = FakeProcess(spin=0.005)
            message = bench_torch.timed_reply(
                {"loss": "bce", "reduction": "mean", "pass": "forward+gradients", "calls": 3},
                cpu_seconds=process.cpu, sleep=process.sleep)
        finally:
            bench_torch.call = original
        self.assertEqual(calls, [("bce", "mean", True)] * 3)
        self.assertTrue(message["ok"])
        self.assertGreater(message["seconds"], 0)
        self.assertAlmostEqual(message["settled"], 0.008, places=9)


if __name__ == "__main__":
    unittest.main()
