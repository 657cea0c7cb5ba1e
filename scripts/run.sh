#!/usr/bin/env bash
# The README's main command: set up from nothing, then run the synthetic_dataset DAG through Airflow on embedded
# defaults (SQLite metadata, a throwaway PostgreSQL, local chunk storage, band ci) and print where the reports are.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -rf runs/airflow
uv run --frozen python scripts/local_airflow.py demo --band ci --seed demo --out runs/airflow
