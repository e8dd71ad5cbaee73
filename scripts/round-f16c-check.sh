#!/usr/bin/env bash
# Kernels.c's round_f16c (Float16 stores at the AVX2 and AVX-512 levels: round to odd as a Float,
# then VCVTPS2PH) against round_binary16 (the baseline's rounding on the bits), on N doubles
# (default 20 million): random bit patterns, near Float16 ties, near Float values, normal and
# subnormal ranges, overflow, infinities, NaN. Exit 1 on any difference. Needs an x86-64 CPU with
# F16C.
#
#   scripts/round-f16c-check.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
CLANG="$(command -v clang || echo /opt/swift/usr/bin/clang)"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
"$CLANG" -O2 -mavx2 -mfma -mf16c -DKERNELS="\"$PWD/Sources/BCESIMDKernels/Kernels.c\"" \
    -ISources/BCESIMDKernels/include scripts/round_f16c_check.c -o "$OUT/check" -lm
"$OUT/check" "${1:-20000000}"
