"""The dataset preflight on real generated files: whole, one chunk, damaged, mixed; and the loader relies on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest
from conftest import CHUNKS, SEED, Dataset

from synthcore.errors import InputError, LoadError, SpecError
from synthcore.generate import generate_dataset
from synthcore.load import load_dataset
from synthcore.load.preflight import preflight_dataset
from synthcore.spec.bands import Band, Counts


@pytest.fixture
def copy(dataset: Dataset, tmp_path: Path) -> Path:
    """A copy of the session dataset that a test may damage."""
    return Path(shutil.copytree(dataset.path, tmp_path / "data"))


def test_a_whole_dataset_passes(dataset: Dataset) -> None:
    reports = preflight_dataset(dataset.path)
    assert sorted(reports) == list(range(CHUNKS))
    assert sum(r.tables["messages"].rows for r in reports.values()) == dataset.report.tables["messages"].rows


def test_a_mapped_chunk_needs_only_its_own_files(dataset: Dataset, tmp_path: Path) -> None:
    only = tmp_path / "only-1"
    for path in [dataset.path / "_chunks" / "chunk-00001.json", *dataset.path.glob("*/part-00001.parquet")]:
        (only / path.relative_to(dataset.path)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, only / path.relative_to(dataset.path))
    assert list(preflight_dataset(only, chunk=1)) == [1]
    with pytest.raises(InputError, match=r"chunk\(s\) \[0, 2\] of 3 have not been generated"):
        preflight_dataset(only)


def test_every_problem_is_listed_at_once(copy: Path) -> None:
    messages = copy / "messages" / "part-00000.parquet"
    messages.write_bytes(messages.read_bytes()[:100])
    (copy / "users" / "part-00002.parquet").unlink()
    with pytest.raises(SpecError) as error:
        preflight_dataset(copy)
    assert [p.split(":")[0] for p in error.value.problems] == [
        "messages/part-00000.parquet",
        "users/part-00002.parquet",
    ]
    assert "missing" in error.value.problems[1]
    assert preflight_dataset(copy, chunk=1)  # the damage is in chunks 0 and 2
    assert preflight_dataset(copy, footers=False)  # finalize reads the reports only


def test_a_damaged_dataset_is_refused_before_the_schema_exists(pg_dsn: str, copy: Path, tmp_path: Path) -> None:
    messages = copy / "messages" / "part-00002.parquet"
    messages.write_bytes(messages.read_bytes()[:-10])
    with pytest.raises(SpecError, match=r"messages/part-00002\.parquet: not a readable Parquet file"):
        load_dataset(pg_dsn, copy, runs_dir=tmp_path / "runs")
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'synth%'").fetchone() == (0,)
    assert not (tmp_path / "runs").exists()


def test_a_schema_keeps_one_generation(pg_dsn: str, dataset: Dataset, tmp_path: Path) -> None:
    other = tmp_path / "other"
    counts = Counts(users=300, conversations=400, messages=21_000)
    generate_dataset(other, band=Band.CI, seed=SEED, counts=counts, chunks=CHUNKS, workers=1, only_chunk=0)
    load_dataset(pg_dsn, dataset.path, chunk=0, runs_dir=tmp_path / "runs")
    with pytest.raises(LoadError, match="holds another dataset"):
        load_dataset(pg_dsn, other, chunk=0, runs_dir=tmp_path / "runs")
