#!/usr/bin/env bash
# Regenerates Tests/Fixtures/mamba with mambapy in tools/.venv (created on first use).
set -euo pipefail
source "$(dirname "$0")/venv.sh"
python "$(dirname "$0")/make_mamba_fixtures.py"
