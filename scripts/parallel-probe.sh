#!/bin/bash
# Measures the loss passes' first-block rule (BCEThreads.parallelWorkMinimumNanoseconds: a small
# pass wakes the workers only if timing its first block says the rest is worth it) against always
# waking them and against one thread: scripts/parallel-probe-main.swift, in one process, samples
# of each mode in rotating order (a VM's drift hits all three alike). Sizes 5e3-2e4 (the rule
# covers passes of up to 16 blocks; 2e4 is past it). Usage: scripts/parallel-probe.sh  (PROBE_ROUNDS=15)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
scripts/standalone-library.sh "$OUT"
cd "$OUT"
swiftc -O -package-name swift_bce "$ROOT/scripts/parallel-probe-main.swift" -I . -I kern -I shims \
    bce.o shared.o RealModule.o kernels.o shims.o -o parallel-probe
echo "running ($(nproc) processors; each line takes a few seconds)"
./parallel-probe
