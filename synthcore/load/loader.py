"""Load generated chunks into a run schema: exactly once per (table, chunk), keys and foreign keys afterwards.

Three scopes, one function:

* all chunks (no ``chunk``): create the schema, copy every chunk of every table, then finalize;
* one chunk (``chunk=I``): create the schema if needed and copy chunk I of every table; never finalizes, so a DAG can
  map this over chunks in parallel;
* finalize only (``finalize_only=True``): after mapped chunk loads, add the keys and foreign keys once every chunk of
  every table is in the ledger.

Each (table, chunk) commits in its own transaction together with its ledger row, so any retry after a crash skips
what committed and copies the rest: no duplicates, no gaps. Tables are created in a separate, earlier transaction,
so PostgreSQL's WAL skipping for same-transaction CREATE/TRUNCATE + COPY (wal_level=minimal) cannot apply to chunk
transactions; binary COPY gains nothing from it anyway (3.5 s vs 3.5 s in ../shared/notes/postgres-load.md §3).
Finalize builds the keys of different tables, then validates the foreign keys of different tables, side by side on
separate connections (1.45x faster than one serial transaction on the dev band); each step commits on its own and
skips what exists, so an interrupted finalize resumes, and the state row marks completion last.
Every input is checked first (the dataset preflight, names, bounds, the environment guard) and nothing is written
before; every invocation that passes writes a run record (succeeded or failed) and a teardown
script to ``runs_dir/<schema>/``.
"""

from __future__ import annotations

import getpass
import logging
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from synthcore.artifacts import check_writable_dir, write_bytes_atomic, write_json_atomic
from synthcore.errors import InputError, LoadError, SynthError, TransientLoadError
from synthcore.load import ledger
from synthcore.load.copy import copy_parquet
from synthcore.load.faults import fault_point
from synthcore.load.guard import guard_target
from synthcore.load.ownership import finalizing, read_marker
from synthcore.load.preflight import dataset_identity, preflight_dataset
from synthcore.load.schema import build_keys, create_run_schema, enable_autovacuum
from synthcore.names import default_schema_name, run_record_path, validate_schema_name
from synthcore.pg import connect, describe_target, qualified
from synthcore.spec.database import LoadReceipt, RunRecord, TableLoad
from synthcore.spec.reports import ChunkReport
from synthcore.spec.tables import TABLE_SCHEMAS, TABLES, chunk_file

log = logging.getLogger(__name__)
APPLICATION_NAME = "synthcore-load"
MAX_PARALLEL = 64


@dataclass(frozen=True)
class _ChunkOutcome:
    table: str
    chunk: int
    rows: int
    size: int
    seconds: float
    skipped: bool


def _copy_chunk(conninfo: str, schema: str, path: Path, table: str, chunk: int, expected_rows: int) -> _ChunkOutcome:
    """Copy one (table, chunk) with its ledger row in one transaction, or skip it if the ledger has it."""
    started = time.perf_counter()
    try:
        with connect(conninfo, application_name=APPLICATION_NAME) as conn, conn.transaction(), conn.cursor() as cur:
            if not ledger.claim_chunk(cur, schema, table, chunk):
                return _ChunkOutcome(table, chunk, 0, 0, 0.0, skipped=True)
            rows, size = copy_parquet(cur, qualified(schema, table), path, TABLE_SCHEMAS[table])
            if rows != expected_rows:
                raise LoadError(f"{table} chunk {chunk}: copied {rows} rows but the chunk report says {expected_rows}")
            seconds = time.perf_counter() - started
            ledger.record_chunk(cur, schema, table, chunk, rows, size, seconds)
            fault_point("chunk-copied", table, chunk)
        fault_point("chunk-committed", table, chunk)
    except psycopg.OperationalError as exc:
        raise TransientLoadError(f"COPY into {schema}.{table} failed for chunk {chunk}: {exc}") from exc
    except psycopg.Error as exc:
        raise LoadError(f"COPY into {schema}.{table} failed for chunk {chunk}: {exc}") from exc
    log.info("%s chunk %d: %d rows in %.2fs", table, chunk, rows, seconds)
    return _ChunkOutcome(table, chunk, rows, size, seconds, skipped=False)


