#!/usr/bin/env bash
# The README's main command: set up from nothing, then run the main job on embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
out="runs/demo"
rm -rf "$out"
uv run --frozen synthcore run --out "$out"
