#!/usr/bin/env bash
# The main job: set-up if needed, then the full conformance run from a release build:
# the golden files verified against their manifest, every golden case against the Swift library
# in strict mode (2 ULP), the C example port (scripts/ports/c_port) likewise, and 10,000 cases of
# live differential fuzzing against NumPy.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# $BCE_BIN: an already built runner (scripts/test.sh builds once for everything); else a release build.
if [ -n "${BCE_BIN:-}" ]; then
    BIN="$BCE_BIN"
else
    # Every 40th progress line kept (scripts/build-log-filter); pipefail keeps swift build's exit status.
    swift build -c release --product bce-conformance 2>&1 | scripts/build-log-filter
    BIN="$(swift build -c release --show-bin-path)/bce-conformance"
fi

echo "== bce-conformance verify"
"$BIN" verify
echo "== bce-conformance run --max-ulp 2 (Swift library, every golden case)"
"$BIN" run --max-ulp 2
echo "== bce-conformance run --port (the C example port, statically linked) --max-ulp 2"
scripts/ports/c_port/build.sh .build/c_port/bce_port
"$BIN" run --port .build/c_port/bce_port --max-ulp 2
echo "== bce-conformance live --cases 10000 --seed ${BCE_LIVE_SEED:-20261129}"
"$BIN" live --cases 10000 --seed "${BCE_LIVE_SEED:-20261129}"
