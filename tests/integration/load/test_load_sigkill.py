"""kill -9 of the loader mid-COPY and mid-finalize; the rerun finishes with exact counts, no duplicates, no gaps."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from conftest import Dataset

from synthcore.generate import generate_dataset
from synthcore.spec.bands import Band, Counts
from synthcore.spec.tables import TABLES
from synthcore.verify import check_integrity

SYNTHCORE = str(Path(sys.executable).with_name("synthcore"))
# Messages chunk 1 is being copied: some of its rows are in, the COPY has not finished.
MID_COPY = """
SELECT 1 FROM pg_stat_progress_copy p JOIN pg_class c ON c.oid = p.relid
WHERE c.relname = 'messages' AND p.tuples_processed > 0
  AND EXISTS (SELECT 1 FROM {schema}._synthcore_ledger WHERE "table" = 'messages' AND chunk = 0)
"""
MID_FINALIZE = """
SELECT 1 FROM pg_stat_activity
WHERE application_name = 'synthcore-load' AND state = 'active' AND query LIKE 'ALTER TABLE%FOREIGN KEY%'
"""


@pytest.fixture(scope="module")
def big_chunks(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """Two chunks of 40,000 messages each: a messages COPY lasts long enough to be caught."""
    out = tmp_path_factory.mktemp("big")
    counts = Counts(users=300, conversations=400, messages=80_000)
    report = generate_dataset(out, band=Band.CI, seed="kill", counts=counts, chunks=2, workers=1)
    assert sorted(report.chunk_seconds) == [0, 1]  # the whole dataset, in two chunks
    return Dataset(out, report)


def _kill_when(dsn: str, data: Path, schema: str, condition: str, runs: Path) -> bool:
    """Start the loader, SIGKILL it the moment ``condition`` holds; False if it finished first."""
    cmd = [SYNTHCORE, "load", "--dsn", dsn, "--data", str(data), "--schema", schema, "--parallel", "1"]
    proc = subprocess.Popen([*cmd, "--runs-dir", str(runs)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with psycopg.connect(dsn, autocommit=True) as watcher:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                caught = watcher.execute(condition.format(schema=schema)).fetchone() is not None
            except psycopg.errors.UndefinedTable:
                caught = False  # the schema is not created yet
            if caught:
                proc.kill()
                proc.wait()
                return True
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    return False


def _counts(conn: psycopg.Connection, schema: str) -> dict[str, int]:
    return {t: conn.execute(f'SELECT count(*) FROM "{schema}"."{t}"').fetchone()[0] for t in TABLES}


@pytest.mark.parametrize("moment", ["mid_copy", "mid_finalize"])
def test_rerun_after_sigkill_is_exact(pg_dsn: str, big_chunks: Dataset, tmp_path: Path, moment: str) -> None:
    condition = MID_COPY if moment == "mid_copy" else MID_FINALIZE
    for attempt in range(5):
        schema = f"kill_{moment}_{attempt}"
        if _kill_when(pg_dsn, big_chunks.path, schema, condition, tmp_path):
            break
    else:
        pytest.fail(f"the loader finished 5 times before it could be killed {moment}")
    expected = {t: big_chunks.report.tables[t].rows for t in TABLES}
    with psycopg.connect(pg_dsn) as conn:
        ledger = conn.execute(f'SELECT "table", chunk, rows FROM {schema}._synthcore_ledger').fetchall()
        committed = {t: sum(r for tt, _, r in ledger if tt == t) for t in TABLES}
        assert _counts(conn, schema) == committed  # no partial chunk survived the kill
        if moment == "mid_copy":
            assert ("messages", 1) not in {(t, c) for t, c, _ in ledger}
            assert committed["messages"] < expected["messages"]
        else:
            assert committed == expected
            assert conn.execute(f'SELECT "finalizedAt" FROM {schema}._synthcore_state').fetchone() == (None,)
    rerun = subprocess.run(
        [
            SYNTHCORE,
            "load",
            "--dsn",
            pg_dsn,
            "--data",
            str(big_chunks.path),
            "--schema",
            schema,
            "--runs-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    with psycopg.connect(pg_dsn) as conn:
        assert _counts(conn, schema) == expected
    report = check_integrity(pg_dsn, schema, big_chunks.report_path)
    assert report.passed, report.failed
