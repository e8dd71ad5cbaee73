#!/bin/sh
# Builds the C example port: scripts/ports/c_port/build.sh [OUTPUT]   (default: bce_port next to this script)
# C99, libc and libm only, statically linked (no run-time dependencies at all). CC and CFLAGS may be
# overridden, e.g. CC=clang, or CFLAGS='-O1 -g -fsanitize=address,undefined' BCE_PORT_STATIC=0.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/bce_port}"
mkdir -p "$(dirname "$out")"
cc="${CC:-cc}"
cflags="${CFLAGS:--O2}"
static="-static"
[ "${BCE_PORT_STATIC:-1}" = 1 ] || static=""
# -std=c99 also turns off floating-point contraction (no FMA re-association of the formulas).
# shellcheck disable=SC2086
$cc -std=c99 -Wall -Wextra -pedantic $cflags $static -o "$out" "$here/bce_port.c" -lm
echo "built $out ($(wc -c < "$out") bytes${static:+, static})"
