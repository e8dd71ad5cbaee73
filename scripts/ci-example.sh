#!/usr/bin/env bash
# What docs/CI.md's GitHub Actions workflow does in a port's repository, run locally: unpack the
# release tarball into a temporary directory, run every shard of the suite against a port (as the
# job matrix would, one shard after the other here), then check that each shard wrote its JUnit
# report and that together they cover every golden case exactly once.
#
#   scripts/ci-example.sh [--tarball FILE] [--port COMMAND] [--shards N]
#
# --tarball  default: the newest dist/bce-conformance-*-linux-*.tar.gz, built by scripts/package.sh
#            when there is none
# --port     default: the unpacked runner's own `serve` (the Swift library as a port: needs nothing
#            installed); any port command works, e.g. the example ports unpacked with the runner
# --shards   default 3
# Exit 0 when every shard exits 0 and the reports cover the suite; 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
TARBALL="" PORT="" SHARDS=3
while [ $# -gt 0 ]; do
    case "$1" in
        --tarball) TARBALL="$2"; shift 2 ;;
        --port) PORT="$2"; shift 2 ;;
        --shards) SHARDS="$2"; shift 2 ;;
        *) echo "ci-example: unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
    esac
done
case "$SHARDS" in ''|*[!0-9]*|0) echo "ci-example: --shards needs a positive integer" >&2; exit 2 ;; esac

if [ -z "$TARBALL" ]; then
    TARBALL="$(ls -t dist/bce-conformance-*-linux-*.tar.gz 2>/dev/null | head -n 1 || true)"
    if [ -z "$TARBALL" ]; then
        scripts/package.sh
        TARBALL="$(ls -t dist/bce-conformance-*-linux-*.tar.gz | head -n 1)"
    fi
fi
TARBALL="$(cd "$(dirname "$TARBALL")" && pwd)/$(basename "$TARBALL")"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/bce-ci-example-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
echo "== ci-example: unpack $(basename "$TARBALL") into $WORK"
mkdir -p "$WORK/runner" "$WORK/reports"
tar -xzf "$TARBALL" -C "$WORK/runner" --strip-components=1
RUNNER="$WORK/runner/bce-conformance"
"$RUNNER" --version | head -n 1
PORT="${PORT:-$RUNNER serve}"

# The port's repository: a directory of its own, without golden/ (the runner uses its bundled one).
cd "$WORK/reports"
"$RUNNER" list --ids-only | sort > all-cases.txt
echo "== ci-example: $(wc -l < all-cases.txt) cases, $SHARDS shards, port: $PORT"
failed=0
for ((i = 1; i <= SHARDS; i++)); do
    start=$SECONDS
    status=0
    "$RUNNER" run --port "$PORT" --shard "$i/$SHARDS" --junit "junit-$i.xml" > "shard-$i.log" 2>&1 || status=$?
    echo "   shard $i/$SHARDS: exit $status, $((SECONDS - start)) s, $(tail -n 1 "shard-$i.log")"
    if [ "$status" -ne 0 ]; then
        failed=1
        tail -n 20 "shard-$i.log" >&2
    fi
    if [ ! -s "junit-$i.xml" ]; then
        echo "ci-example: shard $i wrote no JUnit report" >&2
        failed=1
    fi
done

# Every golden case in exactly one shard's report (the implementation's own <testcase>, if any, aside).
cat junit-*.xml 2>/dev/null | grep -o '<testcase classname="[^"]*" name="[^"]*"' \
    | grep -v 'classname="implementation"' | sed -E 's/.* name="([^"]*)"$/\1/' | sort > reported.txt
duplicates="$(uniq -d reported.txt | wc -l)"
missing="$(comm -23 all-cases.txt <(sort -u reported.txt) | wc -l)"
extra="$(comm -13 all-cases.txt <(sort -u reported.txt) | wc -l)"
echo "== ci-example: JUnit reports name $(wc -l < reported.txt) cases: $missing missing, $extra unknown, $duplicates in two shards"
if [ "$missing" -ne 0 ] || [ "$extra" -ne 0 ] || [ "$duplicates" -ne 0 ]; then
    comm -3 all-cases.txt <(sort -u reported.txt) | head -n 10 >&2
    failed=1
fi
[ "$failed" -eq 0 ] && echo "== ci-example: OK" || echo "== ci-example: FAILED" >&2
exit "$failed"
