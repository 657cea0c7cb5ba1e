#!/usr/bin/env bash
# Mutation testing of the protection modules (docs/mutation-testing.md). Not part of the test suite or of CI.
# Usage: bash scripts/mutation.sh [SCOPE ...]    (default: every scope)
#   gate        synthcore/fidelity/gate.py
#   privacy     synthcore/privacy/ (PII scan, decoders, detectors)
#   disclosure  synthcore/sample/disclosure.py, noise.py, keyed_ids.py
#   ledger      synthcore/load/ledger.py and the loader's chunk transaction (_copy_chunk, finalize_load)
#   sampler     synthcore/sample/assembly.py, sampler.py, publish.py (slow: PostgreSQL per mutant)
# Configuration: setup.cfg [mutmut]. Tests start their own PostgreSQL under a prefix this script cleans up.
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A GLOBS=(
  [gate]="synthcore.fidelity.gate.*"
  [privacy]="synthcore.privacy.*"
  [disclosure]="synthcore.sample.disclosure.* synthcore.sample.noise.* synthcore.sample.keyed_ids.*"
  [ledger]="synthcore.load.ledger.* synthcore.load.loader.x__copy_chunk* synthcore.load.loader.x_finalize_load*"
  [sampler]="synthcore.sample.assembly.* synthcore.sample.sampler.* synthcore.sample.publish.*"
)
scopes=("$@")
[ ${#scopes[@]} -eq 0 ] && scopes=(gate privacy disclosure ledger sampler)
names=()
for scope in "${scopes[@]}"; do
  [ -n "${GLOBS[$scope]:-}" ] || { echo "unknown scope: $scope (one of: ${!GLOBS[*]})" >&2; exit 2; }
  read -ra parts <<<"${GLOBS[$scope]}"
  names+=("${parts[@]}")
done
export SYNTHDATA_PG_PREFIX="synthdata-pg-mutmut-"
stop_servers() {  # a mutant that times out is killed with the server its tests started
  for data in "${TMPDIR:-/tmp}"/${SYNTHDATA_PG_PREFIX}*/data; do
    [ -f "$data/postmaster.pid" ] || continue
    bindir=$(uv run --frozen python -c "from synthcore.pgserver import find_bindir; print(find_bindir())")
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$bindir/pg_ctl" stop -D "$data" -m immediate -w >/dev/null || true
    else "$bindir/pg_ctl" stop -D "$data" -m immediate -w >/dev/null || true; fi
  done
  rm -rf "${TMPDIR:-/tmp}"/${SYNTHDATA_PG_PREFIX}*
}
trap stop_servers EXIT
mkdir -p mutants
nice -n 10 uv run --frozen mutmut run --max-children "${MUTMUT_CHILDREN:-2}" "${names[@]}" | tr '\r' '\n' >mutants/run.log
uv run --frozen python scripts/mutation_score.py "${names[@]}"
