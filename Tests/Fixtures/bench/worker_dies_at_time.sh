#!/bin/sh
# A PyTorch worker for `bench --torch` tests: answers "hello" and "load", then exits 3 at the
# first "time" request (a worker that crashes mid-run).
read -r line
echo '{"ok": true, "torch": "fake", "numpy": "0", "python": "0", "threads": 1}'
while read -r line; do
    case "$line" in
        *'"load"'*) echo '{"ok": true}' ;;
        *) exit 3 ;;
    esac
done
