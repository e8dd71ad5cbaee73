#!/bin/bash
# Heap allocations of buffer-API calls in an optimized build (issue 14's "allocates nothing"
# goal): compiles the library's sources with -O -wmo into a small program (no SwiftPM release
# build of the whole package) with the test-support malloc counter, and prints the calls that
# allocate. Usage: scripts/alloc-check.sh   (needs the swift-numerics checkout in .build/checkouts)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
N="$ROOT/.build/checkouts/swift-numerics/Sources"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
cd "$OUT"
mkdir -p kern count
cp "$ROOT/Sources/BCESIMDKernels/include/BCESIMDKernels.h" kern/
printf 'module BCESIMDKernels { header "BCESIMDKernels.h" export * }\n' > kern/module.modulemap
cp "$ROOT/Tests/AllocationCounting/include/AllocationCounting.h" count/
printf 'module AllocationCounting { header "AllocationCounting.h" export * }\n' > count/module.modulemap
echo "compiling (a few minutes)"
clang -O2 -c "$N/_NumericsShims/_NumericsShims.c" -I "$N/_NumericsShims/include" -o shims.o
clang -O2 -c "$ROOT/Sources/BCESIMDKernels/Kernels.c" -I "$ROOT/Sources/BCESIMDKernels/include" -o kernels.o
clang -O2 -c "$ROOT/Tests/AllocationCounting/AllocationCounting.c" -I count -o count.o
swiftc -O -wmo -parse-as-library -module-name RealModule -emit-module -emit-module-path RealModule.swiftmodule \
    -c "$N"/RealModule/*.swift -I "$N/_NumericsShims/include" -o RealModule.o
swiftc -O -wmo -parse-as-library -module-name BinaryCrossEntropy -emit-module \
    -emit-module-path BinaryCrossEntropy.swiftmodule -c "$ROOT"/Sources/BinaryCrossEntropy/*.swift \
    -I . -I kern -I "$N/_NumericsShims/include" -o bce.o
swiftc -O "$ROOT/scripts/alloc-check-main.swift" -I . -I kern -I count -I "$N/_NumericsShims/include" \
    bce.o RealModule.o kernels.o shims.o count.o -o alloc-check
echo "running"
./alloc-check
