#!/usr/bin/env bash
# Install the mlx backend's packages into the project's virtualenv, then derive its weights
# from the installed ONNX model (no model hub):
#   Apple Silicon: MLX with Metal, the backend `--engine auto` picks there;
#   Linux:         MLX's CPU build, ~30x slower than real time: for the test suite only.
# Checked: on Linux these add packages without replacing any the project already uses.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-$(pwd)/.venv}"
MLX_AUDIO="mlx-audio==0.6.2"

case "$(uname -s)-$(uname -m)" in
Darwin-arm64) packages=("mlx>=0.25" "$MLX_AUDIO" "onnx>=1.16") ;;
Linux-*) packages=("mlx[cpu]==0.32.4" "$MLX_AUDIO" "onnx>=1.16") ;;
*)
    echo "the mlx backend does not run on $(uname -s) $(uname -m); the onnx backend does" >&2
    exit 0
    ;;
esac

echo "==> installing ${packages[*]} into $VENV" >&2
"$VENV/bin/python" -m pip install -q "${packages[@]}"
echo "==> converting the installed Kokoro model for mlx-audio" >&2
"$VENV/bin/kokoro-mcp" model install --engine mlx
