#!/usr/bin/env bash
# Creates (once) tools/.venv with what the fixture, training and peer-benchmark
# scripts need. Sourced by those scripts; never needed at run time or in CI.
# torch is pinned to the CPU wheel: a plain `pip install torch` pulls GBs of CUDA.
set -euo pipefail
TOOLS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$TOOLS_DIR/.venv"
if [[ ! -x $VENV/bin/python ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi
if ! "$VENV/bin/python" -c "import torch, mambapy, safetensors, numpy, transformers, onnxruntime, onnx, matplotlib, av, sentencepiece" 2>/dev/null; then
  "$VENV/bin/pip" install -q "torch==2.13.0+cpu" mambapy safetensors numpy "transformers>=5" tokenizers onnxruntime onnx matplotlib "av==18.1.0" sentencepiece
fi
export PATH="$VENV/bin:$PATH"
