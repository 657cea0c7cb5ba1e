"""Generate and load overlapped: the same rows as generating then loading, chunk files deleted once committed."""

from __future__ import annotations

from pathlib import Path

import psycopg
from conftest import CHUNKS, SEED, Dataset

from synthcore.load.overlap import generate_and_load
from synthcore.spec.bands import Band, Counts
from synthcore.spec.reports import GenerationReport
from synthcore.spec.tables import REPORT_NAME, TABLES, chunk_files
from synthcore.verify import check_integrity


def test_generate_and_load_matches_the_generated_dataset(pg_dsn: str, dataset: Dataset, tmp_path: Path) -> None:
    out = tmp_path / "data"
    counts = Counts(users=300, conversations=400, messages=20_000)
    receipt = generate_and_load(
        pg_dsn,
        out,
        band=Band.CI,
        seed=SEED,
        counts=counts,
        chunks=CHUNKS,
        schema="synth_overlap",
        delete_loaded=True,
        runs_dir=tmp_path / "runs",
    )
    assert receipt.finalized
    generated = GenerationReport.model_validate_json((out / REPORT_NAME).read_text())
    assert generated.tables == dataset.report.tables  # same rows, same checksums
    assert all(chunk_files(out, t) == [] for t in TABLES)  # every chunk's Parquet removed once committed
    report = check_integrity(pg_dsn, "synth_overlap", out / REPORT_NAME)
    assert report.passed and sum(c.method == "constraint" for c in report.checks) == 16
    with psycopg.connect(pg_dsn) as conn:
        rows = conn.execute('SELECT count(*) FROM synth_overlap."_synthcore_ledger"').fetchone()
    assert rows == (len(TABLES) * CHUNKS,)
