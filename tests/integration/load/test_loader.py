"""Loading against a real server: exact counts, end state equal to specs/schema.sql, retries, chunk mode, guards."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import psycopg
import pytest
from conftest import CHUNKS, SCHEMA, Dataset

from synthcore.errors import ChunkOutOfRange, InputError, LoadError, ProductionTargetRefused, TransientLoadError
from synthcore.load import load_dataset
from synthcore.load.schema import SCHEMA_SQL
from synthcore.spec.tables import TABLES

CATALOG_SQL = """
SELECT 'column', c.relname || '.' || a.attname, format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = %(ns)s::text::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND c.relname = ANY(%(tables)s)
UNION ALL
SELECT 'constraint', conname, replace(pg_get_constraintdef(oid), %(ns)s::text || '.', '') FROM pg_constraint
WHERE connamespace = %(ns)s::text::regnamespace AND conrelid::regclass::text NOT LIKE '%%synthcore%%'
UNION ALL
SELECT 'reloptions', relname, coalesce(array_to_string(reloptions, ','), '-') FROM pg_class
WHERE relnamespace = %(ns)s::text::regnamespace AND relname = ANY(%(tables)s)
UNION ALL
SELECT 'index', indexname, replace(indexdef, %(ns)s::text || '.', '') FROM pg_indexes
WHERE schemaname = %(ns)s::text AND tablename = ANY(%(tables)s)
ORDER BY 1, 2
"""


def _counts(dsn: str, schema: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {t: conn.execute(f'SELECT count(*) FROM "{schema}"."{t}"').fetchone()[0] for t in TABLES}


def _catalog(conn: psycopg.Connection, schema: str) -> list[tuple[str, str, str]]:
    return conn.execute(CATALOG_SQL, {"ns": schema, "tables": list(TABLES)}).fetchall()


def test_load_gives_exact_counts_and_the_schema_sql_end_state(loaded: str, dataset: Dataset, runs_dir: Path) -> None:
    assert _counts(loaded, SCHEMA) == {t: dataset.report.tables[t].rows for t in TABLES}
    with psycopg.connect(loaded) as conn:
        conn.execute("CREATE SCHEMA reference")
        conn.execute("SET search_path TO reference")
        conn.execute(SCHEMA_SQL.read_text())
        reference, actual = _catalog(conn, "reference"), _catalog(conn, SCHEMA)
    assert {k: sum(r[0] == k for r in reference) for k in ("column", "constraint", "index", "reloptions")} == {
        "column": 45,
        "constraint": 18,
        "index": 7,
        "reloptions": 6,
    }
    assert actual == reference
    record = json.loads((runs_dir / SCHEMA / "load-all.json").read_text())
    assert record["status"] == "succeeded"
    assert record["receipt"]["tables"]["messages"]["rows"] == dataset.report.tables["messages"].rows
    assert (record["band"], record["seed"], record["counts"]["messages"]) == ("ci", "load-tests", 20_000)
    assert "DROP SCHEMA" in (runs_dir / SCHEMA / "teardown.sql").read_text()


def test_rerun_skips_every_committed_chunk(loaded: str, dataset: Dataset, runs_dir: Path) -> None:
    again = load_dataset(loaded, dataset.path, runs_dir=runs_dir, parallel=2)
    assert not again.created_schema
    assert all(t.rows == 0 and t.chunks_skipped == list(range(CHUNKS)) for t in again.tables.values())
    assert _counts(loaded, SCHEMA) == {t: dataset.report.tables[t].rows for t in TABLES}


def test_mapped_chunk_loads_then_finalize(pg_dsn: str, dataset: Dataset, runs_dir: Path) -> None:
    first = load_dataset(pg_dsn, dataset.path, chunk=2, runs_dir=runs_dir)
    assert first.created_schema and not first.finalized
    assert first.tables["messages"].chunks_loaded == [2]
    with psycopg.connect(pg_dsn) as conn:
        options = f"SELECT reloptions FROM pg_class WHERE oid = '{SCHEMA}.messages'::regclass"
        assert conn.execute(options).fetchone() == (["autovacuum_enabled=false"],)  # no autovacuum between chunks
    with pytest.raises(LoadError, match=r"chunks not loaded yet: users\[0\], users\[1\]"):
        load_dataset(pg_dsn, dataset.path, finalize_only=True, runs_dir=runs_dir)
    for chunk in (0, 1, 0):
        load_dataset(pg_dsn, dataset.path, chunk=chunk, runs_dir=runs_dir)
    done = load_dataset(pg_dsn, dataset.path, finalize_only=True, runs_dir=runs_dir)
    assert done.finalized and done.finalize_seconds > 0
    assert _counts(pg_dsn, SCHEMA) == {t: dataset.report.tables[t].rows for t in TABLES}
    assert load_dataset(pg_dsn, dataset.path, finalize_only=True, runs_dir=runs_dir).finalize_seconds == 0


def test_bad_arguments_are_named(pg_dsn: str, dataset: Dataset, tmp_path: Path) -> None:
    with pytest.raises(ChunkOutOfRange, match=r"chunk 3 is out of range: valid chunks are 0\.\.2"):
        load_dataset(pg_dsn, dataset.path, chunk=CHUNKS)
    with pytest.raises(InputError, match="no chunk reports in _chunks/; generate the dataset first"):
        load_dataset(pg_dsn, tmp_path)
    with pytest.raises(InputError, match="--chunk and --finalize are exclusive"):
        load_dataset(pg_dsn, dataset.path, chunk=0, finalize_only=True)
    with pytest.raises(InputError, match="--parallel must be between 1 and 64"):
        load_dataset(pg_dsn, dataset.path, parallel=0)


def test_foreign_or_different_schema_is_refused(pg_dsn: str, dataset: Dataset, runs_dir: Path) -> None:
    with psycopg.connect(pg_dsn) as conn:
        conn.execute("CREATE SCHEMA app")
    with pytest.raises(LoadError, match="schema 'app' exists and was not created by synthcore"):
        load_dataset(pg_dsn, dataset.path, schema="app", runs_dir=runs_dir)
    with psycopg.connect(pg_dsn) as conn:
        conn.execute("""CREATE SCHEMA other; COMMENT ON SCHEMA other IS 'synthdata:{"created_by": "synthcore"}'""")
    with pytest.raises(LoadError, match="schema 'other' holds another dataset"):
        load_dataset(pg_dsn, dataset.path, schema="other", runs_dir=runs_dir)
    record = json.loads((runs_dir / "other" / "load-all.json").read_text())
    assert record["status"] == "failed" and "holds another dataset" in record["error"]


def _schemas(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        return {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_%'")}


def test_guard_blocks_production_environment(
    pg_dsn: str, dataset: Dataset, runs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _schemas(pg_dsn)
    monkeypatch.setenv("SYNTH_ENV", "production")
    with pytest.raises(ProductionTargetRefused, match="SYNTH_ENV is production"):
        load_dataset(pg_dsn, dataset.path, runs_dir=runs_dir)
    assert _schemas(pg_dsn) == before
    assert not runs_dir.exists()


def test_guard_blocks_a_database_marked_production(pg_dsn: str, dataset: Dataset, runs_dir: Path) -> None:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        dbname = conn.info.dbname
        conn.execute(f"ALTER DATABASE {dbname} SET synthdata.environment = 'production'")
    before = _schemas(pg_dsn)
    with pytest.raises(ProductionTargetRefused, match=r"database setting synthdata.environment = 'production'"):
        load_dataset(pg_dsn, dataset.path, runs_dir=runs_dir)
    assert _schemas(pg_dsn) == before


def test_guard_refuses_public(pg_dsn: str, dataset: Dataset, runs_dir: Path) -> None:
    with pytest.raises(InputError, match="invalid schema name 'public'"):
        load_dataset(pg_dsn, dataset.path, schema="public", runs_dir=runs_dir)


def test_lost_connection_mid_load_is_transient_and_the_retry_is_exact(
    pg_dsn: str, dataset: Dataset, runs_dir: Path
) -> None:
    load_dataset(pg_dsn, dataset.path, chunk=0, runs_dir=runs_dir)  # creates the schema
    failure: list[BaseException] = []

    def run() -> None:
        try:
            load_dataset(pg_dsn, dataset.path, runs_dir=runs_dir)
        except BaseException as exc:  # handed to the test thread
            failure.append(exc)

    with psycopg.connect(pg_dsn) as blocker, psycopg.connect(pg_dsn, autocommit=True) as admin:
        blocker.execute(f"LOCK TABLE {SCHEMA}.messages IN SHARE MODE")  # the loader's COPY into messages waits here
        loader = threading.Thread(target=run)
        loader.start()
        waiting = (
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'synthcore-load' AND wait_event_type = 'Lock'"
        )
        deadline = time.monotonic() + 30
        while not (pids := admin.execute(waiting).fetchall()) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert pids, "the loader never reached the messages COPY"
        admin.execute("SELECT pg_terminate_backend(%s)", [pids[0][0]])
        loader.join(30)
        blocker.rollback()
    assert len(failure) == 1 and isinstance(failure[0], TransientLoadError) and failure[0].retryable
    assert re.search(rf"COPY into {SCHEMA}\.messages failed for chunk 1", str(failure[0]))
    again = load_dataset(pg_dsn, dataset.path, runs_dir=runs_dir)
    assert again.tables["messages"].chunks_skipped == [0] and again.finalized
    assert _counts(pg_dsn, SCHEMA) == {t: dataset.report.tables[t].rows for t in TABLES}
