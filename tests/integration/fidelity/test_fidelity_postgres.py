"""Fidelity over a dataset loaded into a real PostgreSQL, read by DuckDB's postgres extension (attached read-only)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from synthcore.errors import InputError
from synthcore.fidelity import compute_fidelity
from synthcore.fidelity.source import open_postgres, postgres_extension_path
from synthcore.generate import generate_dataset
from synthcore.load import load_dataset
from synthcore.spec.bands import Band
from synthcore.spec.io import DEFAULT_SPEC_PATH

SCHEMA = "synth_fidelity"


@pytest.fixture
def loaded(pg_dsn: str, tmp_path: Path) -> tuple[str, Path]:
    data = tmp_path / "data"
    generate_dataset(data, band=Band.CI, seed="pg", workers=1)
    load_dataset(pg_dsn, data, schema=SCHEMA, runs_dir=tmp_path / "runs")
    return pg_dsn, data


def test_postgres_and_parquet_give_the_same_statistics(loaded: tuple[str, Path], tmp_path: Path) -> None:
    dsn, data = loaded
    over_pg = compute_fidelity(DEFAULT_SPEC_PATH, tmp_path / "pg", dsn=dsn, schema=SCHEMA)
    over_files = compute_fidelity(DEFAULT_SPEC_PATH, tmp_path / "files", data_dir=data)
    assert over_pg.source == f"postgres:{SCHEMA}" and over_files.source == "parquet"
    assert over_pg.verdict == "GO", over_pg.reasons
    assert [c.name for c in over_pg.checks] == [c.name for c in over_files.checks]
    assert [c.value for c in over_pg.checks] == pytest.approx([c.value for c in over_files.checks])
    assert over_pg.comparisons == over_files.comparisons


def test_attach_is_read_only(loaded: tuple[str, Path]) -> None:
    dsn, _ = loaded
    con = open_postgres(dsn, SCHEMA)
    with pytest.raises(duckdb.Error, match="read-only"):
        con.execute(f'DELETE FROM pg."{SCHEMA}".users')
    con.close()


def test_missing_schema_is_named(pg_dsn: str) -> None:
    with pytest.raises(InputError, match=r"schema 'nope' .* lacks tables: users, conversations"):
        open_postgres(pg_dsn, "nope")


def test_extension_comes_from_the_pip_package() -> None:
    path = postgres_extension_path()
    assert path.is_file() and "duckdb_extension_postgres" in str(path) and f"v{duckdb.__version__}" in str(path)
