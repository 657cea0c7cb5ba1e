"""Run-schema ownership: the one place that knows which schemas synthcore created and how to lock one.

A run schema carries synthcore's marker as its comment, ``synthdata:{"created_by": "synthcore", ...identity}``.
Load writes it (under ``lock_schema``); verify, warm, baseline, index application and teardown call
``require_owned`` before touching anything; teardown also takes ``lock_schema`` so it cannot race a loader creating
the same schema. ``constraints`` reads what the catalog proves about a schema's keys (verify uses it).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg

from synthcore.errors import InputError

MARKER_PREFIX = "synthdata:"
CREATED_BY = "synthcore"

_COLUMNS = """ARRAY(SELECT a.attname::text FROM unnest({keys}) WITH ORDINALITY AS k(num, pos)
    JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.num ORDER BY k.pos)"""
_NOT_NULL = """coalesce((SELECT bool_and(a.attnotnull) FROM unnest({keys}) AS k(num)
    JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.num), false)"""
# Keys of a schema: constraints (primary, unique, foreign) and unique indexes that back no constraint. A foreign key
# holds only while its RI triggers fire, so one with a disabled trigger counts as not validated.
CONSTRAINTS_SQL = f"""
SELECT con.conname::text, con.contype::text, con.convalidated AND NOT EXISTS (
           SELECT 1 FROM pg_trigger t WHERE t.tgconstraint = con.oid AND t.tgenabled = 'D'),
       cls.relname::text, {_COLUMNS.format(keys="con.conkey", rel="con.conrelid")},
       coalesce(ref.relname::text, ''), {_COLUMNS.format(keys="coalesce(con.confkey, '{}')", rel="con.confrelid")},
       {_NOT_NULL.format(keys="con.conkey", rel="con.conrelid")}
FROM pg_constraint con JOIN pg_class cls ON cls.oid = con.conrelid LEFT JOIN pg_class ref ON ref.oid = con.confrelid
WHERE con.connamespace = to_regnamespace(%(schema)s) AND con.contype IN ('p', 'u', 'f')
UNION ALL
SELECT idx.relname::text, 'u', ind.indisvalid AND ind.indisready AND ind.indpred IS NULL AND ind.indexprs IS NULL,
       tbl.relname::text, {_COLUMNS.format(keys="ind.indkey::int2[]", rel="ind.indrelid")}, '', '{{}}'::text[],
       {_NOT_NULL.format(keys="ind.indkey::int2[]", rel="ind.indrelid")}
FROM pg_index ind JOIN pg_class idx ON idx.oid = ind.indexrelid JOIN pg_class tbl ON tbl.oid = ind.indrelid
WHERE idx.relnamespace = to_regnamespace(%(schema)s) AND ind.indisunique
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ind.indexrelid AND c.contype IN ('p', 'u', 'x'))
"""


@dataclass(frozen=True)
class Constraint:
    """A key as the catalog holds it.

    ``kind`` is ``p`` (primary key), ``u`` (unique constraint or index) or ``f`` (foreign key); ``validated`` says
    the server guarantees it for every row (a ``NOT VALID`` foreign key, an invalid or partial unique index, or a
    disabled RI trigger does not); ``not_null`` says every key column is declared NOT NULL.
    """

    name: str
    kind: str
    validated: bool
    table: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    not_null: bool


def marker_comment(identity: dict[str, Any]) -> str:
    """The schema comment that marks a run schema as synthcore's, with the dataset identity."""
    return MARKER_PREFIX + json.dumps({"created_by": CREATED_BY, **identity}, sort_keys=True)


def read_marker(conn: psycopg.Connection, schema: str) -> dict[str, Any] | None:
    """The identity recorded on ``schema`` by synthcore, or None when the schema is absent or not synthcore's."""
    row = conn.execute(
        "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s", [schema]
    ).fetchone()
    if row is None or not (row[0] or "").startswith(MARKER_PREFIX):
        return None
    try:
        marker = json.loads(row[0].removeprefix(MARKER_PREFIX))
    except ValueError:
        return None
    return marker if isinstance(marker, dict) and marker.get("created_by") == CREATED_BY else None


def schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    """Whether a schema named ``schema`` exists."""
    return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]).fetchone() is not None


def lock_schema(conn: psycopg.Connection, schema: str) -> None:
    """Take the transaction-level advisory lock that serialises creating and dropping ``schema``."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"synthcore:{schema}"])


@contextlib.contextmanager
def finalizing(conn: psycopg.Connection, schema: str) -> Iterator[None]:
    """Hold the session-level advisory lock that lets one finalizer of ``schema`` run at a time.

    Session-level because finalize spans several transactions and connections; a crashed holder's session ends and
    releases it.
    """
    key = f"synthcore-finalize:{schema}"
    with conn.transaction():  # the lock outlives the transaction; the transaction must not outlive the statement
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", [key])
    try:
        yield
    finally:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", [key])


def require_owned(conn: psycopg.Connection, schema: str) -> dict[str, Any]:
    """The marker of ``schema``; refuse a schema that is missing or that synthcore did not create.

    Raises:
        InputError: ``schema`` does not exist or carries no synthcore marker.
    """
    marker = read_marker(conn, schema)
    if marker is None:
        raise InputError(f"schema {schema!r} does not exist or was not created by synthcore load")
    return marker


def constraints(conn: psycopg.Connection, schema: str) -> dict[str, Constraint]:
    """Primary keys, unique constraints or indexes, and foreign keys of ``schema`` by name, with their validity.

    A unique index counts as validated only when it is valid, ready and neither partial nor on expressions (a failed
    ``CREATE INDEX CONCURRENTLY`` leaves an invalid one that proves nothing).
    """
    rows = conn.execute(CONSTRAINTS_SQL, {"schema": schema}).fetchall()
    return {r[0]: Constraint(r[0], r[1], bool(r[2]), r[3], tuple(r[4]), r[5], tuple(r[6]), bool(r[7])) for r in rows}