def finalize_load(conn: psycopg.Connection, schema: str, chunks: int, *, conninfo: str, parallel: int) -> float:
    """Add keys and foreign keys once every chunk of every table is in the ledger; idempotent and resumable.

    One finalizer at a time (a session lock); keys and foreign-key validations of different tables run concurrently
    on ``parallel`` connections (see ``build_keys``); the state row records completion last.

    Returns:
        Seconds spent (0 when an earlier run already finalized).

    Raises:
        LoadError: some chunks are not loaded yet (they are named).
    """
    started = time.perf_counter()
    with finalizing(conn, schema):
        with conn.transaction():
            if ledger.finalized(conn, schema):
                return 0.0
            done = ledger.loaded_chunks(conn, schema)
            missing = [f"{t}[{c}]" for t in TABLES for c in range(chunks) if c not in done.get(t, set())]
            if missing:
                raise LoadError(f"cannot finalize {schema!r}: chunks not loaded yet: {', '.join(missing[:20])}")
        try:
            build_keys(conn, conninfo, schema, parallel)
        except psycopg.OperationalError as exc:
            raise TransientLoadError(f"finalize of {schema!r} failed (a retry resumes): {exc}") from exc
        except psycopg.Error as exc:
            raise LoadError(f"finalize of {schema!r} failed: {exc}") from exc
        with conn.transaction():
            enable_autovacuum(conn, schema)
            seconds = time.perf_counter() - started
            ledger.mark_finalized(conn, schema, seconds)
    return seconds


def teardown_script(schema: str) -> str:
    """SQL that drops ``schema`` only while it still carries synthcore's ownership marker."""
    literal = schema.replace("'", "''")
    ident = '"' + schema.replace('"', '""') + '"'
    return (
        f"-- Drops the synthcore run schema {ident} and everything in it; refuses if it is not synthcore's.\n"
        "BEGIN;\n"
        "DO $$\nBEGIN\n"
        f"    IF coalesce(obj_description(to_regnamespace('{literal}'), 'pg_namespace'), '')\n"
        "       NOT LIKE 'synthdata:%' THEN\n"
        f"        RAISE EXCEPTION 'schema {literal} is missing or was not created by synthcore';\n"
        "    END IF;\nEND\n$$;\n"
        f"DROP SCHEMA {ident} CASCADE;\n"
        "COMMIT;\n"
    )


def load_dataset(
    conninfo: str,
    data_dir: Path,
    *,
    schema: str | None = None,
    parallel: int = 1,
    chunk: int | None = None,
    finalize_only: bool = False,
    runs_dir: Path = Path("runs"),
) -> LoadReceipt:
    """Load the generated dataset in ``data_dir`` (all chunks, one chunk, or just finalize) into ``schema``.

    Args:
        conninfo: target database.
        data_dir: the generator's output directory.
        schema: run schema; ``synth_<band>_<seed>`` when None.
        parallel: concurrent COPY connections (2 saturate a 2-core server); finalize builds keys of different
            tables on max(2, parallel) connections.
        chunk: load only this chunk, without finalizing.
        finalize_only: copy nothing; add keys and foreign keys once every chunk is loaded.
        runs_dir: where the run record and teardown script go (``runs_dir/<schema>/``).

    Raises:
        InputError: bad arguments or no generated data.
        ProductionTargetRefused: the environment guard refused the target.
        LoadError: a chunk failed to load (TransientLoadError when a retry can help).
    """
    if not 1 <= parallel <= MAX_PARALLEL:
        raise InputError(f"--parallel must be between 1 and {MAX_PARALLEL} (got {parallel})")
    if chunk is not None and finalize_only:
        raise InputError("--chunk and --finalize are exclusive: finalize runs after every chunk is loaded")
    reports = preflight_dataset(data_dir, chunk=chunk, footers=not finalize_only)
    first = next(iter(reports.values()))
    wanted = [] if finalize_only else ([chunk] if chunk is not None else list(range(first.chunks)))
    schema = validate_schema_name(schema) if schema is not None else default_schema_name(first.band, first.seed)
    check_writable_dir(run_record_path(runs_dir, schema, "teardown.sql").parent)
    with connect(conninfo, application_name=APPLICATION_NAME) as conn:
        guard_target(conn, schema)
        if finalize_only and read_marker(conn, schema) is None:
            raise InputError(f"schema {schema!r} was not created by synthcore load: load its chunks before --finalize")
    scope = "finalize" if finalize_only else ("all" if chunk is None else f"chunk-{chunk:05d}")
    started_at = datetime.now(UTC)
    try:
        receipt = _load(
            conninfo, data_dir, schema, scope, reports, wanted, parallel, finalize=chunk is None, runs_dir=runs_dir
        )
    except SynthError as exc:
        _write_record(runs_dir, scope, first, conninfo, schema, started_at, None, exc)
        raise
    _write_record(runs_dir, scope, first, conninfo, schema, started_at, receipt, None)
    return receipt


