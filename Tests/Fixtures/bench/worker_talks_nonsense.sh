#!/bin/sh
# A PyTorch worker for `bench --torch` tests: answers "hello", then replies to everything with a
# line that is not JSON.
read -r line
echo '{"ok": true, "torch": "fake", "numpy": "0", "python": "0", "threads": 1}'
while read -r line; do
    echo 'Segmentation fault (core dumped)'
done
