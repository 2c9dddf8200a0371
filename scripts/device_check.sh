#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU: fresh venv with the `gpu` extra, what MindSpore sees,
# the device test tier, a short dcgan training, mindgan.bench and benchmarks/compare.py on the GPU,
# all figures in one JSON file (default device_check.json). Unattended, within 8 minutes.
# Without a GPU it says so in one line and exits 0.
#   scripts/device_check.sh [--out FILE] [--venv DIR] [--budget SECONDS]
# PIP_ARGS (e.g. "--no-index --find-links /wheels") is passed to every pip install.
set -u
cd "$(dirname "$0")/.."
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
    echo "device_check: no NVIDIA GPU on this machine (no nvidia-smi, or it lists no GPU): nothing to check"
    exit 0
fi
exec python3 scripts/device_check.py "$@"