def _load(
    conninfo: str,
    data_dir: Path,
    schema: str,
    scope: str,
    reports: dict[int, ChunkReport],
    wanted: list[int],
    parallel: int,
    *,
    finalize: bool,
    runs_dir: Path,
) -> LoadReceipt:
    """Create or resume the schema, copy the wanted chunks of every table, finalize if asked."""
    started = time.perf_counter()
    first = next(iter(reports.values()))
    with connect(conninfo, application_name=APPLICATION_NAME) as conn:
        created = create_run_schema(conn, schema, dataset_identity(first), ledger.LEDGER_DDL)
        write_bytes_atomic(run_record_path(runs_dir, schema, "teardown.sql"), teardown_script(schema).encode())
        jobs = [(chunk_file(data_dir, t, c), t, c, reports[c].tables[t].rows) for t in TABLES for c in wanted]
        outcomes = _run_jobs(conninfo, schema, jobs, parallel)
        finalize_seconds = (
            # Keys of different tables build side by side: 2 connections keep a 2-core server busy.
            finalize_load(conn, schema, first.chunks, conninfo=conninfo, parallel=max(2, parallel))
            if finalize
            else None
        )
    return LoadReceipt(
        schema_name=schema,
        scope=scope,
        created_schema=created,
        tables={t: _table_load([o for o in outcomes if o.table == t]) for t in TABLES},
        finalized=finalize_seconds is not None,
        finalize_seconds=round(finalize_seconds or 0.0, 3),
        seconds=round(time.perf_counter() - started, 3),
    )


def _run_jobs(conninfo: str, schema: str, jobs: list[tuple[Path, str, int, int]], parallel: int) -> list[_ChunkOutcome]:
    """Copy every job in referential order on ``parallel`` connections; the first failure cancels the rest."""
    if parallel == 1:
        return [_copy_chunk(conninfo, schema, *job) for job in jobs]
    with ThreadPoolExecutor(parallel) as pool:
        futures = [pool.submit(_copy_chunk, conninfo, schema, *job) for job in jobs]
        try:
            return [f.result() for f in futures]
        finally:
            for future in futures:
                future.cancel()


def _table_load(outcomes: list[_ChunkOutcome]) -> TableLoad:
    copied = [o for o in outcomes if not o.skipped]
    return TableLoad(
        rows=sum(o.rows for o in copied),
        bytes=sum(o.size for o in copied),
        seconds=round(sum(o.seconds for o in copied), 3),
        chunks_loaded=sorted(o.chunk for o in copied),
        chunks_skipped=sorted(o.chunk for o in outcomes if o.skipped),
    )


def _write_record(
    runs_dir: Path,
    scope: str,
    report: ChunkReport,
    conninfo: str,
    schema: str,
    started_at: datetime,
    receipt: LoadReceipt | None,
    error: SynthError | None,
) -> None:
    record = RunRecord(
        status="failed" if error else "succeeded",
        error=str(error) if error else None,
        user=getpass.getuser(),
        host=socket.gethostname(),
        target=describe_target(conninfo),
        schema_name=schema,
        started_at=started_at.isoformat(),
        finished_at=datetime.now(UTC).isoformat(),
        band=report.band,
        seed=report.seed,
        spec_sha256=report.spec_sha256,
        counts=report.counts,
        receipt=receipt,
    )
    write_json_atomic(run_record_path(runs_dir, schema, f"load-{scope}.json"), record)
