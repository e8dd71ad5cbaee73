#!/usr/bin/env bash
# A user who wants only the loss builds without python3-dev and without pkg-config: this makes a
# tiny package in a temporary directory that depends on the BinaryCrossEntropy product alone,
# builds it with pkg-config and every python* hidden from PATH (a shadow /usr/bin without them) and
# PKG_CONFIG_PATH pointing nowhere, runs it, and checks that
#   - the build compiled nothing of the Python bridge (no CPythonShim, no PythonBridge),
#   - the program prints BCELoss's value for a known input (mean of -log(0.9), -log(0.8) = 0.16425...),
#   - the program does not load libpython.
# python3-dev's headers stay on disk (this machine needs them for the runner), so the check that
# nothing could have used them is the build log's list of compiled targets.
#   scripts/library-only-build.sh         # exit 0 when all holds
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
[ -d /opt/swift/usr/bin ] && SWIFT_BIN=/opt/swift/usr/bin || SWIFT_BIN="$(dirname "$(command -v swift)")"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/bce-library-only-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/consumer/Sources/consumer" "$WORK/bin"
# /usr/bin and /bin without pkg-config and Python.
for dir in /usr/bin /bin; do
    for tool in "$dir"/*; do
        name="$(basename "$tool")"
        case "$name" in *pkg-config*|python*|pkgconf*) continue ;; esac
        [ -e "$WORK/bin/$name" ] || ln -s "$tool" "$WORK/bin/$name"
    done
done

cat > "$WORK/consumer/Package.swift" <<EOF
// swift-tools-version: 6.0
import PackageDescription
let package = Package(
    name: "consumer",
    dependencies: [.package(path: "$REPO")],
    targets: [.executableTarget(name: "consumer", dependencies: [.product(name: "BinaryCrossEntropy", package: "$(basename "$REPO")")])]
)
EOF
cat > "$WORK/consumer/Sources/consumer/main.swift" <<'EOF'
import BinaryCrossEntropy
let loss = try BCELoss<Double>()(NDArray([0.9, 0.2]), NDArray([1, 0]))
print(loss.scalars[0])
EOF

echo "== library-only build: a package depending on BinaryCrossEntropy alone, no pkg-config, no python on PATH"
cd "$WORK/consumer"
# The dependency cache and checkouts of this repository's own build, so no network is needed when present.
status=0
env -i HOME="$HOME" PATH="$SWIFT_BIN:$WORK/bin" PKG_CONFIG_PATH=/nonexistent PKG_CONFIG_LIBDIR=/nonexistent \
    swift build --product consumer > "$WORK/build.log" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
    tail -n 30 "$WORK/build.log" >&2
    echo "library-only build: FAILED (swift build exit $status)" >&2
    exit 1
fi
if grep -E 'Compiling (CPythonShim|PythonBridge)|pkg-config|python3-embed' "$WORK/build.log"; then
    echo "library-only build: FAILED: the build touched the Python bridge or pkg-config (above)" >&2
    exit 1
fi
BIN="$(env -i HOME="$HOME" PATH="$SWIFT_BIN:$WORK/bin" swift build --product consumer --show-bin-path)/consumer"
value="$("$BIN")"
echo "   consumer printed $value"
case "$value" in 0.16425203*) ;; *) echo "library-only build: FAILED: expected 0.16425203..., got $value" >&2; exit 1 ;; esac
if ldd "$BIN" | grep libpython; then
    echo "library-only build: FAILED: the consumer links libpython" >&2
    exit 1
fi
echo "== library-only build: OK (no pkg-config, no python, no libpython)"
