#!/usr/bin/env bash
# Crash safety of golden regeneration: SIGKILL at random moments always leaves the golden
# directory holding the complete old set or the complete new one, never a mix, and
# `bce-conformance verify` agrees. Works on COPIES of golden/ (the repository's is only read).
#
#   scripts/kill_regeneration.sh [FULL_KILLS] [WRITE_KILLS]       default: 10 20
#
# FULL_KILLS: `generate_golden.py --out COPY --seed ALT` (a different seed, so old and new
#   differ in every case file) killed at a uniformly random moment of its run (mostly while it
#   renders, sometimes while it writes).
# WRITE_KILLS: the generator's write_set (what the script calls once the set is rendered: staging,
#   fsync, renameat2 exchange, removal of the old set) with the pre-rendered new set, killed at a
#   random moment after its staging directory appears: every kill lands in the window that matters.
# After each kill the copy must be byte-identical (diff -r) to the old or to the new set, and
# `bce-conformance verify --golden COPY` must exit 0. Prints the counts; exit 1 on any mix.
# Needs a built bce-conformance (BCE_BIN, else the release build, else the debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
FULL_KILLS="${1:-10}"
WRITE_KILLS="${2:-20}"
ALT_SEED=777
PY="/usr/bin/python3 -I"
REPO="$PWD"
BIN="$(scripts/built_bce_conformance.sh)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/bce-kill-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
OLD="$WORK/old/golden"; NEW="$WORK/new/golden"
mkdir -p "$WORK/old" "$WORK/new"
cp -a golden "$OLD"
cp -a golden "$NEW"

echo "kill_regeneration: rendering the new set (seed $ALT_SEED) once, complete"
T0=$(date +%s%N)
nice $PY scripts/generate_golden.py --out "$NEW" --seed "$ALT_SEED" > /dev/null
FULL_NS=$(( $(date +%s%N) - T0 ))
"$BIN" verify --golden "$NEW" > /dev/null
diff -rq "$OLD" "$NEW" > /dev/null && { echo "kill_regeneration: the new set equals the old one" >&2; exit 2; }

# write_set with the pre-rendered new set: the generator's own code, minus the rendering.
WRITER="$WORK/write_set.py"
cat > "$WRITER" <<PYEOF
import json, os, sys
sys.path.insert(0, os.path.join("$REPO", "scripts"))
import generate_golden
new, out = sys.argv[1], sys.argv[2]
with open(os.path.join(new, "MANIFEST.json"), "rb") as fh:
    manifest = fh.read()
files = {"MANIFEST.json": manifest}
for entry in json.loads(manifest)["files"]:
    with open(os.path.join(new, entry["path"]), "rb") as fh:
        files[entry["path"]] = fh.read()
generate_golden.write_set(out, files)
PYEOF
T0=$(date +%s%N)
cp -a "$OLD" "$WORK/probe"; $PY "$WRITER" "$NEW" "$WORK/probe"; rm -rf "$WORK/probe"
WRITE_NS=$(( $(date +%s%N) - T0 ))
echo "kill_regeneration: a full regeneration takes $(( FULL_NS / 1000000 )) ms, write_set $(( WRITE_NS / 1000000 )) ms"

kills=0; as_old=0; as_new=0; mixed=0; verified=0; stale=0
# One kill: $1 = command (run in the background against $TARGET), $2 = "full" | "write".
kill_once() {
    local how="$1" target="$WORK/t/golden" pid delay_ns
    rm -rf "$WORK/t"; mkdir -p "$WORK/t"; cp -a "$OLD" "$target"
    if [ "$how" = full ]; then
        $PY scripts/generate_golden.py --out "$target" --seed "$ALT_SEED" > /dev/null 2>&1 &
        pid=$!
        delay_ns=$(( ($(od -An -N4 -tu4 /dev/urandom) % 1000) * FULL_NS / 1000 ))
    else
        $PY "$WRITER" "$NEW" "$target" > /dev/null 2>&1 &
        pid=$!
        # Wait for the staging directory (or the end), then a random part of the write's duration.
        for _ in $(seq 1 2000); do
            compgen -G "$WORK/t/.golden.staging-*" > /dev/null && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.005
        done
        delay_ns=$(( ($(od -An -N4 -tu4 /dev/urandom) % 1000) * WRITE_NS / 1000 ))
    fi
    sleep "$(( delay_ns / 1000000000 )).$(printf '%09d' $(( delay_ns % 1000000000 )))"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    kills=$((kills + 1))
    compgen -G "$WORK/t/.golden.*" > /dev/null && stale=$((stale + 1))
    local state
    if diff -rq "$OLD" "$target" > /dev/null 2>&1; then state=old; as_old=$((as_old + 1))
    elif diff -rq "$NEW" "$target" > /dev/null 2>&1; then state=new; as_new=$((as_new + 1))
    else state=MIXED; mixed=$((mixed + 1)); diff -rq "$OLD" "$target" | head -5 >&2 || true; fi
    if "$BIN" verify --golden "$target" > /dev/null 2>&1; then verified=$((verified + 1))
    else echo "kill_regeneration: verify failed after a $how kill ($state)" >&2; fi
    echo "  kill $kills ($how, after $(( delay_ns / 1000000 )) ms): $state"
}

for _ in $(seq 1 "$FULL_KILLS"); do kill_once full; done
for _ in $(seq 1 "$WRITE_KILLS"); do kill_once write; done

# A run after a kill cleans up whatever the killed one left and completes.
$PY scripts/generate_golden.py --out "$WORK/t/golden" --seed "$ALT_SEED" > /dev/null
compgen -G "$WORK/t/.golden.*" > /dev/null && { echo "kill_regeneration: a stale staging directory survived the next run" >&2; mixed=$((mixed + 1)); }
diff -rq "$NEW" "$WORK/t/golden" > /dev/null || { echo "kill_regeneration: the run after the kills did not produce the new set" >&2; mixed=$((mixed + 1)); }

echo "kill_regeneration: $kills kills ($FULL_KILLS of the whole script, $WRITE_KILLS while writing): $as_old left the old set, $as_new the new set, $mixed a mix; verify passed $verified/$kills; $stale left a stale staging directory (removed by the next run)"
[ "$mixed" -eq 0 ] && [ "$verified" -eq "$kills" ]
