"""Integrity checks as data: a name, what it verifies, the expected count, and the SQL scan that evaluates it.

Checks are evaluated by scans: one SQL statement whose single row holds ``(observed, sample)`` for each of its checks,
in order, so one pass over a table can evaluate several checks (row count and chat semantics of messages in one pass,
both receipt rules in another). Every statement runs with ``search_path`` set to the run schema. Key checks are
derived from specs/schema.sql and carry their key: when the catalog holds that key as a validated constraint, verify
reports the check as proven by the constraint instead of scanning (see verify.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

from synthcore.load.schema import KeyRef, foreign_keys, unique_keys
from synthcore.spec.tables import TABLES

SAMPLE_SIZE = 5


@dataclass(frozen=True)
class Check:
    """One integrity check: it passes when the observed count equals ``expected``.

    ``key`` is the schema key (primary, unique or foreign) whose validated constraint proves the check, if any.
    """

    name: str
    description: str
    expected: int
    expectation: str = "no offending rows"
    key: KeyRef | None = None


@dataclass(frozen=True)
class Scan:
    """One SQL statement that evaluates ``checks``: its row holds (observed, sample) per check, in order."""

    source: str
    checks: tuple[Check, ...]
    query: sql.SQL | sql.Composed


def _sample(condition: str, key: str) -> str:
    """The first SAMPLE_SIZE offending keys (sorted) among rows matching ``condition``."""
    return f"coalesce((array_agg({key} ORDER BY {key}) FILTER (WHERE {condition}))[1:{SAMPLE_SIZE}], '{{}}')"


def _offenders(body: str | sql.Composable) -> sql.Composed:
    """Wrap a query selecting offending keys (one text column) into (count, sample of SAMPLE_SIZE keys)."""
    body_sql = sql.SQL(body) if isinstance(body, str) else body
    return sql.SQL("SELECT count(*), {} FROM ({}) AS bad(key)").format(sql.SQL(_sample("true", "key")), body_sql)


# One pass over messages, joined to its conversation and to the sender's membership (both small hash tables):
# row count, messages inside their conversation's lifetime, senders who are members joined before sending.
MESSAGES_PASS = f"""
SELECT count(*), '{{}}'::text[],
       count(*) FILTER (WHERE outside), {_sample("outside", "m.id::text")},
       count(*) FILTER (WHERE stranger), {_sample("stranger", "m.id::text")}
FROM (
    SELECT m.id, c.id IS NOT NULL AND (m."createdAt" < c."createdAt" OR m."createdAt" > c."lastMessageAt") AS outside,
           cu."userId" IS NULL OR cu."joinedAt" > m."createdAt" AS stranger
    FROM messages m
    LEFT JOIN conversations c ON c.id = m."conversationId"
    LEFT JOIN conversation_users cu ON cu."conversationId" = m."conversationId" AND cu."userId" = m."senderId"
) AS m"""

MESSAGES_STRICTLY_INCREASING = """
    SELECT m."conversationId"::text || ' @ ' || m."createdAt"::text
    FROM messages m GROUP BY m."conversationId", m."createdAt" HAVING count(*) > 1"""

REPLIES_AFTER_PARENT = """
    SELECT m.id::text FROM messages m JOIN messages p ON p.id = m."replyToId"
    WHERE m."createdAt" <= p."createdAt" OR m."conversationId" <> p."conversationId" """

# One pass over read receipts, joined to their message and to the reader's membership: row count, receipts after
# their message, receipts by members other than the sender.
RECEIPTS_PASS = f"""
SELECT count(*), '{{}}'::text[],
       count(*) FILTER (WHERE early), {_sample("early", "r.key")},
       count(*) FILTER (WHERE outsider), {_sample("outsider", "r.key")}
