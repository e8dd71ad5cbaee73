#!/usr/bin/env bash
# PyTorch itself through the suite: installs torch==2.15.0 (CPU use) and NumPy into a virtual
# environment, then runs every golden case on scripts/ports/torch_port.py in the default mode
# (exit 1 on any failure), and the check that the golden files' PyTorch-arithmetic alternatives
# match this torch bit for bit (scripts/check_pytorch_emulation.py), when the repo has it.
#
#   TORCH_VENV   the virtual environment (default: $XDG_CACHE_HOME or ~/.cache, /swift-bce/torch-2.15.0-venv);
#                created if missing, reused (nothing downloaded) when it already has torch 2.15.0
#   TORCH_PYTHON the interpreter that creates it (default: python3.11 or python3 on PATH; torch
#                2.15.0 has wheels for CPython 3.10-3.14)
# The registry's torch 2.15.0 for Linux is the CUDA build: with its nvidia-*/cuda-* wheels and
# triton the environment is about 5.4 GB. Measured (2026-12-01): `pip install --no-deps torch==2.15.0`
# plus its pure-Python requirements gives a 1.4 GB environment in which `import torch` fails
# (ValueError: libcublasLt.so.*[0-9] not found: libtorch_cuda.so, loaded at import, links cudart,
# cublas, cudnn, cufft, cusparse, cusparseLt, cufile, nccl, nvrtc, nvshmem, cupti), so the script
# installs torch with its dependencies. Only the CPU is used.
#   BCE_BIN      a built bce-conformance (default: the release build, built if missing)
#   TORCH_PARITY_EMULATION_ARGS  arguments for check_pytorch_emulation.py (default: none, its defaults)
# Extra arguments go to `bce-conformance run` (e.g. --dtype float16, --format json).
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_VERSION=2.15.0
VENV="${TORCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-bce/torch-$TORCH_VERSION-venv}"

have_torch() {
    [ -x "$VENV/bin/python" ] &&
        "$VENV/bin/python" -c "import sys, torch, numpy; sys.exit(0 if torch.__version__.split('+')[0] == '$TORCH_VERSION' else 1)" 2>/dev/null
}

if have_torch; then
    echo "== torch-parity: reusing $VENV ($("$VENV/bin/python" -c 'import torch, numpy; print("torch", torch.__version__, "numpy", numpy.__version__)'))"
else
    PY="${TORCH_PYTHON:-$(command -v python3.11 || command -v python3)}"
    echo "== torch-parity: installing torch==$TORCH_VERSION into $VENV (with $PY, $("$PY" -c 'import sys; print(sys.version.split()[0])'))"
    start=$(date +%s)
    [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --progress-bar on "torch==$TORCH_VERSION" numpy
    echo "== torch-parity: installed in $(( $(date +%s) - start )) s; the environment is $(du -sh "$VENV" | cut -f1)"
    have_torch || { echo "torch-parity: torch $TORCH_VERSION does not import from $VENV" >&2; exit 2; }
fi

if [ -n "${BCE_BIN:-}" ]; then
    BIN="$BCE_BIN"
else
    swift build -c release --product bce-conformance 2>&1 | scripts/build-log-filter
    BIN="$(swift build -c release --show-bin-path)/bce-conformance"
fi

echo "== torch-parity: bce-conformance run --port torch_port.py (default mode, every golden case)"
status=0
"$BIN" run --port "$VENV/bin/python -I scripts/ports/torch_port.py" --timeout 60 "$@" || status=$?

if [ -f scripts/check_pytorch_emulation.py ]; then
    echo "== torch-parity: scripts/check_pytorch_emulation.py (the golden files' PyTorch alternatives against this torch)"
    # shellcheck disable=SC2086
    "$VENV/bin/python" -I scripts/check_pytorch_emulation.py ${TORCH_PARITY_EMULATION_ARGS:-} || status=1
else
    echo "== torch-parity: (scripts/check_pytorch_emulation.py not in this tree: not run)"
fi
exit $status
