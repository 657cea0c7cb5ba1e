"""Run the synthdata DAGs on this machine: a throwaway PostgreSQL, SQLite metadata, local chunk storage.

    python scripts/local_airflow.py demo [--band ci] [--seed demo]   # synthetic_dataset once, through Airflow
    python scripts/local_airflow.py standalone                       # Airflow UI + both DAGs, until Ctrl-C

Both start a PostgreSQL server of their own (removed on exit) holding a stand-in "production" (the built-in spec's
ci dataset, for prod_shape_extraction in local mode) and an empty "target" database for synthetic_dataset.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from synthcore import stages
from synthcore.pgserver import running_server

REPO = Path(__file__).resolve().parents[1]


def _connection(dsn: str) -> str:
    parts = conninfo_to_dict(dsn)
    fields = {"host": parts["host"], "port": int(parts["port"]), "login": parts["user"], "schema": parts["dbname"]}
    return json.dumps({"conn_type": "postgres", **fields})


def _environment(home: Path, storage: Path, prod: str, target: str) -> dict[str, str]:
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,privacy-officer:admin",
        "SYNTHDATA_SAMPLER_MODE": "local",
        "SYNTHDATA_PRIVACY_OFFICERS": "privacy-officer:Privacy officer",
        "AIRFLOW_CONN_SYNTHDATA_PROD": _connection(prod),
        "AIRFLOW_CONN_SYNTHDATA_TARGET": _connection(target),
        "AIRFLOW_VAR_SYNTHDATA_STORAGE": f"file://{storage}",
        "AIRFLOW_VAR_SYNTHDATA_ANONYMIZATION_KEY": secrets.token_hex(32),
        "AIRFLOW_VAR_SYNTHDATA_PROD_SCHEMA": "stand_in_production",
    }


def _airflow(env: dict[str, str], *args: str) -> int:
    return subprocess.call([sys.executable, "-m", "airflow", *args], env=env)


def main() -> int:
    """Parse the command line, start the databases, run Airflow."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["demo", "standalone"])
    parser.add_argument("--band", default="ci")
    parser.add_argument("--seed", default="demo")
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "airflow")
    args = parser.parse_args()
    out = args.out.resolve()
    home, storage = out / "airflow-home", out / "storage"
    home.mkdir(parents=True, exist_ok=True)
    with running_server() as server, tempfile.TemporaryDirectory() as tmp:
        prod, target = server.create_database("production"), server.create_database("target")
        stages.generate(Path(tmp) / "production", "ci", "stand-in-production")
        stages.load(prod, Path(tmp) / "production", "stand_in_production", Path(tmp) / "runs")
        env = _environment(home, storage, prod, target)
        if _airflow(env, "db", "migrate") != 0:
            return 1
        if args.mode == "standalone":
            passwords = home / "simple_auth_manager_passwords.json.generated"
            print(f"Airflow UI: http://localhost:8080 (users admin and privacy-officer; passwords in {passwords})")
            return _airflow(env, "standalone")
        env["SYNTHDATA_DEADLINE_ALERTS"] = "off"  # Airflow 3.3.2's `dags test` crashes on a successful run with one
        conf = {"band": args.band, "seed": args.seed, "metrics_pack": "builtin", "baseline_runs": 3}
        code = _airflow(env, "dags", "test", "synthetic_dataset", "--conf", json.dumps(conf))
        reports = sorted((storage / "runs").glob("*/reports/run-report.md"), key=lambda p: p.stat().st_mtime)
        if reports:
            print(f"\nrun report: {reports[-1]}\nreports:    {reports[-1].parent}")
        return code


if __name__ == "__main__":
    sys.exit(main())
