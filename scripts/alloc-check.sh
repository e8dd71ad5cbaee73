#!/bin/bash
# The buffer API allocates nothing per call (issue 14; docs/CONTRACTS.md section 1a), checked in an
# optimized build: compiles the library's sources with -O -wmo (scripts/standalone-library.sh) into a
# small program (scripts/alloc-check-main.swift, no SwiftPM release build of the whole package) with the
# test-support malloc counter (Tests/AllocationCounting), calls every buffer-API entry point after
# a warm-up and counts the calling thread's heap allocations. Exits 1 if any call allocates.
# scripts/test.sh runs it. A debug build allocates (unspecialized generic code), so this is not an
# XCTest/swift-testing case: the claim is about optimized code, and this is where it is checked.
# Usage: scripts/alloc-check.sh   (ALLOC_CHECK_ONLY=<substring> runs only the matching calls)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
scripts/standalone-library.sh "$OUT"
cd "$OUT"
mkdir -p count
cp "$ROOT/Tests/AllocationCounting/include/AllocationCounting.h" count/
printf 'module AllocationCounting { header "AllocationCounting.h" export * }\n' > count/module.modulemap
clang -O2 -c "$ROOT/Tests/AllocationCounting/AllocationCounting.c" -I count -o count.o
swiftc -O "$ROOT/scripts/alloc-check-main.swift" -I . -I kern -I count -I shims \
    bce.o shared.o RealModule.o kernels.o shims.o count.o -o alloc-check
echo "running"
./alloc-check
