"""Run the integrity checks inside PostgreSQL against one run schema and report every result.

Checks run in one read-only transaction (one snapshot) with ``search_path`` set to the run schema. Expected row
counts come from the generation report, or, without one, from the load ledger of the schema.
"""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
from psycopg import sql

from synthcore.errors import IntegrityCheckFailed
from synthcore.load.ledger import LEDGER_TABLE
from synthcore.load.ownership import require_owned
from synthcore.load.schema import use_schema
from synthcore.pg import connect, qualified
from synthcore.spec.database import CheckResult, IntegrityReport
from synthcore.spec.io import load_model
from synthcore.spec.reports import GenerationReport
from synthcore.spec.tables import TABLES
from synthcore.verify.checks import integrity_checks

APPLICATION_NAME = "synthcore-verify"


def _ledger_rows(conn: psycopg.Connection, schema: str) -> dict[str, int]:
    statement = sql.SQL('SELECT "table", sum(rows)::bigint FROM {} GROUP BY 1').format(qualified(schema, LEDGER_TABLE))
    counted: dict[str, int] = dict(conn.execute(statement).fetchall())
    return {table: int(counted.get(table, 0)) for table in TABLES}


def check_integrity(conninfo: str, schema: str, report_path: Path | None = None) -> IntegrityReport:
    """Run every integrity check on ``schema``.

    Args:
        conninfo: the database holding the run schema.
        schema: a schema created by ``synthcore load``.
        report_path: generation-report.json giving the expected row counts; the load ledger when None.

    Returns:
        The report; ``passed`` is False when any check failed (see ``raise_on_failure``).

    Raises:
        InputError: the schema does not exist or was not created by synthcore.
    """
    started = time.perf_counter()
    report = load_model(GenerationReport, report_path) if report_path else None
    with connect(conninfo, application_name=APPLICATION_NAME, readonly=True) as conn, conn.transaction():
        require_owned(conn, schema)
        expected = {t: report.tables[t].rows for t in TABLES} if report else _ledger_rows(conn, schema)
        use_schema(conn, schema)
        results = []
        for check in integrity_checks(expected):
            row = conn.execute(check.query).fetchone()
            observed, sample = (int(row[0]), list(row[1])) if row else (-1, [])
            results.append(
                CheckResult(
                    name=check.name,
                    description=check.description,
                    expectation=check.expectation,
                    observed=observed,
                    expected=check.expected,
                    passed=observed == check.expected,
                    sample=sample,
                )
            )
    failed = [r.name for r in results if not r.passed]
    return IntegrityReport(
        schema_name=schema,
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
