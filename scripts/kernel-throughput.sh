#!/usr/bin/env bash
# Single-thread throughput of the BCEWithLogitsLoss kernels (forward, d/dinput), a git revision's
# Kernels.c against the working tree's, built alike and run alternately (ROUNDS times each) in one
# run:
#
#   scripts/kernel-throughput.sh [REVISION] [ROUNDS]     (default: HEAD~1, 3)
#   LEVEL=1 scripts/kernel-throughput.sh ...             (a lower instruction set: 0 baseline, 1 AVX2)
#
# Each line: dtype, targets (hard: 0 or 1; soft: uniform in [0, 1]), what (mean: the lane sums;
# none: each term stored; grad: d/dinput alone, a scalar grad_output over n; gnone: d/dinput alone, a
# grad_output per element over 1, as `.none` backwards; float64 d/dinput skips the groups it hands to the
# scalar path, about 1.7% of soft lanes), the best of 30 calls
# over 1,000,000 elements (logits in [-8, 8]) at the machine's instruction set.
set -euo pipefail
cd "$(dirname "$0")/.."
REV="${1:-HEAD~1}"
ROUNDS="${2:-3}"
CLANG="$(command -v clang || echo /opt/swift/usr/bin/clang)"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
git show "$REV:Sources/BCESIMDKernels/Kernels.c" > "$OUT/before.c"
git show "$REV:Sources/BCESIMDKernels/include/BCESIMDKernels.h" > "$OUT/BCESIMDKernels.h"
for side in before after; do
    src="$OUT/before.c"; inc="$OUT"
    [ "$side" = after ] && { src="$PWD/Sources/BCESIMDKernels/Kernels.c"; inc="$PWD/Sources/BCESIMDKernels/include"; }
    echo "kernel-throughput: building $side ($([ "$side" = before ] && echo "$REV" || echo "working tree"))"
    "$CLANG" -O2 -DKERNELS="\"$src\"" -I"$inc" scripts/kernel_throughput.c -o "$OUT/$side" -lm
done
for round in $(seq 1 "$ROUNDS"); do
    for side in before after; do
        echo "== round $round, $side"
        "$OUT/$side" 1000000 30 ${LEVEL:+"$LEVEL"}
    done
done
