#!/usr/bin/env bash
# GPU self-check (bench/gpu_check.py; how to run and the last numbers: bench/README.md).
# Needs no network and nothing outside this repository: it uses this machine's torch/transformers/peft/trl
# and, for any of the small packages below that are missing, wheels from bench/wheels/ installed into
# bench/.gpu-check-site/ (never into the machine's Python).
#
#   bench/gpu_check.sh [--dry-run] [--out DIR] [--budget-s 480] [--sizes 0.5b,1.5b,7b]
#   bench/gpu_check.sh --fetch-wheels     # where there is network: download those wheels into bench/wheels/
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
PYTHON="${PYTHON:-$(command -v python3 || command -v python)}"
WHEELS="$HERE/wheels"
SITE="$HERE/.gpu-check-site"
# the project's pins (pyproject.toml) of the pure-Python packages the check imports besides torch
PINS="transformers==5.23.0 peft==0.21.2 trl==1.16.0 accelerate==1.15.0 datasets==5.2.0 safetensors==0.8.0"

if [ "${1:-}" = "--fetch-wheels" ]; then
  exec "$PYTHON" -m pip download --no-deps --dest "$WHEELS" $PINS
fi

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
export PIP_NO_INDEX=1 TOKENIZERS_PARALLELISM=false
export PYTHONPATH="$ROOT:$SITE${PYTHONPATH:+:$PYTHONPATH}"

if ! "$PYTHON" -c "import torch" 2>/dev/null; then
  echo "error: $PYTHON has no torch; the check uses the GPU machine's own torch" >&2
  exit 2
fi
missing=""
for pin in $PINS; do
  name="${pin%%==*}"
  "$PYTHON" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('$name') is None)" || missing="$missing $pin"
done
if [ -n "$missing" ]; then
  if ! compgen -G "$WHEELS/*.whl" >/dev/null; then
    echo "error: missing:$missing; put their wheels in $WHEELS (bench/gpu_check.sh --fetch-wheels)" >&2
    exit 2
  fi
  echo "installing$missing from $WHEELS into $SITE"
  "$PYTHON" -m pip install --quiet --no-index --no-deps --find-links "$WHEELS" --target "$SITE" $missing
fi
exec "$PYTHON" "$HERE/gpu_check.py" "$@"
