#!/usr/bin/env bash
# Picks the thresholds of models/synthetic/rules on 24 one-minute validation
# camera videos (seed 8, filmed in the randomised world's training styles, no
# held-out combination), each replayed at 1, 2, 4 and 8 fps by `monitor replay`
# exactly as the daemon scores them: one set of thresholds for every rate.
# Run after train.sh (a few minutes).
#   MODEL=DIR TEMPORAL=FILE  another model than the embedded one
#   RULES=DIR                the rules to rewrite (default models/synthetic/rules)
#   RATES="1 2 4 8"  STYLE=train|classic
set -euo pipefail
cd "$(dirname "$0")/../.."
rules=${RULES:-models/synthetic/rules}
rates=${RATES:-1 2 4 8}
style=${STYLE:-train}
data=bench-out/synthetic-val
[[ $style == classic ]] || data=bench-out/synthetic-val-$style
model=()
[[ -n ${MODEL:-} ]] && model=(--model "$MODEL" --temporal "${TEMPORAL:-$MODEL/temporal.safetensors}")
[[ $style == classic ]] || tools/synthetic/photos.sh
[[ -f $data/manifest.json ]] ||
  /usr/bin/python3 tools/synthetic/generate.py --out "$data" --seed 8 --test 0 --long 24 --long-seconds 60 \
    --long-split val --style "$style"
swift build -c release --product monitor >/dev/null
# tune_rules.py pairs the reports with the manifest's videos by position, so
# they are replayed in the manifest's order (a glob puts camera-10 before camera-2).
mapfile -t videos < <(/usr/bin/python3 -c 'import json, sys
for video in json.load(open(sys.argv[1]))["long"]: print(video["file"])' "$data/manifest.json")
reports=()
for fps in $rates; do
  echo "tune_rules: replaying the validation videos at $fps fps" >&2
  for video in "${videos[@]}"; do
    report=$data/replay-$(basename "$video" .mp4)-fps$fps.json
    .build/release/monitor replay "$data/$video" --rules-dir "$rules" "${model[@]}" --fps "$fps" --precision fp32 --json \
      >"$report" 2>/dev/null
    reports+=("$report")
  done
done
/usr/bin/python3 tools/synthetic/tune_rules.py "$rules" "$data/manifest.json" "${reports[@]}"