FROM (
    SELECT r."messageId"::text || ' / ' || r."userId"::text AS key,
           m.id IS NOT NULL AND r."readAt" <= m."createdAt" AS early,
           m.id IS NOT NULL AND (r."userId" = m."senderId" OR cu."userId" IS NULL) AS outsider
    FROM read_receipts r
    LEFT JOIN messages m ON m.id = r."messageId"
    LEFT JOIN conversation_users cu ON cu."conversationId" = m."conversationId" AND cu."userId" = r."userId"
) AS r"""

ROW_COUNTS_IN_PASSES = ("messages", "read_receipts")


def _count_check(table: str, rows: int) -> Check:
    return Check(
        f"row_count_{table}", f"row count of {table} equals the generation report", rows, f"exactly {rows} rows"
    )


def _key_text(alias: str, columns: tuple[str, ...]) -> sql.Composed:
    parts = [sql.SQL("coalesce({}.{}::text, 'NULL')").format(sql.Identifier(alias), sql.Identifier(c)) for c in columns]
    return sql.SQL(" || ' / ' || ").join(parts)


def unique_scan(key: KeyRef) -> Scan:
    """Duplicate or null keys of a primary key or unique index, counted in SQL."""
    cols = sql.SQL(", ").join(sql.Identifier("t", c) for c in key.columns)
    nulls = sql.SQL(" OR ").join(sql.SQL("{} IS NULL").format(sql.Identifier("t", c)) for c in key.columns)
    body = sql.SQL("SELECT {key} FROM {table} t GROUP BY {cols} HAVING count(*) > 1 OR bool_or({nulls})").format(
        key=_key_text("t", key.columns), table=sql.Identifier(key.table), cols=cols, nulls=nulls
    )
    what = f"{key.table}({', '.join(key.columns)}) is unique and not null"
    return Scan(key.table, (Check(f"unique_{key.name}", what, 0, key=key),), _offenders(body))


def orphan_scan(key: KeyRef) -> Scan:
    """Rows whose foreign key has no referenced row, counted in SQL."""
    join = sql.SQL(" AND ").join(
        sql.SQL("r.{} = t.{}").format(sql.Identifier(rc), sql.Identifier(c))
        for c, rc in zip(key.columns, key.ref_columns, strict=True)
    )
    present = sql.SQL(" AND ").join(sql.SQL("t.{} IS NOT NULL").format(sql.Identifier(c)) for c in key.columns)
    body = sql.SQL(
        "SELECT {key} FROM {table} t LEFT JOIN {ref} r ON {join} WHERE {present} AND r.{first} IS NULL"
    ).format(
        key=_key_text("t", key.columns),
        table=sql.Identifier(key.table),
        ref=sql.Identifier(key.ref_table),
        join=join,
        present=present,
        first=sql.Identifier(key.ref_columns[0]),
    )
    what = f"every {key.table}({', '.join(key.columns)}) exists in {key.ref_table}({', '.join(key.ref_columns)})"
    return Scan(key.table, (Check(f"no_orphans_{key.name}", what, 0, key=key),), _offenders(body))


def _count_scan(expected_rows: dict[str, int]) -> Scan:
    tables = [t for t in TABLES if t not in ROW_COUNTS_IN_PASSES]
    counts = sql.SQL(", ").join(
        sql.SQL("(SELECT count(*) FROM {}), '{{}}'::text[]").format(sql.Identifier(t)) for t in tables
    )
    checks = tuple(_count_check(t, expected_rows[t]) for t in tables)
    return Scan(", ".join(tables), checks, sql.SQL("SELECT {}").format(counts))


def _semantic_scans(expected_rows: dict[str, int]) -> list[Scan]:
    messages = (
        _count_check("messages", expected_rows["messages"]),
        Check(
            "messages_within_conversation",
            "every message lies between its conversation's createdAt and lastMessageAt",
            0,
        ),
        Check("senders_are_members", "every sender is a member of the conversation, joined before sending", 0),
    )
    receipts = (
        _count_check("read_receipts", expected_rows["read_receipts"]),
        Check("receipts_after_message", "every read receipt is later than its message", 0),
        Check("receipts_by_other_members", "receipts come from members other than the sender", 0),
    )
    increasing = Check("messages_created_strictly_increasing", "no two messages of a conversation share createdAt", 0)
    replies = Check(
        "replies_after_parent", "a reply is later than, and in the same conversation as, the message it answers", 0
    )
    return [
        Scan("messages", messages, sql.SQL(MESSAGES_PASS)),
        Scan("messages", (increasing,), _offenders(MESSAGES_STRICTLY_INCREASING)),
        Scan("messages (replies)", (replies,), _offenders(REPLIES_AFTER_PARENT)),
        Scan("read_receipts", receipts, sql.SQL(RECEIPTS_PASS)),
    ]


def integrity_scans(expected_rows: dict[str, int]) -> list[Scan]:
    """Every check, grouped into the scans that evaluate it: row counts, unique keys, foreign keys, chat semantics."""
    return [
        _count_scan(expected_rows),
        *(unique_scan(key) for key in unique_keys()),
        *(orphan_scan(key) for key in foreign_keys()),
        *_semantic_scans(expected_rows),
    ]
