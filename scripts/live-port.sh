#!/usr/bin/env bash
# live --port's bars (issue 13): the NumPy port is clean over CASES (default 10,000) fuzzed cases,
# and a port with a planted gradient bug (mutant mean-grad-not-divided) is caught: exit 1, a shrunk
# golden case and the reproduction command, which reproduces it. Prints the NumPy port's cases/s.
# usage: scripts/live-port.sh [CASES]      (BCE_BIN: the runner; default: a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
CASES="${1:-10000}"
BIN="${BCE_BIN:-$(scripts/built_bce_conformance.sh)}"
PY=/usr/bin/python3
out="$(mktemp)"; trap 'rm -f "$out"' EXIT

echo "live-port: numpy_port, $CASES cases, seed 1"
"$BIN" live --port "$PY -I scripts/ports/numpy_port.py" --cases "$CASES" --seed 1 | tee "$out" | tail -n 1
tail -n 1 "$out" | grep -q "no mismatch" || { echo "live-port: FAIL: numpy_port is not clean"; cat "$out"; exit 1; }

echo "live-port: the planted gradient bug (mutant mean-grad-not-divided)"
MUTANT="$PY -I scripts/ports/mutants/mutant_port.py --mutant mean-grad-not-divided"
set +e; "$BIN" live --port "$MUTANT" --cases 2000 --seed 1 >"$out"; status=$?; set -e
[ "$status" = 1 ] || { echo "live-port: FAIL: exit $status, expected 1"; cat "$out"; exit 1; }
grep -q "golden case (paste into" "$out" || { echo "live-port: FAIL: no golden case"; cat "$out"; exit 1; }
repro="$(grep -m1 '^reproduce: ' "$out" | sed 's/^reproduce: bce-conformance //')"
[ -n "$repro" ] || { echo "live-port: FAIL: no reproduction command"; cat "$out"; exit 1; }
grep -m1 "^MISMATCH" "$out"
echo "live-port: reproducing: $repro"
set +e; eval "\"$BIN\" $repro" >"$out"; status=$?; set -e
[ "$status" = 1 ] && grep -q "^MISMATCH" "$out" || { echo "live-port: FAIL: the reproduction command gave exit $status"; cat "$out"; exit 1; }
echo "live-port: ok"
