#!/usr/bin/env bash
# The release tarball in a clean Debian 12 root, with neither Swift nor Python: debootstrap
# --variant=minbase bookworm into .clean-root/bookworm (gitignored; made once, then reused), chroot
# there, unpack the tarball and check that
#   - ldd of the runner lists no libpython and no Swift library (and the root has neither),
#   - `--version`, `verify` and `run --max-ulp 2` (the Swift library, strict mode) exit 0,
#   - `run --port` with the C example port as the tarball ships it (scripts/ports/c_port/bce_port,
#     statically linked) exits 0, in default mode and with --max-ulp 2,
#   - `live`, which needs Python, fails (exit 4, the oracle could not start) naming what to install.
#
#   sudo scripts/clean-root-test.sh [--tarball FILE]
# Needs root (debootstrap, chroot, mount) and, the first time, Debian's mirror. Exit 0 when all holds.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
TARBALL=""
[ "${1:-}" = "--tarball" ] && TARBALL="$2"
if [ "$(id -u)" -ne 0 ]; then echo "clean-root-test: needs root (debootstrap, chroot, mount)" >&2; exit 2; fi
T0=$SECONDS
ROOT="$REPO/.clean-root/bookworm"

if [ ! -x "$ROOT/bin/sh" ] || [ ! -f "$ROOT/.bce-debootstrap-done" ]; then
    command -v debootstrap >/dev/null || apt-get install -y debootstrap
    echo "== clean-root: debootstrap --variant=minbase bookworm $ROOT (a few minutes, once)"
    rm -rf "$ROOT"
    mkdir -p "$(dirname "$ROOT")"
    debootstrap --variant=minbase bookworm "$ROOT" http://deb.debian.org/debian | sed -n '/^I: Base system/p;/^E:/p'
    touch "$ROOT/.bce-debootstrap-done"
fi

if [ -z "$TARBALL" ]; then
    TARBALL="$(ls -t dist/bce-conformance-*-linux-*.tar.gz 2>/dev/null | head -n 1 || true)"
    [ -n "$TARBALL" ] || { scripts/package.sh; TARBALL="$(ls -t dist/bce-conformance-*-linux-*.tar.gz | head -n 1)"; }
fi

# The test's files live in the root's /opt/bce-clean, made afresh each time.
DEST="$ROOT/opt/bce-clean"
cleanup() {
    umount "$ROOT/proc" 2>/dev/null || true
    umount "$ROOT/dev" 2>/dev/null || true
    rm -rf "$DEST"
}
trap cleanup EXIT
rm -rf "$DEST"
mkdir -p "$DEST/work"
cp "$TARBALL" "$DEST/"
mount -t proc proc "$ROOT/proc"
mount --bind /dev "$ROOT/dev"
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root "$@"; }

echo "== clean-root: what the root has"
in_root sh -c '. /etc/os-release; echo "   $PRETTY_NAME, $(dpkg-query -f . -W | wc -c) packages"'
for tool in swift swiftc python3 python; do
    if in_root sh -c "command -v $tool" >/dev/null; then echo "clean-root: the root has $tool" >&2; exit 1; fi
done
if find "$ROOT/usr" "$ROOT/lib" -name 'libpython*' -o -name 'libswiftCore*' | grep .; then
    echo "clean-root: the root has libpython or the Swift runtime (above)" >&2; exit 1
fi
echo "   no swift, swiftc, python3, python; no libpython*, no libswiftCore*"

failed=0
check() {  # check EXPECTED_STATUS DESCRIPTION COMMAND...
    local expected="$1" what="$2"; shift 2
    local start=$SECONDS status=0
    in_root "$@" > "$DEST/out.log" 2>&1 || status=$?
    echo "   [$status] $what ($((SECONDS - start)) s): $(grep -v '^\s*$' "$DEST/out.log" | tail -n 1 | cut -c1-160)"
    if [ "$status" -ne "$expected" ]; then
        echo "clean-root: expected exit $expected from: $*" >&2
        tail -n 20 "$DEST/out.log" >&2
        failed=1
    fi
}

NAME="$(basename "$TARBALL" .tar.gz)"
echo "== clean-root: unpack $NAME.tar.gz inside the root"
in_root tar -xzf "/opt/bce-clean/$NAME.tar.gz" -C /opt/bce-clean
RUNNER="/opt/bce-clean/$NAME/bce-conformance"
echo "== clean-root: ldd $RUNNER (inside the root)"
in_root ldd "$RUNNER" | sed 's/^/   /'
if in_root ldd "$RUNNER" | grep -E 'libpython|libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|not found'; then
    echo "clean-root: the runner needs a library the root lacks, libpython or a Swift library (above)" >&2
    failed=1
fi

echo "== clean-root: the runner, from /opt/bce-clean/work (no golden/ there: the bundled one is used)"
check 0 "--version" sh -c "cd /opt/bce-clean/work && $RUNNER --version"
check 0 "verify" sh -c "cd /opt/bce-clean/work && $RUNNER verify"
check 0 "run --max-ulp 2 (the Swift library, strict)" sh -c "cd /opt/bce-clean/work && $RUNNER run --max-ulp 2"

C_PORT="/opt/bce-clean/$NAME/scripts/ports/c_port/bce_port"
echo "== clean-root: the C example port as shipped: $C_PORT"
in_root ldd "$C_PORT" 2>&1 | sed 's/^/   ldd: /' || true  # "not a dynamic executable": static
check 0 "run --port bce_port (default mode, JUnit report)" sh -c "cd /opt/bce-clean/work && $RUNNER run --port $C_PORT --junit /opt/bce-clean/work/junit.xml"
check 0 "run --port bce_port --max-ulp 2 (strict)" sh -c "cd /opt/bce-clean/work && $RUNNER run --port $C_PORT --max-ulp 2"
check 4 "live (needs Python: must fail naming what to install)" sh -c "cd /opt/bce-clean/work && $RUNNER live --cases 10"
if ! grep -q "apt-get install libpython" "$DEST/out.log"; then
    echo "clean-root: live's error does not say what to install:" >&2
    cat "$DEST/out.log" >&2
    failed=1
fi

echo "== clean-root: $([ "$failed" -eq 0 ] && echo OK || echo FAILED) in $((SECONDS - T0)) s"
exit "$failed"
