#!/usr/bin/env bash
# Where the time of one benchmark row goes: `perf record` of `bce-conformance bench` on that row
# (Swift side only), then the samples of the C kernel grouped by the Kernels.c function their
# source line belongs to (the kernels are inlined into one loop, so `perf report --sort symbol`
# alone shows a single symbol). docs/PERFORMANCE.md, "Where the time still goes", is this output.
#
#   scripts/profile_kernels.sh DTYPE LOSS [SIZE]      e.g. scripts/profile_kernels.sh float32 bce_with_logits 1e4
#
# Needs perf (linux-perf) and a release build (built if missing). valgrind's callgrind cannot
# read this toolchain's DWARF 5. Attribution between neighbouring inlined functions is approximate.
set -euo pipefail
cd "$(dirname "$0")/.."
DTYPE="${1:?usage: scripts/profile_kernels.sh DTYPE LOSS [SIZE]}"
LOSS="${2:?usage: scripts/profile_kernels.sh DTYPE LOSS [SIZE]}"
SIZE="${3:-1e4}"
command -v perf > /dev/null || { echo "profile_kernels: perf is not installed (apt-get install linux-perf)" >&2; exit 2; }
BIN_DIR="$(swift build -c release --show-bin-path)"
[ -x "$BIN_DIR/bce-conformance" ] || swift build -c release --product bce-conformance
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
perf record -q -F 5000 -g -o "$OUT/perf.data" "$BIN_DIR/bce-conformance" bench --sizes "$SIZE" \
    --dtypes "$DTYPE" --losses "$LOSS" --reductions mean --passes forward --repetitions 200 --no-numpy \
    > /dev/null 2>&1
echo "== all samples, by symbol (top 8)"
perf report -i "$OUT/perf.data" --no-children --sort symbol 2>/dev/null \
    | awk '!/^#/ && /%/ && !/--/ && shown < 8 { print substr($0, 1, 110); shown++ }'
KERNEL="$(perf report -i "$OUT/perf.data" --no-children --sort symbol 2>/dev/null \
    | awk '!found && match($0, /bce_[a-z0-9_]*_sum_avx[0-9]*/) { print substr($0, RSTART, RLENGTH); found = 1 }')"
[ -n "$KERNEL" ] || { echo "profile_kernels: no C kernel in the samples (BCE_INSTRUCTION_SET=swift?)" >&2; exit 1; }
perf report -i "$OUT/perf.data" --no-children --symbols="$KERNEL" --sort srcline 2>/dev/null \
    | awk '!/^#/ && /%/ && !/--/ { print $1, $2 }' > "$OUT/lines.txt"
echo "== $KERNEL, by function of Sources/BCESIMDKernels/Kernels.c (share of the kernel's samples)"
/usr/bin/python3 -I - "$OUT/lines.txt" Sources/BCESIMDKernels/Kernels.c <<'PY'
import re, sys
lines, source = sys.argv[1], sys.argv[2]
starts = []   # (line, name): each function or macro definition, by its first line
for number, text in enumerate(open(source), 1):
    m = re.match(r'(?:INLINE .*?(\w+)\(|#define (\w+)\()', text)
    if m:
        starts.append((number, m.group(1) or m.group(2)))
    elif re.match(r'[A-Z_]+\(', text):   # a loop macro instantiated at file scope
        starts.append((number, 'loop ' + text.strip()))
def owner(number):
    name = '(before the first function)'
    for start, candidate in starts:
        if start <= number:
            name = candidate
    return name
shares, total = {}, 0.0
for entry in open(lines):
    percent, where = entry.split()
    value = float(percent.rstrip('%'))
    m = re.search(r'Kernels\.c:(\d+)', where)
    name = owner(int(m.group(1))) if m else where
    shares[name] = shares.get(name, 0.0) + value
    total += value
print('kernel: %.1f%% of all samples' % total)
for name, value in sorted(shares.items(), key=lambda item: -item[1]):
    print('  %-36s %5.1f%%' % (name, 100 * value / total))
PY
