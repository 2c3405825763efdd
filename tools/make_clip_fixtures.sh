#!/usr/bin/env bash
# Regenerates Tests/Fixtures/clip with transformers in tools/.venv (created on first use).
# With --full DIR: writes the full ViT-B/32 architecture (random weights) to DIR.
set -euo pipefail
source "$(dirname "$0")/venv.sh"
python "$(dirname "$0")/make_clip_fixtures.py" "$@"
