#!/usr/bin/env bash
# Mutation testing of the protection modules (docs/mutation-testing.md). Not part of the test suite or of CI.
# Usage: bash scripts/mutation.sh [SCOPE ...]    (default: gate privacy disclosure ledger)
#   gate        synthcore/fidelity/gate.py                                  unit tests
#   privacy     synthcore/privacy/ (PII scan, decoders, detectors)          unit tests
#   disclosure  synthcore/sample/disclosure.py, noise.py, keyed_ids.py      unit tests
#   ledger      synthcore/load/ledger.py + the loader's chunk transaction    PostgreSQL exactly-once tests, run in
#               (_copy_chunk, finalize_load)                                 a scratch copy (mutants-ledger/)
# Configuration: setup.cfg [mutmut]. Results stay in mutants/ (mutants-ledger/) for `mutmut results` / `mutmut show`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
declare -A GLOBS=(
  [gate]="synthcore.fidelity.gate.*"
  [privacy]="synthcore.privacy.*"
  [disclosure]="synthcore.sample.disclosure.* synthcore.sample.noise.* synthcore.sample.keyed_ids.*"
  [ledger]="synthcore.load.ledger.* synthcore.load.loader.x__copy_chunk* synthcore.load.loader.x_finalize_load*"
)
# The ledger scope's own [mutmut] configuration, written into its scratch copy: only the two load modules are
# mutated (no trampolines elsewhere) and only the PostgreSQL tests that run a chunk transaction are selected, so the
# statistics pass is one run of these tests (about a minute) and each mutant runs the few of them that call it.
LEDGER_CFG="[mutmut]
source_paths = synthcore
only_mutate =
    synthcore/load/ledger.py
    synthcore/load/loader.py
also_copy =
    specs
pytest_add_cli_args = -x
pytest_add_cli_args_test_selection =
    tests/integration/load/test_exactly_once.py
    tests/integration/load/test_loader.py::test_load_gives_exact_counts_and_the_schema_sql_end_state
    tests/integration/load/test_loader.py::test_rerun_skips_every_committed_chunk
    tests/integration/load/test_loader.py::test_mapped_chunk_loads_then_finalize
    tests/integration/load/test_loader.py::test_lost_connection_mid_load_is_transient_and_the_retry_is_exact
"
scopes=("$@")
[ ${#scopes[@]} -eq 0 ] && scopes=(gate privacy disclosure ledger)
unit=() ledger=()
for scope in "${scopes[@]}"; do
  [ -n "${GLOBS[$scope]:-}" ] || { echo "unknown scope: $scope (one of: ${!GLOBS[*]})" >&2; exit 2; }
  read -ra parts <<<"${GLOBS[$scope]}"
  if [ "$scope" = ledger ]; then ledger+=("${parts[@]}"); else unit+=("${parts[@]}"); fi
done

export SYNTHDATA_PG_PREFIX="synthdata-pg-mut$$-"  # this run only: a concurrent run keeps its servers
stop_servers() {  # a mutant that times out is killed together with the server its tests started
  local bindir
  bindir=$(uv run --frozen --project "$root" python -c "from synthcore.pgserver import find_bindir; print(find_bindir())")
  for data in "${TMPDIR:-/tmp}"/"${SYNTHDATA_PG_PREFIX}"*/data; do
    [ -f "$data/postmaster.pid" ] || continue
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$bindir/pg_ctl" stop -D "$data" -m immediate -w >/dev/null || true
    else "$bindir/pg_ctl" stop -D "$data" -m immediate -w >/dev/null || true; fi
  done
  rm -rf "${TMPDIR:-/tmp}"/"${SYNTHDATA_PG_PREFIX}"*
}
trap stop_servers EXIT

run() {  # run mutmut over the given mutant-name globs in the current directory, then print the score
  mkdir -p mutants
  nice -n 10 uv run --frozen --project "$root" mutmut run --max-children "${MUTMUT_CHILDREN:-2}" "$@" \
    | tr '\r' '\n' >mutants/run.log
  uv run --frozen --project "$root" python "$root/scripts/mutation_score.py" "$@"
}

if [ ${#unit[@]} -gt 0 ]; then run "${unit[@]}"; fi
if [ ${#ledger[@]} -gt 0 ]; then
  rm -rf mutants-ledger && mkdir -p mutants-ledger/src
  git ls-files -z | tar --null -T - -cf - | tar -xf - -C mutants-ledger/src  # the working tree's tracked files
  cd mutants-ledger/src
  printf '%s' "$LEDGER_CFG" >setup.cfg
  # the loaders the tests start as subprocesses import the mutated package too (and inherit MUTANT_UNDER_TEST)
  PYTHONPATH="$PWD/mutants" run "${ledger[@]}"
fi
