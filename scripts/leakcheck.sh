#!/usr/bin/env bash
# Leak check of the bridge and the runner under valgrind memcheck: `live --cases N` (the Swift
# library against NumPy through the embedded interpreter) and `run` (every golden case), each
# with --leak-check=full. CPython and NumPy keep objects alive until exit by design (interned
# strings, module state, type caches), so the verdict is on the loss records valgrind calls
# "definitely lost" or "indirectly lost" whose allocation stack passes through our code (the
# modules BinaryCrossEntropy, BCEConformance, PythonBridge, bce_conformance, the CPythonShim's
# bce_* functions); everything else is listed in the summary, not judged.
#
#   scripts/leakcheck.sh [LIVE_CASES]        default 200; logs in .build-leakcheck/
#
# Needs valgrind and the release build (built if missing). Exit 1 if a leak is from our code.
set -euo pipefail
cd "$(dirname "$0")/.."
CASES="${1:-200}"
OUT=.build-leakcheck
mkdir -p "$OUT"
BIN_DIR="$(swift build -c release --show-bin-path)"
[ -x "$BIN_DIR/bce-conformance" ] || swift build -c release --product bce-conformance 2>&1 | sed -E '/^\[[0-9]+\/[0-9]+\] /d'
BIN="$BIN_DIR/bce-conformance"
# Our code's symbols: Swift modules (mangled $s<len><name>) and the shim's C functions.
OURS='[$]s18BinaryCrossEntropy|[$]s14BCEConformance|[$]s12PythonBridge|[$]s15bce_conformance|: bce_[a-z_]+ [(]'

check() {   # check NAME ARGS...
    local name="$1"; shift
    local log="$OUT/$name.valgrind.txt"
    set +e
    nice valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite \
        --undef-value-errors=no --num-callers=40 --log-file="$log" "$BIN" "$@" > "$OUT/$name.stdout" 2>&1
    local status=$?
    set -e
    # Loss records (blank-line separated) that are definitely/indirectly lost and pass through our code.
    local ours
    ours=$(awk -v RS= -v pat="$OURS" '/(definitely|indirectly) lost in loss record/ && $0 ~ pat { n++ } END { print n + 0 }' "$log")
    echo "leakcheck: $name (exit $status): $(grep -E 'definitely lost:|indirectly lost:|possibly lost:|still reachable:' "$log" | sed -E 's/^==[0-9]+== +//' | tr -s ' ' | paste -sd';' -)"
    echo "leakcheck: $name: loss records from our code: $ours (log: $log)"
    [ "$ours" -eq 0 ]
}

status=0
check "live-$CASES" live --cases "$CASES" --seed 1 || status=1
check run run --max-ulp 2 || status=1
exit $status
