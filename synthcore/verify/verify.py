"""Run the integrity checks of one run schema inside PostgreSQL and report how each was proven.

All statements see one snapshot: they run in read-only REPEATABLE READ transactions on LANES connections, the first
exporting its snapshot and the others importing it, so that the two big passes (messages; receipts and replies) run
side by side on a 2-core server. ``search_path`` is set to the run schema. Expected row counts come from the
generation report, or, without one, from the load ledger of the schema.

By default a key check (unique and not null, no orphans) whose key the catalog holds as a validated constraint on
the same columns is reported as proven by that constraint and not re-scanned: PostgreSQL enforces it for every row.
A missing constraint, a ``NOT VALID`` foreign key, a disabled RI trigger or an invalid unique index falls back to
the SQL scan. ``full=True`` runs every check in SQL, for data loaded without constraints or a server not trusted.
"""

from __future__ import annotations

import queue
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from synthcore.errors import IntegrityCheckFailed
from synthcore.load.ledger import LEDGER_TABLE
from synthcore.load.ownership import Constraint, constraints, require_owned
from synthcore.load.schema import use_schema
from synthcore.names import validate_schema_name
from synthcore.pg import connect, qualified
from synthcore.spec.database import CheckResult, IntegrityReport
from synthcore.spec.io import load_model
from synthcore.spec.reports import GenerationReport
from synthcore.spec.tables import TABLES
from synthcore.verify.checks import Check, Scan, integrity_scans, offenders_query

APPLICATION_NAME = "synthcore-verify"
# Session settings of the scans, from EXPLAIN (ANALYZE) on the dev band (benchmarks/RESULTS.md): work_mem keeps the
# hash table of 5 M messages (by id, ~500 MB at the default hash_mem_multiplier 2) and the sort of their 5 M moment
# hashes in memory; JIT off because compiling the reference pass cost 2.2 s of its ~10 s, in every parallel worker,
# and won nothing back on these hash-and-count plans.
SETTINGS = {"work_mem": "256MB", "jit": "off"}
# Connections scanning at once (one snapshot): a lane takes the next pending scan until none is left.
LANES = 2
_KINDS = {"p": "primary key", "u": "unique index", "f": "foreign key"}


def _ledger_rows(conn: psycopg.Connection, schema: str) -> dict[str, int]:
    statement = sql.SQL('SELECT "table", sum(rows)::bigint FROM {} GROUP BY 1').format(qualified(schema, LEDGER_TABLE))
    counted: dict[str, int] = dict(conn.execute(statement).fetchall())
    return {table: int(counted.get(table, 0)) for table in TABLES}


def constraint_proof(check: Check, catalog: dict[str, Constraint]) -> tuple[str | None, str]:
    """(proof, reason): the validated constraint that proves ``check``, or None and why none does."""
    key = check.key
    if key is None:
        return None, ""
    found = catalog.get(key.name)
    if found is None:
        return None, f"constraint {key.name} is missing"
    if (found.table, found.columns, found.ref_table, found.ref_columns) != (
        key.table,
        key.columns,
        key.ref_table,
        key.ref_columns,
    ):
        return None, f"constraint {key.name} is not on the schema's columns"
    if not found.validated:
        return None, f"constraint {key.name} is not validated"
    if found.kind != "f" and not found.not_null:
        return None, f"constraint {key.name} allows nulls"
    return f"validated {_KINDS[found.kind]} {key.name}", ""


def _scanned(
    conn: psycopg.Connection, scan: Scan, row: tuple[Any, ...] | None, reasons: list[str]
) -> list[CheckResult]:
    """Results of one scan; a count that differs from the expected one is replaced by its offenders' exact count."""
    shared = f" (one pass with {len(scan.checks) - 1} other check(s))" if len(scan.checks) > 1 else ""
    results = []
    for i, (check, reason) in enumerate(zip(scan.checks, reasons, strict=True)):
        observed = int(row[i]) if row else -1
        sample: list[str] = []
        if observed != check.expected and check.offenders is not None:
            exact = conn.execute(offenders_query(check.offenders)).fetchone()
            observed, sample = (int(exact[0]), list(exact[1])) if exact else (-1, [])
        results.append(
            CheckResult(
                name=check.name,
                description=check.description,
                expectation=check.expectation,
                observed=observed,
                expected=check.expected,
                passed=observed == check.expected,
                sample=sample,
                method="sql",
                proof=f"SQL scan of {scan.source}{shared}" + (f"; {reason}" if reason else ""),
            )
        )
    return results


