#!/bin/sh
# A "python" without torch for `bench --torch` tests: what `python -I bench_torch.py` does when
# `import torch` fails.
echo "ModuleNotFoundError: No module named 'torch'" >&2
exit 1
