"""How much CPU PyTorch's threads burn after a call: the reason scripts/bench_torch.py settles.

    <torch venv>/bin/python -I scripts/torch_spin.py [--threads 2] [--n 1000000] [--rounds 10]

Each round: float16 BCEWithLogitsLoss forward+gradients (mean) on (n / 50, 50) inputs for about
20 ms (the bench's default sample), then the process's CPU time (all threads) over the next 50 ms
of sleep, and how long bench_torch.settle waits. Prints min / median / max over the rounds.
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_torch  # noqa: E402
import torch  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x = (torch.rand(args.n // 50, 50) * 20 - 10).to(torch.float16)
    y = torch.rand(args.n // 50, 50).to(torch.float16)
    bench_torch.state.update(x=x, y=y, w=None, pw=None, leaf=x.clone().requires_grad_(True), ones=torch.ones_like(x))
    after, settled = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        while time.perf_counter() - start < 0.02:
            bench_torch.call("bce_with_logits", "mean", True)
        before = time.process_time()
        time.sleep(0.05)
        after.append((time.process_time() - before) * 1e3)
        bench_torch.call("bce_with_logits", "mean", True)
        settled.append(bench_torch.settle() * 1e3)
    def summary(values):
        return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f} ms"
    print(f"torch {torch.__version__}, {args.threads} threads, n = {args.n}, {args.rounds} rounds")
    print(f"CPU time of the process in the 50 ms after its last call: {summary(after)}")
    print(f"bench_torch.settle waited: {summary(settled)}")


if __name__ == "__main__":
    main()
