#!/usr/bin/env bash
# End-to-end check of tools/train-adapter (on demand; ~5 min): trains briefly,
# exports, and checks that the daemon loads the export and steps it exactly as
# PyTorch does, on the embedded model's world and, for shapes and plumbing
# (width 512), on a random-weight ViT-B/32 checkpoint:
#  1. train-adapter on four synthetic camera videos (few steps), export;
#  2. `monitor replay` loads CLIP + the export (exit 0);
#  3. `monitor-bench adapter-trace` at 3 fps (irregular intervals from an 8 fps
#     video) against tools/temporal/check_export.py: adapter outputs equal to
#     1e-4, CLIP embeddings to cosine 0.999;
#  4. train-adapter --retrospective (few steps) on the same videos, and
#     `monitor-bench memory --retrospective` loads the export and searches
#     with it (Swift = PyTorch for the re-ranker is a CI test).
# Usage: tools/temporal/check_export.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v swift >/dev/null && [[ -x /opt/swift/usr/bin/swift ]]; then export PATH=/opt/swift/usr/bin:$PATH; fi
work=${1:-$(mktemp -d)}
mkdir -p "$work"
source tools/venv.sh
swift build -c release --product monitor >/dev/null
swift build -c release --package-path Benchmarks --product monitor-bench >/dev/null
data=$work/videos
[[ -f $data/manifest.json ]] || /usr/bin/python3 tools/synthetic/generate.py --out "$data" --seed 41 --test 0 --long 4 \
  --long-seconds 30 --long-split val >/dev/null
python tools/temporal/synthetic_labels.py "$data" >"$work/labels.jsonl"
python tools/temporal/memory_labels.py "$data" >"$work/memory-labels.jsonl"
[[ -f $work/vitb32/model.safetensors ]] || python tools/fixtures/make_clip_fixtures.py --full "$work/vitb32" >/dev/null
video=models/synthetic/demo/camera.mp4
for clip in models/synthetic "$work/vitb32"; do
  name=$(basename "$clip")
  echo "== $name"
  tools/train-adapter --clip "$clip" --labels "$work/labels.jsonl" --out "$work/$name.temporal.safetensors" \
    --work "$work/$name-work" --steps 20 --batch 4 2>&1 | grep -E "train-adapter:" || true
  .build/release/monitor replay "$video" --model "$clip" --temporal "$work/$name.temporal.safetensors" \
    --rule "something falls" --fps 2 --seconds 10 --precision fp32 >/dev/null 2>"$work/replay.log" ||
    { cat "$work/replay.log"; exit 1; }
  echo "monitor replay loads it"
  Benchmarks/.build/release/monitor-bench adapter-trace --model "$clip" --temporal "$work/$name.temporal.safetensors" \
    --video "$video" --fps 3 >"$work/$name.trace.json"
  python tools/temporal/check_export.py "$clip" "$work/$name.temporal.safetensors" "$video" "$work/$name.trace.json" 3 \
    2>&1 | grep -v "Loading weights"
  tools/train-adapter --retrospective --clip "$clip" --labels "$work/memory-labels.jsonl" \
    --out "$work/$name.retrospective.safetensors" --work "$work/$name-work" --steps 20 --batch 4 --block-seconds 10 \
    2>&1 | grep -E "train-adapter:" || true
  Benchmarks/.build/release/monitor-bench memory --data "$data" --model "$clip" --block-seconds 10 \
    --retrospective "$work/$name.retrospective.safetensors" | grep -E "bidir"
  echo "monitor-bench memory searches with the re-ranker"
done
