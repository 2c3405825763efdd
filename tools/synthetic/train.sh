#!/usr/bin/env bash
# Rebuilds monitor's default model (models/synthetic) from nothing, on the
# randomised synthetic world (tools/synthetic/styles.py):
#  1. the real pictures (photos.sh: Debian's opencv-doc, unpacked into bench-out/)
#     and the test split (seed 7) filmed in the training styles and in the
#     held-out style, with Debian's python3 + numpy (what Benchmarks/eval-synthetic
#     makes with STYLE=train / STYLE=held-out);
#  2. train.py: the vocabulary, the tiny CLIP and the comparison heads (meanP,
#     causal Transformer, a 4 fps Mamba) on clips and camera videos rendered in
#     the training styles (PyTorch CPU in tools/.venv);
#  3. 48 one-minute camera videos in the training styles (seed 31) labelled with
#     their events, and 24 validation videos (seed 8), no held-out combination;
#  4. tools/train-adapter on them: the temporal adapter the daemon runs, trained
#     at irregular rates (0.125-1 s between frames) from train.py's 4 fps one;
#  5. touches the C file that links the model into the binary, so the next build
#     embeds it, and rewrites the Swift = PyTorch fixtures.
# Then: tools/synthetic/tune_rules.sh (rule thresholds on the validation videos).
# Usage: tools/synthetic/train.sh [extra train.py flags]
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/venv.sh
started=$(date +%s)
tools/synthetic/photos.sh
generate() {  # DIR ARGS...: once (bench-out is kept between runs)
  local dir=$1
  shift
  [[ -f $dir/manifest.json ]] || /usr/bin/python3 tools/synthetic/generate.py --out "$dir" "$@"
}
generate bench-out/synthetic-train --seed 7 --test 240 --long 3 --long-seconds 60 --style train
generate bench-out/synthetic-held-out --seed 7 --test 240 --long 3 --long-seconds 60 --style held-out
generate bench-out/adapter-train-train --seed 31 --test 0 --long 48 --long-seconds 60 --long-split val --style train
generate bench-out/synthetic-val-train --seed 8 --test 0 --long 24 --long-seconds 60 --long-split val --style train
tools/synthetic/make_demo.sh
python tools/synthetic/train.py --data bench-out/synthetic-train --held-out-style bench-out/synthetic-held-out \
  --out models/synthetic "$@"
python tools/temporal/synthetic_labels.py bench-out/adapter-train-train >bench-out/adapter-train-train/labels.jsonl
python tools/temporal/synthetic_labels.py bench-out/synthetic-val-train >bench-out/synthetic-val-train/labels.jsonl
# Started from train.py's 4 fps head (--init): on the first world's validation videos that
# beat fresh weights at every rate (docs/TEMPORAL.md, "Every rate from a 4 fps adapter").
tools/train-adapter --clip models/synthetic --labels bench-out/adapter-train-train/labels.jsonl \
  --validation bench-out/synthetic-val-train/labels.jsonl --work bench-out/train-adapter \
  --init models/synthetic/temporal.safetensors --out models/synthetic/temporal.safetensors
touch Sources/CEmbeddedModel/embedded_model.c
python tools/synthetic/make_synthetic_fixtures.py
echo "train.sh: $(( ($(date +%s) - started) / 60 )) min" >&2
