#!/usr/bin/env bash
# Regenerates Tests/Fixtures/synthetic from models/synthetic (run after tools/synthetic/train.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/venv.sh
python tools/synthetic/make_synthetic_fixtures.py
