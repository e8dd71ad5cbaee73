#!/usr/bin/env bash
# The runner writes nowhere but the paths it is given: each subcommand runs with HOME, TMPDIR and
# the working directory pointed at fresh directories and a copy of golden/ (made read-only: mode
# bits only, which root ignores, hence the snapshots), and afterwards nothing may have appeared,
# changed or vanished in any of them, nor in the repository's golden/, scripts/ and Tests/ (read
# by live, regenerate and the ports) or next to the executable, except the --junit file and the
# redirected JSON report. (Directories are compared by their entries, not their times: a
# temporary file made and removed in TMPDIR leaves nothing.)
#
#   scripts/check_write_paths.sh [--with-regenerate]
#
# --with-regenerate adds `regenerate --check` (it renders the whole set: about a minute).
# Needs a built bce-conformance (BCE_BIN, else the release build, else the debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
BIN="$(scripts/built_bce_conformance.sh)"

ROOT="$(mktemp -d "${TMPDIR:-/tmp}/bce-paths-XXXXXX")"
trap 'chmod -R u+w "$ROOT" 2>/dev/null; rm -rf "$ROOT"' EXIT
mkdir -p "$ROOT/home" "$ROOT/tmp" "$ROOT/cwd" "$ROOT/out"
cp -a golden "$ROOT/golden"
chmod -R a-w "$ROOT/golden"
G="$ROOT/golden"

snapshot() {
    { find "$ROOT" "$REPO/golden" "$REPO/scripts" "$REPO/Tests" -path "$ROOT/out" -prune \
          -o -type d -printf '%p/ %m\n' -o -printf '%p %s %T@ %m\n'
      find "$(dirname "$BIN")" -maxdepth 1 -printf '%p %s %T@ %m\n'; } | sort
}

run() {   # run NAME EXPECTED_STATUS ARGS...
    local name="$1" expected="$2"; shift 2
    local before="$ROOT.before" status=0
    snapshot > "$before"
    (cd "$ROOT/cwd" && env HOME="$ROOT/home" TMPDIR="$ROOT/tmp" BCE_GOLDEN_DIR= "$BIN" "$@" \
        > "$ROOT/out/stdout" 2> "$ROOT/out/stderr" < /dev/null) || status=$?
    if [ "$status" -ne "$expected" ]; then
        echo "check_write_paths: $name exited $status, expected $expected" >&2; tail -5 "$ROOT/out/stderr" >&2; exit 1
    fi
    if ! diff <(cat "$before") <(snapshot) > "$ROOT.diff"; then
        echo "check_write_paths: $name wrote outside its paths:" >&2; cat "$ROOT.diff" >&2; exit 1
    fi
    rm -f "$before" "$ROOT.diff"
    echo "  $name: nothing written outside its paths"
}

echo "check_write_paths: $BIN"
run "run --junit --format json" 0 run --golden "$G" --max-ulp 2 --junit "$ROOT/out/junit.xml" --format json
[ -s "$ROOT/out/junit.xml" ] || { echo "check_write_paths: no JUnit file" >&2; exit 1; }
run "run --port serve" 0 run --golden "$G" --id '*/float32/*' --port "$BIN serve" --junit "$ROOT/out/port.xml"
run "run with a crashing port" 4 run --golden "$G" --port "/usr/bin/python3 -I $REPO/Tests/Fixtures/ports/crash_port.py" --junit "$ROOT/out/crash.xml"
run "list" 0 list --golden "$G"
run "verify" 0 verify --golden "$G"
run "live" 0 live --cases 200 --seed 1 --scripts "$REPO/scripts"
if [ "${1:-}" = "--with-regenerate" ]; then
    run "regenerate --check" 0 regenerate --check --golden "$G" --scripts "$REPO/scripts"
fi
echo "check_write_paths: OK"
