# Steps that run beside the foreground ones, for bash scripts that `source` this file
# (scripts/test.sh). The caller defines `step` (prints a step's line) and runs under `set -e`.
#   in_background NAME DESCRIPTION COMMAND...   starts COMMAND (a function or a program); its output
#                                               goes to a file, not to the terminal
#   finish NAME                                 waits for it, prints its output, and exits with its
#                                               status if it failed
# On the way out (a failed step, or the end), a background step still running is stopped with its
# whole process tree: a swift build left behind would hold a scratch directory's lock against the
# next run. $JOBS is a directory of the caller's for the steps' files, removed on exit.
# Tested by scripts/tests/test_background.py.
JOBS="$(mktemp -d "${TMPDIR:-/tmp}/bce-jobs-XXXXXX")"
kill_tree() {
    local child
    for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do kill_tree "$child"; done
    kill "$1" 2>/dev/null || true
}
trap 'for job in $(jobs -p); do kill_tree "$job"; done; rm -rf "$JOBS"' EXIT
in_background() {
    local name="$1" what="$2"; shift 2
    step "$what: started in the background, its output follows when it ends"
    ( "$@" ) > "$JOBS/$name.log" 2>&1 &
    echo $! > "$JOBS/$name.pid"
}
finish() {
    local name="$1" status=0
    wait "$(cat "$JOBS/$name.pid")" || status=$?
    step "$name (the background step): ended with exit status $status; its output:"
    cat "$JOBS/$name.log"
    [ "$status" = 0 ] || { echo "the background step $name failed (exit $status)" >&2; exit "$status"; }
}
