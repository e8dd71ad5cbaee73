#!/usr/bin/env bash
# Memory soak of the bridge: a long `bce-conformance live` run (the Swift library against the NumPy
# reference through the embedded interpreter), with its resident memory sampled from /proc.
#
#   scripts/soak.sh CASES [INTERVAL_SECONDS] [OUT_CSV]      e.g. scripts/soak.sh 1000000 10
#
# Uses the release build (built if missing). Writes OUT_CSV (default .build-soak/rss.csv) with one
# line per sample: seconds since start, VmRSS and VmHWM in KiB; then prints the first sample taken
# after warm-up (interpreter and NumPy loaded), the last one, the peak and the live summary.
# Exit status: live's (0 no mismatch; mismatches do not stop the soak, they are printed, and each
# is kept in memory until the end, so a soak for memory alone may pass BCE_SOAK_LIVE_ARGS, e.g.
# "--max-ulp 1e9", to compare by tolerance only).
set -euo pipefail
cd "$(dirname "$0")/.."
CASES="${1:?usage: scripts/soak.sh CASES [INTERVAL_SECONDS] [OUT_CSV]}"
INTERVAL="${2:-10}"
OUT="${3:-.build-soak/rss.csv}"
SEED="${BCE_SOAK_SEED:-20261129}"
mkdir -p "$(dirname "$OUT")"
BIN_DIR="$(swift build -c release --show-bin-path)"
[ -x "$BIN_DIR/bce-conformance" ] || swift build -c release --product bce-conformance 2>&1 | scripts/build-log-filter
LOG="${OUT%.csv}.log"

nice "$BIN_DIR/bce-conformance" live --cases "$CASES" --seed "$SEED" --max-mismatches "$CASES" ${BCE_SOAK_LIVE_ARGS:-} > "$LOG" 2>&1 &
PID=$!
START=$(date +%s)
echo "seconds,vmrss_kib,vmhwm_kib" > "$OUT"
while kill -0 "$PID" 2>/dev/null; do
    if STATUS=$(cat "/proc/$PID/status" 2>/dev/null); then
        RSS=$(awk '/^VmRSS:/ {print $2}' <<< "$STATUS")
        HWM=$(awk '/^VmHWM:/ {print $2}' <<< "$STATUS")
        [ -n "$RSS" ] && echo "$(( $(date +%s) - START )),$RSS,$HWM" >> "$OUT"
    fi
    sleep "$INTERVAL"
done
set +e
wait "$PID"
STATUS_CODE=$?
set -e
# Warm-up: the first sample at least 30 s in (or the last one, for short runs).
awk -F, -v cases="$CASES" 'NR > 1 { n++; t[n] = $1; r[n] = $2; if ($3 > peak) peak = $3 }
    END {
        if (n == 0) { print "soak: no sample (run shorter than one interval)"; exit }
        w = n; for (i = 1; i <= n; i++) if (t[i] >= 30) { w = i; break }
        printf "soak: %d cases, %d samples over %d s\n", cases, n, t[n]
        printf "soak: RSS after warm-up (t=%ds) %d KiB, at the end (t=%ds) %d KiB, change %+d KiB; peak %d KiB\n",
               t[w], r[w], t[n], r[n], r[n] - r[w], peak
    }' "$OUT"
tail -n 1 "$LOG"
exit "$STATUS_CODE"
