#!/bin/bash
# The buffer API allocates nothing per call (issue 14; docs/CONTRACTS.md section 1a), checked in an
# optimized build: compiles the library's sources with -O -wmo into a small program
# (scripts/alloc-check-main.swift, no SwiftPM release build of the whole package) with the
# test-support malloc counter (Tests/AllocationCounting), calls every buffer-API entry point after
# a warm-up and counts the calling thread's heap allocations. Exits 1 if any call allocates.
# scripts/test.sh runs it. A debug build allocates (unspecialized generic code), so this is not an
# XCTest/swift-testing case: the claim is about optimized code, and this is where it is checked.
# Usage: scripts/alloc-check.sh   (ALLOC_CHECK_ONLY=<substring> runs only the matching calls)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# swift-numerics' sources: from any scratch directory that has them (scripts/package.sh resolves
# into .build-static), else resolved now.
N=""
for scratch in .build .build-static; do
    if [ -d "$ROOT/$scratch/checkouts/swift-numerics/Sources" ]; then N="$ROOT/$scratch/checkouts/swift-numerics/Sources"; break; fi
done
if [ -z "$N" ]; then
    swift package resolve >/dev/null
    N="$ROOT/.build/checkouts/swift-numerics/Sources"
fi
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
cd "$OUT"
mkdir -p kern count
cp "$ROOT/Sources/BCESIMDKernels/include/BCESIMDKernels.h" kern/
printf 'module BCESIMDKernels { header "BCESIMDKernels.h" export * }\n' > kern/module.modulemap
cp "$ROOT/Tests/AllocationCounting/include/AllocationCounting.h" count/
printf 'module AllocationCounting { header "AllocationCounting.h" export * }\n' > count/module.modulemap
echo "compiling (about a minute)"
clang -O2 -c "$N/_NumericsShims/_NumericsShims.c" -I "$N/_NumericsShims/include" -o shims.o
clang -O2 -c "$ROOT/Sources/BCESIMDKernels/Kernels.c" -I "$ROOT/Sources/BCESIMDKernels/include" -o kernels.o
clang -O2 -c "$ROOT/Tests/AllocationCounting/AllocationCounting.c" -I count -o count.o
swiftc -O -wmo -parse-as-library -module-name RealModule -emit-module -emit-module-path RealModule.swiftmodule \
    -c "$N"/RealModule/*.swift -I "$N/_NumericsShims/include" -o RealModule.o
swiftc -O -wmo -parse-as-library -module-name SwiftBCEShared -emit-module -emit-module-path SwiftBCEShared.swiftmodule \
    -c "$ROOT"/Sources/SwiftBCEShared/*.swift -o shared.o
swiftc -O -wmo -parse-as-library -module-name BinaryCrossEntropy -emit-module \
    -emit-module-path BinaryCrossEntropy.swiftmodule -c "$ROOT"/Sources/BinaryCrossEntropy/*.swift \
    -I . -I kern -I "$N/_NumericsShims/include" -o bce.o
swiftc -O "$ROOT/scripts/alloc-check-main.swift" -I . -I kern -I count -I "$N/_NumericsShims/include" \
    bce.o shared.o RealModule.o kernels.o shims.o count.o -o alloc-check
echo "running"
./alloc-check
