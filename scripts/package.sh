#!/usr/bin/env bash
# Builds the release tarball port authors download: dist/bce-conformance-VERSION-linux-x86_64.tar.gz
# with the runner (Swift runtime and Foundation linked statically; libpython opened only by
# live/regenerate/bench), golden/ as it is (case files, MANIFEST.json, FORMAT.md, schema/), the
# example ports with their README (scripts/ports/; the C port also built, statically), the NumPy
# reference for `live`, and the runner's manual and CI recipe (docs/).
# The runner finds the bundled golden/ beside itself (ResourceLocator), wherever it is unpacked.
#
#   scripts/package.sh            # build, check ldd, write the tarball atomically, print its path
#
# Fails (exit 1) if the runner needs a Swift library or libpython at load time.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d /opt/swift/usr/bin ] && export PATH="/opt/swift/usr/bin:$PATH"

echo "== package: release build of bce-conformance, Swift runtime linked statically"
# Every 40th progress line kept (scripts/build-log-filter); pipefail keeps swift build's exit status.
# A build folder of its own: the static and the dynamic release builds compile differently, and
# sharing .build would rebuild everything at each switch (scripts/conformance.sh builds the dynamic one).
STATIC=(-c release --static-swift-stdlib --scratch-path .build-static)
swift build "${STATIC[@]}" --product bce-conformance 2>&1 | scripts/build-log-filter
BIN="$(swift build "${STATIC[@]}" --show-bin-path)/bce-conformance"

echo "== package: shared libraries the runner loads (ldd)"
ldd "$BIN"   # shown as it is: not through tee /dev/stderr, which reopens (and truncates) a log file given as stderr
if ldd "$BIN" | grep -E 'libpython|libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime'; then
    echo "package: the runner still links a Swift library or libpython dynamically (above)" >&2
    exit 1
fi

VERSION="$("$BIN" --version | head -n 1 | awk '{print $2}')"
case "$VERSION" in
    [0-9]*.[0-9]*.[0-9]*) ;;
    *) echo "package: cannot read a version from '$BIN --version' (got '$VERSION')" >&2; exit 1 ;;
esac
NAME="bce-conformance-$VERSION-linux-$(uname -m)"

mkdir -p dist
STAGE="$(mktemp -d dist/.staging-XXXXXX)"
trap 'rm -rf "$STAGE"' EXIT
ROOT="$STAGE/$NAME"
mkdir -p "$ROOT/scripts" "$ROOT/docs"
echo "== package: staging $NAME"
install -m 0755 "$BIN" "$ROOT/bce-conformance"
strip "$ROOT/bce-conformance" 2>/dev/null || true
# Whatever golden/ holds (any format version), without caches; the ports likewise.
cp -a golden "$ROOT/golden"
# The example ports as committed (no build products), and the C port built statically, ready to run.
git ls-files -z scripts/ports | xargs -0 cp --parents -t "$ROOT"
scripts/ports/c_port/build.sh "$ROOT/scripts/ports/c_port/bce_port"
# The NumPy reference: `live` uses it where Debian's Python with NumPy is installed.
cp scripts/bce_reference.py "$ROOT/scripts/"
cp docs/RUNNER.md docs/CI.md "$ROOT/docs/"
find "$ROOT" \( -name '__pycache__' -o -name '*.pyc' -o -name '.golden.staging-*' \) -prune -exec rm -rf {} +
cat > "$ROOT/README.md" <<EOF
# bce-conformance $VERSION (linux $(uname -m))

The swift-bce conformance runner and its golden suite, for checking a port of PyTorch's BCELoss /
BCEWithLogitsLoss in any language. No Swift and no Python needed: the runner links only glibc's
libraries (and libstdc++/libgcc_s), and finds golden/ beside itself.

    ./bce-conformance --version
    ./bce-conformance verify                                   # the golden files against MANIFEST.json
    ./bce-conformance run --port ./my-port                     # your port, every golden case
    ./bce-conformance run --port ./my-port --shard 1/4 --junit report-1.xml
    ./bce-conformance run --port scripts/ports/c_port/bce_port  # the C example port, prebuilt (static)

The port protocol and how to write a port: scripts/ports/README.md (example ports beside it).
The runner's manual: docs/RUNNER.md. A GitHub Actions workflow for your repository: docs/CI.md.
The golden format: golden/FORMAT.md and golden/schema/.
\`live\` and \`bench\` check the Swift library against NumPy embedded in-process: they need Debian's
Python and NumPy (apt-get install libpython3.11 python3-numpy); nothing else does. (\`regenerate\`
needs swift-bce's source tree.)
EOF

# Reproducible archive: sorted names, fixed owner, the commit's time, no gzip timestamp.
EPOCH="$(git log -1 --format=%ct 2>/dev/null || echo 0)"
TARBALL="dist/$NAME.tar.gz"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$EPOCH" -C "$STAGE" -cf - "$NAME" \
    | gzip -n -9 > "$STAGE/archive.tar.gz"
mv -f "$STAGE/archive.tar.gz" "$TARBALL"   # atomic: same file system
echo "== package: $TARBALL ($(du -h "$TARBALL" | cut -f1), $(stat -c %s "$TARBALL") bytes)"
