"""Exactly-once, proven by breaking it: crashes at named points of the chunk transaction, two loaders at once,
a PostgreSQL restart mid-load. Every scenario ends with a rerun (or the survivors) giving exact counts.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pyarrow.parquet as pq
import pytest
from conftest import CHUNKS, SCHEMA, Dataset

from synthcore.errors import InputError, LoadError, TransientLoadError
from synthcore.load import load_dataset
from synthcore.load.faults import FAULT_ENV, InjectedFault
from synthcore.load.loader import APPLICATION_NAME, _copy_chunk, finalize_load
from synthcore.load.schema import FINALIZE_APPLICATION
from synthcore.pg import connect
from synthcore.pgserver import running_server
from synthcore.spec.tables import TABLES, chunk_file

SYNTHCORE = str(Path(sys.executable).with_name("synthcore"))
FAULT_TABLE, FAULT_CHUNK = "messages", 1
WAITING_LOADERS = (
    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'synthcore-load' AND wait_event_type = 'Lock'"
)
WAITING_FINALIZERS = WAITING_LOADERS + " AND wait_event = 'advisory'"


def _loader(dsn: str, data: Path, runs: Path, *, parallel: int = 1) -> list[str]:
    return [SYNTHCORE, "load", "--dsn", dsn, "--data", str(data), "--schema", SCHEMA,
            "--parallel", str(parallel), "--runs-dir", str(runs)]  # fmt: skip


def _counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {t: conn.execute(f'SELECT count(*) FROM {SCHEMA}."{t}"').fetchone()[0] for t in TABLES}


def _ledger(dsn: str) -> dict[tuple[str, int], int]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(f'SELECT "table", chunk, rows FROM {SCHEMA}._synthcore_ledger').fetchall()
    return {(t, c): r for t, c, r in rows}


def _finalize_seconds(dsn: str) -> float | None:
    """The state row's record of the finalize step: None until it has committed."""
    with psycopg.connect(dsn) as conn:
        return conn.execute(f'SELECT "finalizeSeconds" FROM {SCHEMA}._synthcore_state').fetchone()[0]


def _expected(dataset: Dataset) -> dict[str, int]:
    return {t: dataset.report.tables[t].rows for t in TABLES}


def _assert_ledger_matches_rows(dsn: str) -> None:
    """What the ledger says is in, is in: per table, the committed ledger rows sum to the table's row count."""
    ledger = _ledger(dsn)
    assert _counts(dsn) == {t: sum(r for (tt, _), r in ledger.items() if tt == t) for t in TABLES}


