"""synthetic_dataset run for real with dag.test(): every task against a test PostgreSQL, band ci."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from synthcore.spec.tables import TABLE_SCHEMAS
from tests.airflow_home import DAGS, airflow_connection


@pytest.fixture(scope="module")
def airflow_db() -> None:
    """The SQLite metadata database, migrated once for this module."""
    done = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture
def target(pg_dsn: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("SYNTHDATA_DEADLINE_ALERTS", "off")  # see synthdata_support.run_deadline
    monkeypatch.setenv("AIRFLOW_CONN_SYNTHDATA_TARGET", airflow_connection(pg_dsn))
    monkeypatch.setenv("AIRFLOW_VAR_SYNTHDATA_STORAGE", f"file://{tmp_path}/storage")
    return pg_dsn


def _dag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS), collect_dags=False).process_file(str(DAGS / "synthetic_dataset.py"))[0]


def _checksums(dsn: str, schema: str) -> dict[str, str]:
    """An order-independent checksum of every loaded table, computed in PostgreSQL."""
    with psycopg.connect(dsn) as conn:
        return {
            table: conn.execute(
                sql.SQL("SELECT md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))) FROM {}.{} t").format(
                    sql.Identifier(schema), sql.Identifier(table)
                )
            ).fetchone()[0]
            for table in TABLE_SCHEMAS
        }


def _run(seed: str, keep: bool) -> tuple[object, dict]:
    from airflow.utils.state import DagRunState

    dag = _dag()
    conf = {"band": "ci", "seed": seed, "metrics_pack": "builtin", "keep_dataset": keep, "baseline_runs": 1}
    dr = dag.test(run_conf=conf)
    assert dr.state == DagRunState.SUCCESS, [(ti.task_id, ti.map_index, ti.state) for ti in dr.get_task_instances()]
    return dr, {ti.task_id: ti.state for ti in dr.get_task_instances()}


def test_every_task_runs_and_the_same_seed_loads_identical_tables(airflow_db: None, target: str, tmp_path: Path):
    from synthcore import stages
    from synthcore.names import default_schema_name

    schema = default_schema_name("ci", "demo")
    _, states = _run("demo", keep=True)
    expected = {
        "calibrate", "plan", "chunk.generate", "chunk.load", "finalize", "verify", "warm", "fidelity",
        "baseline_before", "phase_2_indexes", "baseline_after", "compare", "drop_schema", "run_report",
    }  # fmt: skip
    assert set(states) == expected
    assert states["drop_schema"] == "skipped" and all(s in ("success", "skipped") for s in states.values())
    first = _checksums(target, schema)
    stages.teardown(target, schema)
    _run("demo", keep=True)
    assert _checksums(target, schema) == first
    runs = sorted((tmp_path / "storage" / "runs").iterdir())
    assert len(runs) == 2
    report = json.loads((runs[-1] / "reports" / "run-report.json").read_text())
    assert report["verify"]["failed"] == 0 and report["compare"]["verdict"] == "GO"
    assert report["calibrate"]["seed"] == "demo" and report["calibrate"]["schema"] == schema
    assert sum(load["rows"]["messages"] for load in report["loads"]) == 50_000
