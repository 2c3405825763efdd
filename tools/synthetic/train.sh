#!/usr/bin/env bash
# Rebuilds monitor's default model (models/synthetic) from nothing: generates
# the synthetic test split and demo camera video with Debian's python3 + numpy
# (the same bytes Benchmarks/eval-synthetic makes), trains in tools/.venv
# (PyTorch CPU, transformers, mambapy), exports, and touches the C file that
# links the model into the binary so the next build embeds the new one.
# About 15 minutes on 2 cores. Usage: tools/synthetic/train.sh [extra train.py flags]
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/venv.sh
data=bench-out/synthetic
/usr/bin/python3 tools/synthetic/generate.py --out "$data" --seed 7 --test 240 --long 3 --long-seconds 60
tools/synthetic/make_demo.sh
python tools/synthetic/train.py --data "$data" --out models/synthetic "$@"
touch Sources/CEmbeddedModel/embedded_model.c
python tools/synthetic/make_synthetic_fixtures.py
