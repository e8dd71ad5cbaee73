#!/bin/bash
# The buffer API allocates nothing per call (issue 14; docs/CONTRACTS.md section 1a), checked in an
# optimized build: links the release tarball's library objects (.build-static, -O -wmo) into a small
# program (scripts/alloc-check-main.swift) with the
# test-support malloc counter (Tests/AllocationCounting), calls every buffer-API entry point after
# a warm-up and counts the calling thread's heap allocations. Exits 1 if any call allocates.
# scripts/test.sh runs it. A debug build allocates (unspecialized generic code), so this is not an
# XCTest/swift-testing case: the claim is about optimized code, and this is where it is checked.
# Usage: scripts/alloc-check.sh   (ALLOC_CHECK_ONLY=<substring> runs only the matching calls;
# ALLOC_CHECK_STANDALONE=1 compiles the library here instead of linking the tarball's build)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
mkdir -p "$OUT/count"
cp "$ROOT/Tests/AllocationCounting/include/AllocationCounting.h" "$OUT/count/"
printf 'module AllocationCounting { header "AllocationCounting.h" export * }\n' > "$OUT/count/module.modulemap"
clang -O2 -c "$ROOT/Tests/AllocationCounting/AllocationCounting.c" -I "$OUT/count" -o "$OUT/count.o"
if [ "${ALLOC_CHECK_STANDALONE:-0}" = 1 ]; then
    # The library compiled here (scripts/standalone-library.sh), outside any SwiftPM build.
    scripts/standalone-library.sh "$OUT"
    cd "$OUT"
    swiftc -O "$ROOT/scripts/alloc-check-main.swift" -I . -I kern -I count -I shims \
        bce.o shared.o RealModule.o kernels.o shims.o count.o -o alloc-check
else
    # The tarball's optimized build (scripts/package.sh: release, whole-module, .build-static),
    # brought up to date (nothing to do right after package.sh, as in scripts/test.sh), its
    # library objects linked into the check: the code the tarball ships, not a second compile.
    STATIC=(-c release --static-swift-stdlib --scratch-path .build-static)
    swift build "${STATIC[@]}" --product bce-conformance 2>&1 | scripts/build-log-filter
    REL="$(swift build "${STATIC[@]}" --show-bin-path)"
    SHIMS="$ROOT/.build-static/checkouts/swift-numerics/Sources/_NumericsShims/include"
    cd "$OUT"
    swiftc -O "$ROOT/scripts/alloc-check-main.swift" -I "$REL/Modules" -I count -I "$SHIMS" \
        -Xcc -fmodule-map-file="$REL/BCESIMDKernels.build/module.modulemap" \
        "$REL"/BinaryCrossEntropy.build/*.o "$REL"/SwiftBCEShared.build/*.o "$REL"/RealModule.build/*.o \
        "$REL"/BCESIMDKernels.build/*.o "$REL"/_NumericsShims.build/*.o count.o -o alloc-check
fi
echo "running"
./alloc-check
