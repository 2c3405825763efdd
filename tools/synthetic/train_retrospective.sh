#!/usr/bin/env bash
# Trains the embedded model's retrospective re-ranker (models/synthetic/
# retrospective.safetensors: the bidirectional Mamba `monitor search` re-ranks
# its memory with) with `tools/train-adapter --retrospective`:
#  - training streams: twelve hour-long camera videos of the synthetic world
#    (seeds 63, 64, 65; no held-out combination), compressed as the daemon
#    stores its memory at 2 and 4 fps, labelled with every event's caption and
#    every stretch an object is in view (tools/temporal/memory_labels.py);
#  - validation: the two hour-long videos Benchmarks/eval-memory chose the
#    memory's defaults on (seed 61); the test videos (seed 62) are never read.
# Then touches the C file that links the model into the binary, so the next
# build embeds it. About 10 minutes the first time (video generation), 4 after.
# Usage: tools/synthetic/train_retrospective.sh [extra train-adapter flags]
set -euo pipefail
cd "$(dirname "$0")/../.."
generate() {  # DIR SEED SPLIT: once (bench-out is kept between runs)
  [[ -f $1/manifest.json ]] || /usr/bin/python3 tools/synthetic/generate.py --out "$1" --seed "$2" --test 0 \
    --long 4 --long-seconds 3600 --style classic --long-split val
}
generate bench-out/memory-train 63
generate bench-out/memory-train-64 64
generate bench-out/memory-train-65 65
[[ -f bench-out/memory-val/manifest.json ]] || /usr/bin/python3 tools/synthetic/generate.py --out bench-out/memory-val \
  --seed 61 --test 0 --long 2 --long-seconds 3600 --style classic --long-split val
for dir in memory-train memory-train-64 memory-train-65; do
  /usr/bin/python3 tools/temporal/memory_labels.py bench-out/$dir
done >bench-out/memory-train/retrospective-labels.jsonl
/usr/bin/python3 tools/temporal/memory_labels.py bench-out/memory-val >bench-out/memory-val/retrospective-labels.jsonl
tools/train-adapter --retrospective --clip models/synthetic --labels bench-out/memory-train/retrospective-labels.jsonl \
  --validation bench-out/memory-val/retrospective-labels.jsonl --work bench-out/train-retrospective \
  --out models/synthetic/retrospective.safetensors "$@"
touch Sources/CEmbeddedModel/embedded_model.c
