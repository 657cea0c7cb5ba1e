"""Warm a loaded run schema: VACUUM (ANALYZE) every dataset table, then pg_prewarm what fits in shared_buffers.

Vacuum sets the visibility map (index-only scans) and fresh statistics; prewarm loads indexes first (the hot path),
then tables, while their total stays within PREWARM_SHARE of shared_buffers. pg_prewarm is created inside the run
schema when the server has it and no other schema does, so teardown removes it with the schema.
"""

from __future__ import annotations

import time

import psycopg
from psycopg import sql

from synthcore.load.guard import guard_target
from synthcore.load.ownership import require_owned
from synthcore.pg import connect, qualified
from synthcore.spec.database import RelationWarmth, WarmReport
from synthcore.spec.tables import TABLES

APPLICATION_NAME = "synthcore-warm"
# Leave a tenth of shared_buffers for the queries' own working pages (sorts spill elsewhere, but catalogs do not).
PREWARM_SHARE = 0.9

RELATIONS_SQL = """
SELECT c.relname, CASE c.relkind WHEN 'i' THEN 'index' ELSE 'table' END, pg_relation_size(c.oid)
FROM pg_class c
LEFT JOIN pg_index i ON i.indexrelid = c.oid
LEFT JOIN pg_class t ON t.oid = coalesce(i.indrelid, c.oid)
WHERE c.relnamespace = to_regnamespace(%(schema)s) AND c.relkind IN ('r', 'i') AND t.relname = ANY(%(tables)s)
ORDER BY c.relkind = 'r', pg_relation_size(c.oid)
"""
SHARED_BUFFERS_SQL = "SELECT setting::bigint * current_setting('block_size')::bigint FROM pg_settings WHERE name = %s"


def _prewarm_function(conn: psycopg.Connection, schema: str) -> sql.Composed | None:
    """``schema_of_extension.pg_prewarm``, creating the extension in ``schema`` if needed; None if unavailable."""
    row = conn.execute(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = %s",
        ["pg_prewarm"],
    ).fetchone()
    if row is None:
        available = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = %s", ["pg_prewarm"]).fetchone()
        if available is None:
            return None
        conn.execute(sql.SQL("CREATE EXTENSION pg_prewarm SCHEMA {}").format(sql.Identifier(schema)))
        row = (schema,)
    return qualified(row[0], "pg_prewarm")


def warm_schema(conninfo: str, schema: str) -> WarmReport:
    """VACUUM (ANALYZE) the dataset tables of ``schema`` and prewarm every relation that fits.

    Raises:
        ProductionTargetRefused: the environment guard refused the target.
        InputError: ``schema`` is missing or not synthcore's.
    """
    with connect(conninfo, application_name=APPLICATION_NAME, autocommit=True) as conn:
        guard_target(conn, schema)
        require_owned(conn, schema)
        started = time.perf_counter()
        for table in TABLES:
            conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(qualified(schema, table)))
        vacuum_seconds = time.perf_counter() - started
        row = conn.execute(SHARED_BUFFERS_SQL, ["shared_buffers"]).fetchone()
        budget = int(row[0]) if row else 0
        prewarm = _prewarm_function(conn, schema)
        relations, used = [], 0
        for name, kind, size in conn.execute(RELATIONS_SQL, {"schema": schema, "tables": list(TABLES)}).fetchall():
            blocks, seconds = 0, 0.0
            if prewarm is not None and used + size <= budget * PREWARM_SHARE:
                tick = time.perf_counter()
                relation = qualified(schema, name).as_string(conn)
                result = conn.execute(sql.SQL("SELECT {}(%s::regclass)").format(prewarm), [relation]).fetchone()
                blocks, seconds, used = int(result[0]) if result else 0, time.perf_counter() - tick, used + size
            relations.append(
                RelationWarmth(
                    name=name, kind=kind, size_bytes=size, prewarmed_blocks=blocks, seconds=round(seconds, 4)
                )
            )
    return WarmReport(
        schema_name=schema,
        prewarm_available=prewarm is not None,
        shared_buffers_bytes=budget,
        relations=relations,
        vacuum_seconds=round(vacuum_seconds, 3),
        prewarm_seconds=round(sum(r.seconds for r in relations), 3),
    )
