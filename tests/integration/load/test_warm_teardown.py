"""Warm (VACUUM ANALYZE + pg_prewarm) and teardown (only synthcore's schemas) against a real server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from conftest import SCHEMA

from synthcore.errors import InputError, ProductionTargetRefused
from synthcore.load.warm import warm_schema
from synthcore.teardown import teardown_schema

SYNTHCORE = str(Path(sys.executable).with_name("synthcore"))


def test_warm_analyzes_and_prewarms_every_relation(loaded: str) -> None:
    report = warm_schema(loaded, SCHEMA)
    assert report.prewarm_available and report.shared_buffers_bytes == 2**30
    names = {r.name: r for r in report.relations}
    assert {"messages", "messages_pkey", "users_email_key", "read_receipts"} <= set(names)
    assert all(r.prewarmed_blocks * 8192 == r.size_bytes for r in report.relations)
    assert [r.kind for r in report.relations] == sorted((r.kind for r in report.relations), key="index table".index)
    with psycopg.connect(loaded) as conn:
        analyzed = conn.execute(
            "SELECT count(*) FROM pg_stat_user_tables WHERE schemaname = %s AND last_analyze IS NOT NULL", [SCHEMA]
        ).fetchone()
        extension = conn.execute(
            "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_prewarm'"
        ).fetchone()
    assert analyzed == (6,)
    assert extension == (SCHEMA,)


def test_teardown_drops_our_schema_and_its_extension(loaded: str) -> None:
    warm_schema(loaded, SCHEMA)
    teardown_schema(loaded, SCHEMA)
    with psycopg.connect(loaded) as conn:
        assert conn.execute("SELECT to_regnamespace(%s)", [SCHEMA]).fetchone() == (None,)
        assert conn.execute("SELECT count(*) FROM pg_extension WHERE extname = 'pg_prewarm'").fetchone() == (0,)


def test_teardown_refuses_public_and_foreign_schemas(pg_dsn: str) -> None:
    with psycopg.connect(pg_dsn) as conn:
        conn.execute("CREATE SCHEMA app; CREATE TABLE app.keep (x int)")
    with pytest.raises(InputError, match="invalid schema name 'public'"):
        teardown_schema(pg_dsn, "public")
    with pytest.raises(InputError, match="refusing to drop schema 'app': it was not created by synthcore"):
        teardown_schema(pg_dsn, "app")
    with pytest.raises(InputError, match="schema 'gone' does not exist"):
        teardown_schema(pg_dsn, "gone")
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM app.keep").fetchone() == (0,)


def test_teardown_cli_refuses_public(pg_dsn: str) -> None:
    result = subprocess.run(
        [SYNTHCORE, "teardown", "--dsn", pg_dsn, "--schema", "public"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "error: invalid schema name 'public'" in result.stderr


def test_teardown_is_guarded(loaded: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTH_ENV", "prod")
    with pytest.raises(ProductionTargetRefused, match="SYNTH_ENV is prod"):
        teardown_schema(loaded, SCHEMA)


def test_teardown_script_checks_the_marker(loaded: str, runs_dir: Path) -> None:
    script = (runs_dir / SCHEMA / "teardown.sql").read_text()
    with psycopg.connect(loaded, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA impostor")
        with pytest.raises(psycopg.errors.RaiseException, match="impostor is missing or was not created by synthcore"):
            conn.execute(script.replace(SCHEMA, "impostor"))
        conn.execute("ROLLBACK")
        conn.execute(script)
        assert conn.execute("SELECT to_regnamespace(%s), to_regnamespace('impostor')", [SCHEMA]).fetchone() == (
            None,
            "impostor",
        )
