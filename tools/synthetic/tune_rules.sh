#!/usr/bin/env bash
# Picks the thresholds of models/synthetic/rules on 24 one-minute validation
# camera videos (seed 8, no held-out combinations, 348 true events), scored by
# `monitor replay` with the embedded model exactly as the daemon scores them.
# Run after train.sh (about a minute).
set -euo pipefail
cd "$(dirname "$0")/../.."
data=bench-out/synthetic-val
/usr/bin/python3 tools/synthetic/generate.py --out "$data" --seed 8 --test 0 --long 24 --long-seconds 60 --long-split val
swift build -c release --product monitor >/dev/null
reports=()
for i in $(seq 0 23); do
  .build/release/monitor replay "$data/long/camera-$i.mp4" --rules-dir models/synthetic/rules --fps 4 --json \
    >"$data/replay-$i.json" 2>/dev/null
  reports+=("$data/replay-$i.json")
done
/usr/bin/python3 tools/synthetic/tune_rules.py models/synthetic/rules "$data/manifest.json" "${reports[@]}"
