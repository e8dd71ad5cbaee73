#!/bin/sh
# A PyTorch worker for `bench --torch` tests, by the name it is called as (the fixtures beside it
# are links to this file): answers "hello" and "load", and then at each "time" request
#   worker_dies_at_time.sh  exits 3 (a worker that crashes mid-run);
#   worker_settles.sh       says its calls took 1 ms and its threads went idle 0.042 s after them.
read -r line
echo '{"ok": true, "torch": "fake", "numpy": "0", "python": "0", "threads": 1}'
while read -r line; do
    case "$line" in
        *'"load"'*) echo '{"ok": true}' ;;
        *'"time"'*)
            case "$(basename "$0")" in
                worker_settles.sh) echo '{"ok": true, "seconds": 0.001, "settled": 0.042}' ;;
                *) exit 3 ;;
            esac ;;
        *'"stop"'*) exit 0 ;;
        *) exit 3 ;;
    esac
done
