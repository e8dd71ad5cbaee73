#!/usr/bin/env bash
# The conformance matrix (issue 13): runs every golden case on the Swift library, the NumPy and C
# example ports, PyTorch, JAX/optax, Keras 3 (JAX backend) and tinygrad, each framework in its own
# cached virtual environment, and writes docs/MATRIX.md from the JSON reports
# (scripts/matrix_report.py). Not run by CI: the environments are large (about 6.5 GB, torch's 5.4).
#
#   scripts/matrix.sh [NAME ...]     only these implementations (swift numpy c torch jax keras tinygrad),
#                                    docs/MATRIX.md then from every report present in MATRIX_OUT
#   MATRIX_CACHE   where the environments live (default: $XDG_CACHE_HOME or ~/.cache, /swift-bce); each
#                  is created if missing and reused, nothing downloaded, when it has its pinned versions
#   MATRIX_PYTHON  the interpreter that creates the JAX, Keras and tinygrad environments (default: the
#                  first CPython >= 3.12 found: python3.12..python3.14 on PATH, then pyenv's; jax 0.12
#                  needs 3.12). pip's own cache (~/.cache/pip) is used, so a rebuilt environment
#                  downloads nothing it downloaded before.
#   TORCH_VENV     PyTorch's environment (default: MATRIX_CACHE/torch-2.15.0-venv, shared with
#                  scripts/torch-parity.sh), TORCH_PYTHON the interpreter that creates it
#   MATRIX_OUT     the JSON (and, when the runner has --html, HTML) reports (default: .build/matrix)
#   MATRIX_DOC     the Markdown written (default: docs/MATRIX.md)
#   MATRIX_SHARDS  run each port as N concurrent shards (--shard K/N; default 1), for a machine with cores to spare
#   MATRIX_TIMEOUT seconds a port may take for one case (default 600: on a loaded 2-core machine tinygrad
#                  took over 120 s to compile and run bce_with_logits/bfloat16/none/pos-weight-per-channel-bchw)
#   BCE_BIN        a built bce-conformance (default: the release build, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${MATRIX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-bce}"
OUT="${MATRIX_OUT:-.build/matrix}"
DOC="${MATRIX_DOC:-docs/MATRIX.md}"
ALL=(swift numpy c torch jax keras tinygrad)
SELECTED=("$@")
[ ${#SELECTED[@]} -gt 0 ] || SELECTED=("${ALL[@]}")
for name in "${SELECTED[@]}"; do
    [[ " ${ALL[*]} " == *" $name "* ]] || { echo "matrix: unknown implementation $name (one of: ${ALL[*]})" >&2; exit 2; }
done
mkdir -p "$OUT" "$CACHE"
started=$(date +%s)

# Pinned versions: the newest on the registry for CPython 3.12 on 2026-12-02.
TORCH_VERSION=2.15.0
JAX_VERSION=0.12.0.1
OPTAX_VERSION=0.2.8
KERAS_VERSION=3.15.1
TINYGRAD_VERSION=0.14.0

find_python() {
    if [ -n "${MATRIX_PYTHON:-}" ]; then echo "$MATRIX_PYTHON"; return; fi
    local candidate
    for candidate in python3.12 python3.13 python3.14; do
        if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
            command -v "$candidate"; return
        fi
    done
    if command -v pyenv >/dev/null 2>&1; then
        for candidate in "$(pyenv root)"/versions/3.1[234]*/bin/python; do
            [ -x "$candidate" ] && { echo "$candidate"; return; }
        done
    fi
    echo "matrix: no CPython >= 3.12 found (jax $JAX_VERSION needs one): set MATRIX_PYTHON" >&2
    exit 2
}

# ensure_venv DIR PYTHON CHECK -- REQUIREMENT...: DIR has a venv in which CHECK (Python code) exits 0,
# else it is created with PYTHON and the requirements installed (progress printed).
ensure_venv() {
    local dir="$1" py="$2" check="$3"
    shift 4
    if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "$check" 2>/dev/null; then
        echo "== matrix: reusing $dir"
        return
    fi
    echo "== matrix: installing $* into $dir (with $py, $("$py" -c 'import sys; print(sys.version.split()[0])'))"
    local start
    start=$(date +%s)
    [ -x "$dir/bin/python" ] || "$py" -m venv "$dir"
    "$dir/bin/python" -m pip install --progress-bar on "$@"
    echo "== matrix: installed in $(( $(date +%s) - start )) s; the environment is $(du -sh "$dir" | cut -f1)"
    "$dir/bin/python" -c "$check" || { echo "matrix: $dir does not have what was installed" >&2; exit 2; }
}

# dist_is NAME=VERSION...: Python code that exits 0 when every distribution has that version
dist_is() {
    local pairs="" pair
    for pair in "$@"; do pairs+="('${pair%%=*}', '${pair#*=}'),"; done
    echo "import sys; from importlib.metadata import version; sys.exit(0 if all(version(n) == v for n, v in [$pairs]) else 1)"
}

if [ -n "${BCE_BIN:-}" ]; then
    BIN="$BCE_BIN"
else
    echo "== matrix: swift build -c release --product bce-conformance"
    swift build -c release --product bce-conformance 2>&1 | scripts/build-log-filter
    BIN="$(swift build -c release --show-bin-path)/bce-conformance"
fi
HELP="$("$BIN" run --help)"
has_option() { grep -q -- "$1" <<<"$HELP"; }

# one_run REPORT ARGS...: one bce-conformance run, its JSON report in REPORT (stderr beside it)
one_run() {
    local report="$1" status=0
    shift
    "$BIN" run "$@" > "$report.tmp" 2> "${report%.json}.stderr" || status=$?
    if [ "$status" -gt 1 ]; then
        # exit 0/1: the report is complete; anything else: the port broke or the run was refused
        echo "matrix: $report: bce-conformance exited $status; its stderr:" >&2
        tail -20 "${report%.json}.stderr" >&2
    fi
    mv "$report.tmp" "$report"
    return "$status"
}

# run_suite NAME [PORT COMMAND]: every golden case, the JSON report in OUT/NAME.json, or with
# MATRIX_SHARDS=N > 1 in OUT/NAME.shard-K.json from N concurrent runs (matrix_report.py merges them)
run_suite() {
    local name="$1" port="${2:-}" args=(--format json) start status=0 shards="${MATRIX_SHARDS:-1}" k rc pids=()
    [ -z "$port" ] || args+=(--port "$port" --timeout "${MATRIX_TIMEOUT:-600}")
    echo "== matrix: $name: bce-conformance run ${port:+--port \"$port\"} (every golden case${port:+, $shards shard(s)})"
    start=$(date +%s)
    rm -f "$OUT/$name.json" "$OUT/$name".shard-*.json
    if [ -z "$port" ] || [ "$shards" -le 1 ]; then
        has_option --html && args+=(--html "$OUT/$name.html")
        one_run "$OUT/$name.json" "${args[@]}" || status=$?
    else
        for k in $(seq 1 "$shards"); do
            one_run "$OUT/$name.shard-$k.json" "${args[@]}" --shard "$k/$shards" &
            pids+=($!)
        done
        for k in "${pids[@]}"; do
            rc=0
            wait "$k" || rc=$?
            [ "$rc" -le "$status" ] || status=$rc
        done
    fi
    echo "== matrix: $name: exit $status in $(( $(date +%s) - start )) s"
}

for name in "${SELECTED[@]}"; do
    case "$name" in
    swift) run_suite swift ;;
    numpy) run_suite numpy "/usr/bin/python3 -I scripts/ports/numpy_port.py" ;;
    c)
        scripts/ports/c_port/build.sh "$OUT/bce_port"
        run_suite c "$OUT/bce_port" ;;
    torch)
        venv="${TORCH_VENV:-$CACHE/torch-$TORCH_VERSION-venv}"
        ensure_venv "$venv" "${TORCH_PYTHON:-$(command -v python3.11 || command -v python3)}" \
            "$(dist_is torch=$TORCH_VERSION)" -- "torch==$TORCH_VERSION" numpy
        run_suite torch "$venv/bin/python -I scripts/ports/torch_port.py" ;;
    jax)
        venv="$CACHE/jax-$JAX_VERSION-venv"
        ensure_venv "$venv" "$(find_python)" "$(dist_is jax=$JAX_VERSION jaxlib=$JAX_VERSION optax=$OPTAX_VERSION)" -- \
            "jax==$JAX_VERSION" "jaxlib==$JAX_VERSION" "optax==$OPTAX_VERSION" numpy
        run_suite jax "$venv/bin/python -I scripts/ports/jax_port.py" ;;
    keras)
        venv="$CACHE/keras-$KERAS_VERSION-venv"
        ensure_venv "$venv" "$(find_python)" "$(dist_is keras=$KERAS_VERSION jax=$JAX_VERSION)" -- \
            "keras==$KERAS_VERSION" "jax==$JAX_VERSION" "jaxlib==$JAX_VERSION" numpy
        run_suite keras "$venv/bin/python -I scripts/ports/keras_port.py" ;;
    tinygrad)
        venv="$CACHE/tinygrad-$TINYGRAD_VERSION-venv"
        ensure_venv "$venv" "$(find_python)" "$(dist_is tinygrad=$TINYGRAD_VERSION)" -- \
            "tinygrad==$TINYGRAD_VERSION" numpy
        run_suite tinygrad "$venv/bin/python -I scripts/ports/tinygrad_port.py" ;;
    esac
done

reports=()
for name in "${ALL[@]}"; do
    for report in "$OUT/$name.json" "$OUT/$name".shard-*.json; do
        [ -f "$report" ] && reports+=("$report")
    done
done
clean=()
[[ " ${reports[*]} " != *"/torch."* ]] || clean=(--expect-clean PyTorch)  # the specification: no failure allowed
echo "== matrix: writing $DOC from ${#reports[@]} reports"
status=0
/usr/bin/python3 -I scripts/matrix_report.py --out "$DOC" "${clean[@]}" "${reports[@]}" || status=$?
echo "== matrix: done in $(( $(date +%s) - started )) s; environments: $(du -shc "$CACHE"/*-venv 2>/dev/null | tail -1 | cut -f1)"
exit $status
