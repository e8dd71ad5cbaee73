#!/usr/bin/env bash
# live --port's bars (issue 13): the NumPy port is clean over CASES (default 10,000) fuzzed cases,
# and a port with a planted gradient bug (mutant mean-grad-not-divided) is caught: exit 1, a shrunk
# golden case and the reproduction command, which reproduces it. Prints the NumPy port's cases/s.
# Then --against with PyTorch itself (scripts/ports/torch_port.py in scripts/torch-parity.sh's venv):
# the NumPy port and PyTorch agree over AGAINST_CASES (default CASES / 5) cases, PyTorch's own
# float16/bfloat16 rounding accepted as the verdict accepts it, and the planted bug disagrees (exit 1).
# usage: scripts/live-port.sh [CASES]      (BCE_BIN: the runner; default: a release build)
#   TORCH_VENV   torch's venv (default: scripts/torch-parity.sh's); without one the --against part is
#                not run, unless LIVE_PORT_REQUIRE_TORCH=1 (scripts/test.sh), which makes that an error
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
VENV="${TORCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-bce/torch-2.15.0-venv}"
if [ ! -x "$VENV/bin/python" ]; then
    [ "${LIVE_PORT_REQUIRE_TORCH:-0}" = 1 ] && { echo "live-port: FAIL: no torch venv at $VENV (scripts/torch-parity.sh installs it)"; exit 1; }
    echo "live-port: --against not run: no torch venv at $VENV (scripts/torch-parity.sh installs it)"
    echo "live-port: ok"
    exit 0
fi
TORCH="$VENV/bin/python -I scripts/ports/torch_port.py"
AGAINST_CASES="${AGAINST_CASES:-$(( CASES / 5 ))}"
echo "live-port: numpy_port --against torch_port, $AGAINST_CASES cases, seed 2"
"$BIN" live --port "$PY -I scripts/ports/numpy_port.py" --against "$TORCH" --cases "$AGAINST_CASES" --seed 2 | tee "$out" | tail -n 1
tail -n 1 "$out" | grep -q "no mismatch" || { echo "live-port: FAIL: numpy_port and torch_port disagree"; cat "$out"; exit 1; }
echo "live-port: the planted gradient bug --against torch_port"
set +e; "$BIN" live --port "$MUTANT" --against "$TORCH" --cases 2000 --seed 1 >"$out"; status=$?; set -e
[ "$status" = 1 ] && grep -q "they disagree" "$out" || { echo "live-port: FAIL: exit $status, expected 1 with a disagreement"; cat "$out"; exit 1; }
grep -m1 "they disagree" "$out"
echo "live-port: ok"
