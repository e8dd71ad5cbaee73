#!/usr/bin/env bash
# The kill matrix (docs/MUTANTS.md): the base port and every mutant port
# (scripts/ports/mutants/mutant_port.py) through the runner in the default mode; exits 1 if a
# mutant survives in a dtype where its bug can show, or the base fails (kill_matrix.py says more).
# BCE_BIN: a built bce-conformance (default: the release build); KILL_MATRIX_JOBS: parallel runs.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(scripts/built_bce_conformance.sh)"
exec /usr/bin/python3 -I scripts/ports/mutants/kill_matrix.py --bin "$BIN" --jobs "${KILL_MATRIX_JOBS:-1}" "$@"
