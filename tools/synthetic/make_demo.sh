#!/usr/bin/env bash
# models/synthetic/demo: the demo camera video (one minute of objects coming
# in, acting and going, combinations the model was trained on) and its true
# events. Debian's python3 + numpy and the ffmpeg CLI; deterministic (seed 11).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
/usr/bin/python3 tools/synthetic/generate.py --out "$out" --seed 11 --test 0 --long 1 --long-seconds 60 --long-split val
mkdir -p models/synthetic/demo
mv "$out/long/camera-0.mp4" models/synthetic/demo/camera.mp4
/usr/bin/python3 - "$out/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
json.dump({"seconds": m["long"][0]["seconds"], "events": m["long"][0]["events"]},
          open("models/synthetic/demo/camera.events.json", "w"), indent=1)
PY
# Nine frames spread over the demo (every 72nd), embedded in the binary: the
# pictures of the load-time check that an int8 model stays close to fp32.
ffmpeg -hide_banner -loglevel error -y -i models/synthetic/demo/camera.mp4 \
  -vf "select='not(mod(n\,72))',setpts=N/(2*TB)" -r 2 -frames:v 9 -c:v mjpeg -q:v 2 \
  models/synthetic/demo/check-frames.mkv
