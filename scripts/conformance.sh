#!/usr/bin/env bash
# The main job: set-up if needed, then the full conformance run (release build).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product bce-conformance
BIN="$(swift build -c release --show-bin-path)/bce-conformance"
"$BIN"
