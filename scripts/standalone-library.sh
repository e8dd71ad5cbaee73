#!/bin/bash
# Compiles the loss library outside SwiftPM, optimized (-O -wmo), for the standalone checks that
# link a small program against it (scripts/alloc-check.sh, scripts/parallel-probe.sh): no release
# build of the whole package. Usage: scripts/standalone-library.sh OUT [swiftc flags for the
# BinaryCrossEntropy module, e.g. -enable-testing]
# Writes into OUT: bce.o shared.o RealModule.o kernels.o shims.o and the modules; a program then
# compiles with `-I OUT -I OUT/kern -I OUT/shims` and links those five objects.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$1"; shift
# swift-numerics' sources: from any scratch directory that has them (scripts/package.sh resolves
# into .build-static), else resolved now.
N=""
for scratch in .build .build-static; do
    if [ -d "$ROOT/$scratch/checkouts/swift-numerics/Sources" ]; then N="$ROOT/$scratch/checkouts/swift-numerics/Sources"; break; fi
done
if [ -z "$N" ]; then
    (cd "$ROOT" && swift package resolve >/dev/null)
    N="$ROOT/.build/checkouts/swift-numerics/Sources"
fi
mkdir -p "$OUT/kern" "$OUT/shims"
cd "$OUT"
cp "$ROOT/Sources/BCESIMDKernels/include/BCESIMDKernels.h" kern/
printf 'module BCESIMDKernels { header "BCESIMDKernels.h" export * }\n' > kern/module.modulemap
cp -R "$N/_NumericsShims/include/." shims/
echo "compiling the library (about a minute)"
clang -O2 -c "$N/_NumericsShims/_NumericsShims.c" -I shims -o shims.o
clang -O2 -c "$ROOT/Sources/BCESIMDKernels/Kernels.c" -I "$ROOT/Sources/BCESIMDKernels/include" -o kernels.o
swiftc -O -wmo -parse-as-library -module-name RealModule -emit-module -emit-module-path RealModule.swiftmodule \
    -c "$N"/RealModule/*.swift -I shims -o RealModule.o
swiftc -O -wmo -parse-as-library -module-name SwiftBCEShared -emit-module -emit-module-path SwiftBCEShared.swiftmodule \
    -c "$ROOT"/Sources/SwiftBCEShared/*.swift -o shared.o
swiftc -O -wmo -parse-as-library -module-name BinaryCrossEntropy -package-name swift_bce "$@" -emit-module \
    -emit-module-path BinaryCrossEntropy.swiftmodule -c "$ROOT"/Sources/BinaryCrossEntropy/*.swift \
    -I . -I kern -I shims -o bce.o
