#!/usr/bin/env bash
# Runs every check CI runs (.ci/run calls this): set-up if needed, the Python reference's
# self-checks, the golden files' regeneration check (under Debian's NumPy 1.24 and, when this
# machine has one, a NumPy 2.x interpreter too), the full conformance run, the quick hardening
# checks, and the Swift tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

DEBIAN_PY=/usr/bin/python3

echo "== Python reference self-checks ($($DEBIAN_PY -I -c 'import numpy, sys; print("Python", sys.version.split()[0], "NumPy", numpy.__version__)'))"
$DEBIAN_PY -I -m unittest discover -s scripts/tests

echo "== golden files: regenerating changes nothing (Debian's NumPy)"
$DEBIAN_PY -I scripts/generate_golden.py --check

# Determinism across NumPy versions: any other python3 on PATH with NumPy 2.x (pyenv here).
OTHER_PY="$(command -v python3 || true)"
if [ -n "$OTHER_PY" ] && [ "$(readlink -f "$OTHER_PY")" != "$(readlink -f $DEBIAN_PY)" ] &&
   "$OTHER_PY" -I -c 'import numpy, sys; sys.exit(0 if int(numpy.__version__.split(".")[0]) >= 2 else 1)' 2>/dev/null; then
    echo "== golden files: regenerating changes nothing ($OTHER_PY, NumPy $("$OTHER_PY" -I -c 'import numpy; print(numpy.__version__)'))"
    "$OTHER_PY" -I scripts/generate_golden.py --check
else
    echo "== (no NumPy 2.x interpreter besides Debian's on PATH: cross-version regeneration check not run)"
fi

# One build for everything: release, with -enable-testing so the test targets' @testable imports
# work, tests included. The conformance run, the hardening scripts and swift test all use it (the
# fuzz targets are the only other compilation: libFuzzer needs swiftc -sanitize=fuzzer).
SWIFT_FLAGS=(-c release -Xswiftc -enable-testing)
echo "== one build: swift build ${SWIFT_FLAGS[*]} --build-tests"
# Progress lines dropped; pipefail keeps swift build's exit status.
swift build "${SWIFT_FLAGS[@]}" --build-tests 2>&1 | sed -E '/^\[[0-9]+\/[0-9]+\] /d'
BCE_BIN="$(swift build "${SWIFT_FLAGS[@]}" --show-bin-path)/bce-conformance"
export BCE_BIN

echo "== full conformance run (the release build)"
scripts/conformance.sh

echo "== quick hardening checks (docs/RELIABILITY.md)"
scripts/hardening-quick.sh

echo "== swift test (the same build)"
swift test "${SWIFT_FLAGS[@]}" --skip-build