def _proven(check: Check, proof: str) -> CheckResult:
    return CheckResult(
        name=check.name,
        description=check.description,
        expectation=check.expectation,
        observed=check.expected,
        expected=check.expected,
        passed=True,
        sample=[],
        method="constraint",
        proof=proof,
    )


def _prepare(conn: psycopg.Connection, schema: str) -> None:
    use_schema(conn, schema)
    for name, value in SETTINGS.items():
        conn.execute(sql.SQL("SET LOCAL {} = {}").format(sql.Identifier(name), sql.Literal(value)))


def _drain(
    conn: psycopg.Connection, pending: queue.Queue[tuple[int, Scan, list[str]]], parts: dict[int, list[CheckResult]]
) -> None:
    """Run pending scans on ``conn`` until none is left; their results go to ``parts`` by scan index."""
    while True:
        try:
            i, scan, reasons = pending.get_nowait()
        except queue.Empty:
            return
        parts[i] = _scanned(conn, scan, conn.execute(scan.query).fetchone(), reasons)


def _lane(
    conninfo: str,
    schema: str,
    snapshot: str,
    pending: queue.Queue[tuple[int, Scan, list[str]]],
    parts: dict[int, list[CheckResult]],
) -> None:
    """A second connection on the exported ``snapshot`` draining the same pending scans."""
    with connect(conninfo, application_name=APPLICATION_NAME, readonly=True) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction():
            conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
            _prepare(conn, schema)
            _drain(conn, pending, parts)


def check_integrity(
    conninfo: str, schema: str, report_path: Path | None = None, *, full: bool = False
) -> IntegrityReport:
    """Run every integrity check on ``schema``.

    Args:
        conninfo: the database holding the run schema.
        schema: a schema created by ``synthcore load``.
        report_path: generation-report.json giving the expected row counts; the load ledger when None.
        full: run every check in SQL, even those a validated constraint proves.

    Returns:
        The report; ``passed`` is False when any check failed (see ``raise_on_failure``).

    Raises:
        InputError: the schema name is unsafe, or the schema does not exist or was not created by synthcore.
    """
    validate_schema_name(schema)
    started = time.perf_counter()
    report = load_model(GenerationReport, report_path) if report_path else None
    with connect(conninfo, application_name=APPLICATION_NAME, readonly=True) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction():
            require_owned(conn, schema)
            expected = {t: report.tables[t].rows for t in TABLES} if report else _ledger_rows(conn, schema)
            catalog = {} if full else constraints(conn, schema)
            _prepare(conn, schema)
            parts: dict[int, list[CheckResult]] = {}
            pending: queue.Queue[tuple[int, Scan, list[str]]] = queue.Queue()
            for i, scan in enumerate(integrity_scans(expected)):
                proofs = [(None, "") if full else constraint_proof(c, catalog) for c in scan.checks]
                if all(proof for proof, _ in proofs):
                    parts[i] = [_proven(c, proof or "") for c, (proof, _) in zip(scan.checks, proofs, strict=True)]
                else:
                    pending.put((i, scan, [reason for _, reason in proofs]))
            snapshot = str(conn.execute("SELECT pg_export_snapshot()").fetchone()[0])  # type: ignore[index]
            with ThreadPoolExecutor(LANES - 1) as pool:
                lanes = [pool.submit(_lane, conninfo, schema, snapshot, pending, parts) for _ in range(LANES - 1)]
                _drain(conn, pending, parts)
                for lane in lanes:
                    lane.result()
    results = [result for i in sorted(parts) for result in parts[i]]
    failed = [r.name for r in results if not r.passed]
    return IntegrityReport(
        schema_name=schema,
        mode="full" if full else "constraints",
        passed=not failed,
        failed=failed,
        checks=results,
        seconds=round(time.perf_counter() - started, 3),
    )


def raise_on_failure(report: IntegrityReport) -> None:
    """Raise when any check failed, naming each with its count and a sample of offending keys.

    Raises:
        IntegrityCheckFailed: at least one check failed.
    """
    if report.passed:
        return
    lines = [
        f"{c.name}: {c.observed} (expected {c.expected}); sample: {', '.join(c.sample) or '-'}"
        for c in report.checks
        if not c.passed
    ]
    raise IntegrityCheckFailed(report.failed, "\n".join(lines))
