#!/usr/bin/env bash
# The Double BCEWithLogitsLoss d/dinput kernel with soft targets (double-double lanes) against
# binary128 (libquadmath's expq): 1e6 logits uniform in [-10, 10], targets uniform in [0, 1],
# grad_output 0.75 over n. Prints the kernel's single-thread throughput over the elements it keeps
# (resuming after each group it hands back), how many groups hand lanes back and how many elements
# those are (they take the scalar formulas, Float80; see DD_GRADIENT_CANCELLATION in
# Sources/BCESIMDKernels/Kernels.c) and the worst error of the rest in ULP of the exact value.
#
#   scripts/dd-soft-gradients.sh        (needs clang and libquadmath.so.0: Debian's libquadmath0)
set -euo pipefail
cd "$(dirname "$0")/.."
CLANG="$(command -v clang || echo /opt/swift/usr/bin/clang)"
QUADMATH="$(ls /usr/lib/*/libquadmath.so.0 2>/dev/null | head -1)"
[ -n "$QUADMATH" ] || { echo "dd-soft-gradients: libquadmath.so.0 not found (apt-get install libquadmath0)" >&2; exit 2; }
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
"$CLANG" -O2 -DKERNELS="\"$PWD/Sources/BCESIMDKernels/Kernels.c\"" -ISources/BCESIMDKernels/include \
    scripts/dd_soft_gradients.c -o "$OUT/check" "$QUADMATH" -lm
"$OUT/check"
