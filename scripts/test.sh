#!/usr/bin/env bash
# The README's test command: set up from nothing, lint, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# Servers started by the tests live under /tmp/$SYNTHDATA_PG_PREFIX*; whatever a killed run leaves is stopped here.
export SYNTHDATA_PG_PREFIX="synthdata-pg-test$$-"
stop_leftover_servers() {
    for pidfile in /tmp/"$SYNTHDATA_PG_PREFIX"*/data/postmaster.pid; do
        [ -f "$pidfile" ] && kill -QUIT "$(head -n 1 "$pidfile")" 2>/dev/null || true
    done
    sleep 1
    rm -rf /tmp/"$SYNTHDATA_PG_PREFIX"*
}
trap stop_leftover_servers EXIT

uv run --frozen ruff check synthcore dags scripts tests benchmarks
uv run --frozen mypy synthcore
uv run --frozen pytest "$@"
