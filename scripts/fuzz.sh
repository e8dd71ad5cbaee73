#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer, through swiftc -sanitize=fuzzer) of the two readers
# that take bytes from outside: the golden-file reader (case files and MANIFEST.json) and the
# port-protocol reader (a port's "started"/"result" lines, a runner's lines to `serve`).
#
#   scripts/fuzz.sh TARGET SECONDS [RUNS]      TARGET: golden_reader | port_protocol
#
# Runs TARGET for SECONDS (or until RUNS executions, if given, whichever comes first), then prints
# libFuzzer's final statistics; exit 0 means no crash (a Swift trap: bounds, overflow, force
# unwrap), no input slower than 10 s and none above 2 GB of memory.
# FUZZ_SANITIZE=address adds AddressSanitizer and leak checks (about 30 times slower here).
# A crashing input is written to .build-fuzz/artifacts/ (rerun: .build-fuzz/TARGET FILE).
# The targets (Tests/Fuzz/*Fuzz.swift) are compiled together with the reader's own sources,
# outside SwiftPM; the corpus grows in .build-fuzz/corpus/TARGET between runs (seeded from golden/).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${1:?usage: scripts/fuzz.sh golden_reader|port_protocol SECONDS [RUNS]}"
SECONDS_="${2:?usage: scripts/fuzz.sh TARGET SECONDS [RUNS]}"
RUNS="${3:--1}"
case "$TARGET" in
    golden_reader) ENTRY=Tests/Fuzz/GoldenReaderFuzz.swift ;;
    port_protocol) ENTRY=Tests/Fuzz/PortProtocolFuzz.swift ;;
    *) echo "fuzz.sh: unknown target $TARGET (golden_reader or port_protocol)" >&2; exit 2 ;;
esac
SWIFTC="$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)"
OUT=.build-fuzz
mkdir -p "$OUT/src" "$OUT/artifacts" "$OUT/corpus/$TARGET"

# The reader's sources, as they are in the library. Manifest.swift imports swift-crypto only for
# the SHA-256 of a file's bytes, which no reader check depends on: a stand-in keeps the build free
# of SwiftPM (the checksum comparison itself is tested in Tests/BCEConformanceTests). SwiftBCEShared's
# rounding (bfloat16 golden values) is compiled into the same module, so its import goes too.
SOURCES=(Sources/SwiftBCEShared/Binary16Rounding.swift
         Sources/BCEConformance/Format/{DType,GoldenBytes,GoldenCase,GoldenFields,GoldenFileReader,GoldenFormatError,GoldenTensor,HexCodec,Manifest}.swift
         Sources/BCEConformance/Ports/PortProtocol.swift Sources/BCEConformance/Implementations/{CaseOutcome,Capabilities}.swift)
rm -f "$OUT"/src/*.swift
for f in "${SOURCES[@]}"; do sed -e '/^import Crypto$/d' -e '/^import SwiftBCEShared$/d' "$f" > "$OUT/src/$(basename "$f")"; done
cat > "$OUT/src/SHA256StandIn.swift" <<'SWIFT'
import Foundation
enum SHA256 { static func hash(data: Data) -> [UInt8] { [UInt8](repeating: 0, count: 32) } }
SWIFT

SANITIZE="fuzzer${FUZZ_SANITIZE:+,$FUZZ_SANITIZE}"
BIN="$OUT/$TARGET${FUZZ_SANITIZE:+-$FUZZ_SANITIZE}"
if [ ! -x "$BIN" ] || [ -n "$(find "${SOURCES[@]}" "$ENTRY" -newer "$BIN")" ]; then
    echo "fuzz.sh: building $BIN"
    nice "$SWIFTC" -O -sanitize="$SANITIZE" -parse-as-library -module-name BCEFuzz -package-name swift_bce \
        "$OUT"/src/*.swift "$ENTRY" -o "$BIN" 2>&1 | { grep -v "Cannot export local symbol" || true; } >&2
fi

# Seeds: small cases of the repository's golden files (never modified: read only).
if [ -z "$(ls -A "$OUT/corpus/$TARGET")" ]; then
    /usr/bin/python3 -I Tests/Fuzz/make_seeds.py golden "$OUT/seeds"
    cp "$OUT/seeds/$TARGET"/* "$OUT/corpus/$TARGET/"
fi

echo "fuzz.sh: $TARGET ($SANITIZE) for ${SECONDS_}s (runs: $RUNS)"
# -rss_limit_mb bounds what one input may cost; -timeout flags any input slower than 10 s.
LOG="$BIN.log"
set +e
nice "$BIN" -max_total_time="$SECONDS_" -runs="$RUNS" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -dict=Tests/Fuzz/json.dict -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$TARGET-" \
    "$OUT/corpus/$TARGET" > "$LOG" 2>&1
status=$?
set -e
# The progress lines (NEW, REDUCE, pulse) stay in the log; the rest is shown.
grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|RELOAD)' "$LOG" | tail -n 40
echo "fuzz.sh: $TARGET exit $status (log: $LOG)"
exit $status
