"""Exactly-once chunk ledger, kept in the run schema beside the data it describes.

A chunk is claimed by inserting its ledger row in the same transaction as its COPY: a committed row means the rows
are in, an aborted transaction (crash, kill -9, lost connection) leaves neither. A concurrent claim of the same chunk
waits on the primary key and then sees the winner's row, so two loaders never copy one chunk twice.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from synthcore.pg import qualified

LEDGER_TABLE = "_synthcore_ledger"
STATE_TABLE = "_synthcore_state"
LEDGER_DDL = [
    f"""CREATE TABLE {LEDGER_TABLE} (
        "table" text NOT NULL,
        chunk integer NOT NULL,
        rows bigint NOT NULL,
        bytes bigint NOT NULL,
        seconds double precision NOT NULL,
        "loadedAt" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("table", chunk)
    )""",
    f"""CREATE TABLE {STATE_TABLE} (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        "finalizedAt" timestamptz,
        "finalizeSeconds" double precision
    )""",
    f"INSERT INTO {STATE_TABLE} DEFAULT VALUES",
]


def claim_chunk(cur: psycopg.Cursor, schema: str, table: str, chunk: int) -> bool:
    """Insert the ledger row of (table, chunk) in the open transaction; False if it is already committed."""
    statement = sql.SQL(
        'INSERT INTO {} ("table", chunk, rows, bytes, seconds) VALUES (%s, %s, 0, 0, 0)'
        ' ON CONFLICT ("table", chunk) DO NOTHING RETURNING 1'
    ).format(qualified(schema, LEDGER_TABLE))
    return cur.execute(statement, [table, chunk]).fetchone() is not None


def record_chunk(
    cur: psycopg.Cursor, schema: str, table: str, chunk: int, rows: int, size: int, seconds: float
) -> None:
    """Fill in the claimed ledger row with what was copied (same transaction as the COPY)."""
    statement = sql.SQL('UPDATE {} SET rows = %s, bytes = %s, seconds = %s WHERE "table" = %s AND chunk = %s').format(
        qualified(schema, LEDGER_TABLE)
    )
    cur.execute(statement, [rows, size, seconds, table, chunk])


def loaded_chunks(conn: psycopg.Connection, schema: str) -> dict[str, set[int]]:
    """Committed chunks per table."""
    statement = sql.SQL('SELECT "table", chunk FROM {}').format(qualified(schema, LEDGER_TABLE))
    done: dict[str, set[int]] = {}
    for table, chunk in conn.execute(statement).fetchall():
        done.setdefault(table, set()).add(chunk)
    return done


def finalized(conn: psycopg.Connection, schema: str) -> bool:
    """Whether the finalize step (keys and foreign keys) has committed."""
    statement = sql.SQL('SELECT "finalizedAt" IS NOT NULL FROM {} FOR UPDATE').format(qualified(schema, STATE_TABLE))
    row = conn.execute(statement).fetchone()
    return bool(row and row[0])


def mark_finalized(conn: psycopg.Connection, schema: str, seconds: float) -> None:
    """Record the finalize step in the open transaction (the one that added the keys)."""
    statement = sql.SQL('UPDATE {} SET "finalizedAt" = now(), "finalizeSeconds" = %s').format(
        qualified(schema, STATE_TABLE)
    )
    conn.execute(statement, [seconds])
