#!/usr/bin/env bash
# Leak check of the bridge and the runner with LeakSanitizer, from a debug build with
# AddressSanitizer (.build-asan): `run --max-ulp 2` (every golden case) must report no leak, and
# `live` (the Swift library against NumPy through the embedded interpreter: every case crosses
# the bridge) runs twice, N and 10 N cases, and must leak no more with 10 N: fewer than one more
# leaked allocation per 10 extra cases. (CPython never frees some of what it allocates at start-up
# and import, and objects kept only in pymalloc's arenas look unreachable to LeakSanitizer: a
# constant set of reports, whose stacks pass through our shim's interpreter start, imports and
# traceback formatting. A leak per case would grow with the count.)
#
#   scripts/leakcheck.sh [N]        default 200; reports in .build-leakcheck/
#
# Why not valgrind (3.19, Debian 12): it cannot read the DWARF 5 of Swift 6's clang (a stripped
# copy works around that), it emulates x87 with 64-bit precision so the reference refuses to run
# (bce_reference.py checks np.longdouble's 64-bit significand), and it crashes in libdispatch's
# sigsuspend on `run`.
set -euo pipefail
cd "$(dirname "$0")/.."
CASES="${1:-200}"
OUT=.build-leakcheck
mkdir -p "$OUT"
if [ ! -x .build-asan/debug/bce-conformance ]; then
    echo "leakcheck: building bce-conformance with AddressSanitizer in .build-asan"
    swift build --product bce-conformance --build-path .build-asan -Xswiftc -sanitize=address \
        -Xcc -fsanitize=address 2>&1 | scripts/build-log-filter
fi
BIN=.build-asan/debug/bce-conformance
SYMBOLIZER="$(dirname "$(command -v swift || echo /opt/swift/usr/bin/swift)")/llvm-symbolizer"

leaks() {   # leaks NAME ARGS...: runs, prints "BYTES ALLOCATIONS" leaked (0 0 if none)
    local name="$1"; shift
    local log="$OUT/$name.lsan.txt" status=0
    ASAN_OPTIONS=detect_leaks=1:exitcode=0:fast_unwind_on_malloc=0 ASAN_SYMBOLIZER_PATH="$SYMBOLIZER" \
        nice "$BIN" "$@" > "$OUT/$name.stdout" 2> "$log" || status=$?
    if [ "$status" -ne 0 ]; then
        echo "leakcheck: $name exited $status; see $log" >&2
        echo "-1 -1"; return
    fi
    sed -nE 's/^SUMMARY: AddressSanitizer: ([0-9]+) byte\(s\) leaked in ([0-9]+) allocation\(s\).*/\1 \2/p' "$log" | grep . || echo "0 0"
}

read -r RUN_BYTES RUN_ALLOCS < <(leaks run run --max-ulp 2)
echo "leakcheck: run --max-ulp 2: $RUN_BYTES bytes leaked in $RUN_ALLOCS allocations"
read -r SMALL_BYTES SMALL_ALLOCS < <(leaks "live-$CASES" live --cases "$CASES" --seed 1)
echo "leakcheck: live --cases $CASES: $SMALL_BYTES bytes leaked in $SMALL_ALLOCS allocations"
BIG=$((CASES * 10))
read -r BIG_BYTES BIG_ALLOCS < <(leaks "live-$BIG" live --cases "$BIG" --seed 1)
echo "leakcheck: live --cases $BIG: $BIG_BYTES bytes leaked in $BIG_ALLOCS allocations"
GROWTH=$((BIG_ALLOCS - SMALL_ALLOCS))
echo "leakcheck: $((BIG - CASES)) more cases leaked $GROWTH more allocations ($((BIG_BYTES - SMALL_BYTES)) bytes); logs in $OUT/"
[ "$RUN_ALLOCS" -eq 0 ] && [ "$SMALL_ALLOCS" -ge 0 ] && [ "$BIG_ALLOCS" -ge 0 ] && [ "$GROWTH" -lt $(((BIG - CASES) / 10)) ]
