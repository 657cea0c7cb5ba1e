#!/usr/bin/env bash
# The README's test command: set up from nothing, lint, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
uv run --frozen ruff check synthcore tests benchmarks
uv run --frozen pytest "$@"