def _wait_for(dsn: str, query: str, at_least: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as admin:
        deadline = time.monotonic() + 60
        while admin.execute(query).fetchone()[0] < at_least:
            assert time.monotonic() < deadline, f"timed out waiting for {query!r} >= {at_least}"
            time.sleep(0.02)


def test_each_chunk_commits_in_the_transaction_of_its_ledger_row(pg_dsn: str, dataset: Dataset, runs_dir: Path):
    """PostgreSQL's own record: every row of a table was written by the transaction that wrote a ledger row."""
    receipt = load_dataset(pg_dsn, dataset.path, schema=SCHEMA, parallel=2, runs_dir=runs_dir)
    with psycopg.connect(pg_dsn) as conn:
        seconds = [s for (s,) in conn.execute(f"SELECT seconds FROM {SCHEMA}._synthcore_ledger").fetchall()]
        assert len(seconds) == len(TABLES) * CHUNKS and all(0 < s <= receipt.seconds for s in seconds)
        for table in TABLES:
            ledger_xids = conn.execute(
                f'SELECT xmin::text, rows FROM {SCHEMA}._synthcore_ledger WHERE "table" = %s', [table]
            ).fetchall()
            data_xids = conn.execute(f'SELECT DISTINCT xmin::text FROM {SCHEMA}."{table}"').fetchall()
            assert len(ledger_xids) == CHUNKS
            assert {x for (x,) in data_xids} == {x for x, rows in ledger_xids if rows > 0}, table


def test_a_chunk_whose_row_count_disagrees_with_its_report_is_rolled_back(
    pg_dsn: str, dataset: Dataset, runs_dir: Path
) -> None:
    load_dataset(pg_dsn, dataset.path, schema=SCHEMA, chunk=0, runs_dir=runs_dir)  # the schema and its ledger
    before = _counts(pg_dsn)
    path = chunk_file(dataset.path, "messages", 1)
    rows = pq.ParquetFile(path).metadata.num_rows
    mismatch = rf"^messages chunk 1: copied {rows} rows but the chunk report says {rows + 1}$"
    with pytest.raises(LoadError, match=mismatch):
        _copy_chunk(pg_dsn, SCHEMA, path, "messages", 1, rows + 1)
    assert rows > 0 and ("messages", 1) not in _ledger(pg_dsn) and _counts(pg_dsn) == before


def test_a_chunk_the_database_refuses_fails_for_good_without_its_ledger_row(
    pg_dsn: str, dataset: Dataset, runs_dir: Path
) -> None:
    load_dataset(pg_dsn, dataset.path, schema=SCHEMA, chunk=0, runs_dir=runs_dir)
    with psycopg.connect(pg_dsn) as conn:
        conn.execute(f"ALTER TABLE {SCHEMA}.messages ADD CONSTRAINT refuse_all CHECK (false) NOT VALID")
    refused = rf"^COPY into {SCHEMA}\.messages failed for chunk 1: .*refuse_all"
    with pytest.raises(LoadError, match=refused) as failed:
        load_dataset(pg_dsn, dataset.path, schema=SCHEMA, chunk=1, runs_dir=runs_dir)
    assert not isinstance(failed.value, TransientLoadError)
    assert ("messages", 1) not in _ledger(pg_dsn)


def test_each_copied_chunk_is_logged_with_its_rows(
    pg_dsn: str, dataset: Dataset, runs_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="synthcore.load.loader"):
        load_dataset(pg_dsn, dataset.path, schema=SCHEMA, chunk=0, runs_dir=runs_dir)
    rows = pq.ParquetFile(chunk_file(dataset.path, "messages", 0)).metadata.num_rows
    assert any(re.fullmatch(rf"messages chunk 0: {rows} rows in \d+\.\d\ds", m) for m in caplog.messages)


@pytest.mark.parametrize("point", ["chunk-copied", "chunk-committed"])
def test_failure_at_a_fault_point_then_retry_is_exact(
    pg_dsn: str, dataset: Dataset, runs_dir: Path, monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    monkeypatch.setenv(FAULT_ENV, f"{point}:{FAULT_TABLE}:{FAULT_CHUNK}:fail")
    with pytest.raises(InjectedFault, match=f"injected fault at {point} of messages chunk 1"):
        load_dataset(pg_dsn, dataset.path, schema=SCHEMA, runs_dir=runs_dir)
    committed = point == "chunk-committed"
    assert ((FAULT_TABLE, FAULT_CHUNK) in _ledger(pg_dsn)) == committed
    _assert_ledger_matches_rows(pg_dsn)
    record = json.loads((runs_dir / SCHEMA / "load-all.json").read_text())
    assert record["status"] == "failed" and "injected fault" in record["error"]

    monkeypatch.delenv(FAULT_ENV)
    again = load_dataset(pg_dsn, dataset.path, schema=SCHEMA, runs_dir=runs_dir)
    assert again.tables[FAULT_TABLE].chunks_skipped == ([0, 1] if committed else [0])
    assert again.finalized and _counts(pg_dsn) == _expected(dataset)


@pytest.mark.parametrize("point", ["chunk-copied", "chunk-committed"])
def test_sigkill_at_a_fault_point_then_rerun_is_exact(
    pg_dsn: str, dataset: Dataset, runs_dir: Path, point: str
) -> None:
    env = {**os.environ, FAULT_ENV: f"{point}:{FAULT_TABLE}:{FAULT_CHUNK}:kill"}
    killed = subprocess.run(_loader(pg_dsn, dataset.path, runs_dir), env=env, capture_output=True, check=False)
    assert killed.returncode == -9, killed.stderr
    ledger = _ledger(pg_dsn)
    assert ((FAULT_TABLE, FAULT_CHUNK) in ledger) == (point == "chunk-committed")
    assert (FAULT_TABLE, FAULT_CHUNK + 1) not in ledger
    _assert_ledger_matches_rows(pg_dsn)

    env.pop(FAULT_ENV)
    rerun = subprocess.run(_loader(pg_dsn, dataset.path, runs_dir), env=env, capture_output=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert _counts(pg_dsn) == _expected(dataset)
    assert len(_ledger(pg_dsn)) == len(TABLES) * CHUNKS


def test_a_malformed_fault_spec_is_named(pg_dsn: str, dataset: Dataset, runs_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv(FAULT_ENV, "chunk-copied:messages:one:fail")
    with pytest.raises(InputError, match=f"{FAULT_ENV} must be <chunk-copied|chunk-committed>"):
        load_dataset(pg_dsn, dataset.path, schema=SCHEMA, runs_dir=runs_dir)


def test_two_loaders_at_once_share_the_chunks_through_the_ledger(pg_dsn: str, dataset: Dataset, tmp_path: Path):
    """Both loaders start while the first table is locked, so they race for every remaining chunk."""
    load_dataset(pg_dsn, dataset.path, schema=SCHEMA, chunk=0, runs_dir=tmp_path / "setup")  # the schema exists
    runs = [tmp_path / "a", tmp_path / "b"]
    with psycopg.connect(pg_dsn) as blocker:
        blocker.execute(f"LOCK TABLE {SCHEMA}.users IN SHARE MODE")
        procs = [subprocess.Popen(_loader(pg_dsn, dataset.path, r, parallel=2), stderr=subprocess.PIPE) for r in runs]
        _wait_for(pg_dsn, WAITING_LOADERS, 2)  # one COPY waits on the lock, the other loader on its ledger row
        blocker.rollback()
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
    assert _counts(pg_dsn) == _expected(dataset)
    receipts = [json.loads((r / SCHEMA / "load-all.json").read_text())["receipt"] for r in runs]
    for table in TABLES:
        loaded = [set(r["tables"][table]["chunks_loaded"]) for r in receipts]
        assert not loaded[0] & loaded[1], table  # no chunk copied twice
        assert loaded[0] | loaded[1] == set(range(1, CHUNKS)), table
    assert sum(r["finalized"] for r in receipts) == 2  # the second finalizer finds the work done


def test_a_finalizer_waits_for_the_one_already_finalizing_its_schema(
    pg_dsn: str, dataset: Dataset, runs_dir: Path
) -> None:
    """The finalize lock is per schema: while another session holds this schema's, the load copies, then waits."""
    key = f"synthcore-finalize:{SCHEMA}"
    with psycopg.connect(pg_dsn, autocommit=True) as holder, ThreadPoolExecutor(1) as pool:
        holder.execute("SELECT pg_advisory_lock(hashtext(%s))", [key])
        load = pool.submit(load_dataset, pg_dsn, dataset.path, schema=SCHEMA, runs_dir=runs_dir)
        deadline = time.monotonic() + 60
        while not load.done() and holder.execute(WAITING_FINALIZERS).fetchone()[0] == 0:
            assert time.monotonic() < deadline, "the load neither finished nor waited for the finalize lock"
            time.sleep(0.02)
        assert not load.done(), "finalized while another session held the schema's finalize lock"
        assert len(_ledger(pg_dsn)) == len(TABLES) * CHUNKS  # every chunk copied, only the keys wait
        holder.execute("SELECT pg_advisory_unlock(hashtext(%s))", [key])
        assert load.result(timeout=120).finalized
    assert _counts(pg_dsn) == _expected(dataset)


def test_finalize_refuses_and_names_the_missing_chunks_of_a_table_with_none(
    pg_dsn: str, dataset: Dataset, runs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first chunk fails, so the ledger is empty; finalize names the first 20 missing (table, chunk) pairs."""
    monkeypatch.setenv(FAULT_ENV, f"chunk-copied:{TABLES[0]}:0:fail")
    with pytest.raises(InjectedFault):
        load_dataset(pg_dsn, dataset.path, schema=SCHEMA, runs_dir=runs_dir)
    assert _ledger(pg_dsn) == {}
    chunks = CHUNKS + 1  # 4 chunks of 6 tables: more missing pairs than the message names
    missing = ", ".join(f"{t}[{c}]" for t in TABLES for c in range(chunks))
    named = ", ".join(missing.split(", ")[:20])
    refused = pytest.raises(LoadError, match=re.escape(f"chunks not loaded yet: {named}") + "$")
    with connect(pg_dsn, application_name=APPLICATION_NAME) as conn, refused:
        finalize_load(conn, SCHEMA, chunks, conninfo=pg_dsn, parallel=2)


def test_lost_connection_mid_finalize_is_transient_and_the_retry_resumes(
    pg_dsn: str, dataset: Dataset, runs_dir: Path
) -> None:
    for chunk in range(CHUNKS):
        load_dataset(pg_dsn, dataset.path, schema=SCHEMA, chunk=chunk, runs_dir=runs_dir)
    waiting = (
        f"SELECT pid FROM pg_stat_activity WHERE application_name = '{FINALIZE_APPLICATION}'"
        " AND wait_event_type = 'Lock'"
    )
    with psycopg.connect(pg_dsn) as blocker, psycopg.connect(pg_dsn, autocommit=True) as admin:
        blocker.execute(f"LOCK TABLE {SCHEMA}.messages IN ACCESS SHARE MODE")  # the messages key build waits here
        with ThreadPoolExecutor(1) as pool:
            finalize = pool.submit(
                load_dataset, pg_dsn, dataset.path, schema=SCHEMA, finalize_only=True, runs_dir=runs_dir
            )
            deadline = time.monotonic() + 60
            while not (pids := admin.execute(waiting).fetchall()):
                assert time.monotonic() < deadline and not finalize.done(), "finalize never waited on messages"
                time.sleep(0.02)
            admin.execute("SELECT pg_terminate_backend(%s)", [pids[0][0]])
            with pytest.raises(TransientLoadError, match=rf"^finalize of '{SCHEMA}' failed \(a retry resumes\): "):
                finalize.result(timeout=120)
        blocker.rollback()
    assert _finalize_seconds(pg_dsn) is None
    again = load_dataset(pg_dsn, dataset.path, schema=SCHEMA, finalize_only=True, runs_dir=runs_dir)
    recorded = _finalize_seconds(pg_dsn)
    assert again.finalized and recorded is not None and 0 < recorded <= again.seconds
    assert again.finalize_seconds == round(recorded, 3)
    assert _counts(pg_dsn) == _expected(dataset)


def test_finalize_of_data_with_a_duplicate_key_fails_for_good_and_is_not_recorded(
    pg_dsn: str, dataset: Dataset, runs_dir: Path
) -> None:
    for chunk in range(CHUNKS):
        load_dataset(pg_dsn, dataset.path, schema=SCHEMA, chunk=chunk, runs_dir=runs_dir)
    with psycopg.connect(pg_dsn) as conn:
        conn.execute(f"INSERT INTO {SCHEMA}.users SELECT * FROM {SCHEMA}.users LIMIT 1")
    with pytest.raises(LoadError, match=rf"^finalize of '{SCHEMA}' failed: could not create unique index") as failed:
        load_dataset(pg_dsn, dataset.path, schema=SCHEMA, finalize_only=True, runs_dir=runs_dir)
    assert not isinstance(failed.value, TransientLoadError)
    assert _finalize_seconds(pg_dsn) is None


def test_postgres_restart_mid_load_then_rerun_is_exact(dataset: Dataset, tmp_path: Path) -> None:
    with running_server() as server:
        dsn = server.create_database("restart")
        load_dataset(dsn, dataset.path, schema=SCHEMA, chunk=0, runs_dir=tmp_path)
        blocker = psycopg.connect(dsn)
        blocker.execute(f"LOCK TABLE {SCHEMA}.messages IN SHARE MODE")  # the messages chunk-1 COPY waits here
        proc = subprocess.Popen(_loader(dsn, dataset.path, tmp_path), stderr=subprocess.PIPE)
        _wait_for(dsn, WAITING_LOADERS, 1)
        assert _ledger(dsn).get((FAULT_TABLE, FAULT_CHUNK)) is None  # claimed, but not committed
        server.stop("fast")  # a restart: the loader's connections die mid-COPY
        server.start()
        blocker.close()  # its server process is gone
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 1 and b"messages failed for chunk 1" in err, err.decode()
        _assert_ledger_matches_rows(dsn)
        again = load_dataset(dsn, dataset.path, schema=SCHEMA, runs_dir=tmp_path)
        assert again.tables[FAULT_TABLE].chunks_skipped == [0] and again.finalized
        assert _counts(dsn) == _expected(dataset)
