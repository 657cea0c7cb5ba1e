from pathlib import Path

import duckdb
import pytest

from synthcore.generate import generate_dataset
from synthcore.spec.bands import Band
from synthcore.spec.reports import GenerationReport
from synthcore.spec.tables import TABLES


@pytest.fixture(scope="session")
def ci_dataset(tmp_path_factory) -> tuple[Path, GenerationReport]:
    out = tmp_path_factory.mktemp("ci-s1")
    report = generate_dataset(out, band=Band.CI, seed="s1", chunks=3, workers=1)
    return out, report


@pytest.fixture(scope="session")
def ci_db(ci_dataset):
    """DuckDB views named like the tables, over the generated Parquet."""
    out, _ = ci_dataset
    con = duckdb.connect()
    for table in TABLES:
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{out}/{table}/part-*.parquet')")
    yield con
    con.close()
