#!/usr/bin/env bash
# Prints the path of a built bce-conformance: $BCE_BIN if set, else the release build's, else the
# debug build's; exits 2 if there is none. For the hardening scripts that drive the executable.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${BCE_BIN:-}" ]; then
    [ -x "$BCE_BIN" ] && { echo "$BCE_BIN"; exit 0; }
else
    for dir in "$(swift build -c release --show-bin-path 2>/dev/null)" "$(swift build --show-bin-path 2>/dev/null)"; do
        [ -x "$dir/bce-conformance" ] && { echo "$dir/bce-conformance"; exit 0; }
    done
fi
echo "no built bce-conformance (swift build first, or set BCE_BIN)" >&2
exit 2
