#!/usr/bin/env bash
# Runs every check CI runs (.ci/run calls this): set-up if needed, the Python reference's
# self-checks, the golden files' regeneration check (under Debian's NumPy 1.24 and, when this
# machine has one, a NumPy 2.x interpreter too), the full conformance run, PyTorch through the
# suite, the mutant ports' kill matrix, the release tarball with a port's sharded CI run from it
# and a library-only build, the quick hardening checks, the buffer API's zero-allocation check in an
# optimized build, and the Swift tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Each step says how far into the run it starts, so a slow step shows in the CI log.
START=$SECONDS
step() { echo "== [$((SECONDS - START)) s] $*"; }

# Two steps run beside the others, each on a processor the foreground step leaves idle: the Python
# checks (one thread) beside the tarball's build, and the Swift tests' build beside the runner's
# checks (mostly single-threaded Python and ports). scripts/background.sh: in_background, finish.
source scripts/background.sh

DEBIAN_PY=/usr/bin/python3

python_checks() {
    step "Python reference self-checks ($($DEBIAN_PY -I -c 'import numpy, sys; print("Python", sys.version.split()[0], "NumPy", numpy.__version__)'))"
    $DEBIAN_PY -I -m unittest discover -s scripts/tests

    step "golden files: regenerating changes nothing (Debian's NumPy)"
    $DEBIAN_PY -I scripts/generate_golden.py --check

    # Determinism across NumPy versions: any other python3 on PATH with NumPy 2.x (pyenv here).
    local other
    other="$(command -v python3 || true)"
    if [ -n "$other" ] && [ "$(readlink -f "$other")" != "$(readlink -f $DEBIAN_PY)" ] &&
       "$other" -I -c 'import numpy, sys; sys.exit(0 if int(numpy.__version__.split(".")[0]) >= 2 else 1)' 2>/dev/null; then
        step "golden files: regenerating changes nothing ($other, NumPy $("$other" -I -c 'import numpy; print(numpy.__version__)'))"
        "$other" -I scripts/generate_golden.py --check
    else
        step "(no NumPy 2.x interpreter besides Debian's on PATH: cross-version regeneration check not run)"
    fi
}
in_background python "the Python reference's self-checks and the golden regeneration checks" python_checks

# One release build serves every check below: the statically linked runner the tarball ships
# (scripts/package.sh builds it in .build-static), so what CI checks is what port authors download.
step "release tarball (the runner, Swift runtime linked statically; docs/CI.md)"
scripts/package.sh
finish python

step "the buffer API allocates nothing per call (optimized build, every entry point; scripts/alloc-check.sh)"
# Before the tests' build starts: it links the tarball build's library objects, which that build
# compiles again (for the dynamically linked runtime) in the same scratch directory.
scripts/alloc-check.sh

# The tests' build relinks .build-static's runner (dynamically): the checks use a copy of the tarball's.
mkdir -p "$JOBS/bin"
cp "$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)/bce-conformance" "$JOBS/bin/"
BCE_BIN="$JOBS/bin/bce-conformance"
export BCE_BIN

# The tests import the modules plainly (what they reach is `package`), so they test the release
# build users run, without testability; optimized, the suite's numerical tests run about twice as
# fast as in a debug build, and the allocation counts are those of the code users run. assert() is
# compiled out; the library reports bad input by typed errors, never by assertions. In the
# tarball's scratch directory: its C targets (BoringSSL's 390 files for swift-crypto, the kernels)
# have the same compile commands in both builds and are not compiled again; the Swift modules are
# (without --static-swift-stdlib, whose resource directory has no Testing module). Every 40th build
# progress line kept (scripts/build-log-filter); pipefail keeps swift build's exit status.
tests_build() { swift build -c release --build-tests --scratch-path .build-static 2>&1 | scripts/build-log-filter; }
in_background tests_build "swift test's release build (the library, the runner and the test targets)" tests_build

step "full conformance run (that runner)"
scripts/conformance.sh

step "PyTorch 2.15 itself through the suite (scripts/torch-parity.sh: its venv is reused, or installed once)"
scripts/torch-parity.sh
step "mutant ports: every one killed (scripts/kill-matrix.sh writes docs/MUTANTS.md)"
KILL_MATRIX_JOBS=2 scripts/kill-matrix.sh

step "run --html in headless chromium: summary, heatmap, failures with inputs (scripts/check_html_report.py)"
$DEBIAN_PY -I scripts/check_html_report.py --bin "$BCE_BIN"
step "live --port: the NumPy port fuzzed clean, a planted gradient bug caught and reproduced, both --against PyTorch (scripts/live-port.sh)"
LIVE_PORT_REQUIRE_TORCH=1 scripts/live-port.sh 1000

step "a port's CI run from the tarball, shard by shard (docs/CI.md)"
scripts/ci-example.sh
step "a library-only user builds without python3-dev and pkg-config"
scripts/library-only-build.sh

step "quick hardening checks (docs/RELIABILITY.md)"
scripts/hardening-quick.sh

finish tests_build
step "swift test (the release build above)"
swift test -c release --scratch-path .build-static --skip-build
step "done"
