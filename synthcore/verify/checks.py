"""Integrity checks as data: a name, what it verifies, the SQL that counts offenders, and the expected count.

Every check's SQL runs with ``search_path`` set to the run schema and returns one row: the number of offending rows
and a sorted sample of their keys as text. Key and foreign-key checks are derived from specs/schema.sql, so they follow
the schema; the chat-semantics checks are named SQL constants below.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

from synthcore.load.schema import KeyRef, foreign_keys, unique_keys

SAMPLE_SIZE = 5


@dataclass(frozen=True)
class Check:
    """One integrity check: ``query`` yields (observed, sample); it passes when observed == expected."""

    name: str
    description: str
    query: sql.Composed
    expected: int
    expectation: str = "no offending rows"


def _offenders(body: str | sql.Composed) -> sql.Composed:
    """Wrap a query selecting offending keys (one text column) into (count, sample of SAMPLE_SIZE keys)."""
    body_sql = sql.SQL(body) if isinstance(body, str) else body
    return sql.SQL(
        "SELECT count(*), coalesce((array_agg(key ORDER BY key))[1:{}], '{{}}') FROM ({}) AS bad(key)"
    ).format(sql.Literal(SAMPLE_SIZE), body_sql)


MESSAGES_STRICTLY_INCREASING = """
    SELECT m."conversationId"::text || ' @ ' || m."createdAt"::text
    FROM messages m GROUP BY m."conversationId", m."createdAt" HAVING count(*) > 1"""

MESSAGES_WITHIN_CONVERSATION = """
    SELECT m.id::text FROM messages m JOIN conversations c ON c.id = m."conversationId"
    WHERE m."createdAt" < c."createdAt" OR m."createdAt" > c."lastMessageAt" """

REPLIES_AFTER_PARENT = """
    SELECT m.id::text FROM messages m JOIN messages p ON p.id = m."replyToId"
    WHERE m."createdAt" <= p."createdAt" OR m."conversationId" <> p."conversationId" """

SENDERS_ARE_MEMBERS = """
    SELECT m.id::text FROM messages m
    LEFT JOIN conversation_users cu ON cu."conversationId" = m."conversationId" AND cu."userId" = m."senderId"
    WHERE cu."userId" IS NULL OR cu."joinedAt" > m."createdAt" """

RECEIPTS_AFTER_MESSAGE = """
    SELECT r."messageId"::text || ' / ' || r."userId"::text FROM read_receipts r JOIN messages m ON m.id = r."messageId"
    WHERE r."readAt" <= m."createdAt" """

RECEIPTS_BY_OTHER_MEMBERS = """
    SELECT r."messageId"::text || ' / ' || r."userId"::text FROM read_receipts r JOIN messages m ON m.id = r."messageId"
    LEFT JOIN conversation_users cu ON cu."conversationId" = m."conversationId" AND cu."userId" = r."userId"
    WHERE r."userId" = m."senderId" OR cu."userId" IS NULL"""

SEMANTIC_CHECKS: tuple[tuple[str, str, str], ...] = (
    (
        "messages_created_strictly_increasing",
        "no two messages of a conversation share createdAt",
        MESSAGES_STRICTLY_INCREASING,
    ),
    (
        "messages_within_conversation",
        "every message lies between its conversation's createdAt and lastMessageAt",
        MESSAGES_WITHIN_CONVERSATION,
    ),
    (
        "replies_after_parent",
        "a reply is later than, and in the same conversation as, the message it answers",
        REPLIES_AFTER_PARENT,
    ),
    ("senders_are_members", "every sender is a member of the conversation, joined before sending", SENDERS_ARE_MEMBERS),
    ("receipts_after_message", "every read receipt is later than its message", RECEIPTS_AFTER_MESSAGE),
    ("receipts_by_other_members", "receipts come from members other than the sender", RECEIPTS_BY_OTHER_MEMBERS),
)


def _key_text(alias: str, columns: tuple[str, ...]) -> sql.Composed:
    parts = [sql.SQL("{}.{}::text").format(sql.Identifier(alias), sql.Identifier(c)) for c in columns]
    return sql.SQL(" || ' / ' || ").join(parts)


def _unique_check(key: KeyRef) -> Check:
    cols = sql.SQL(", ").join(sql.Identifier("t", c) for c in key.columns)
    nulls = sql.SQL(" OR ").join(sql.SQL("{} IS NULL").format(sql.Identifier("t", c)) for c in key.columns)
    body = sql.SQL("SELECT {key} FROM {table} t GROUP BY {cols} HAVING count(*) > 1 OR bool_or({nulls})").format(
        key=_key_text("t", key.columns), table=sql.Identifier(key.table), cols=cols, nulls=nulls
    )
    what = f"{key.table}({', '.join(key.columns)}) is unique and not null"
    return Check(f"unique_{key.name}", what, _offenders(body), 0)


def _orphan_check(key: KeyRef) -> Check:
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
    return Check(f"no_orphans_{key.name}", what, _offenders(body), 0)


def _count_check(table: str, rows: int) -> Check:
    query = sql.SQL("SELECT count(*), '{{}}'::text[] FROM {}").format(sql.Identifier(table))
    what = f"row count of {table} equals the generation report"
    return Check(f"row_count_{table}", what, query, rows, f"exactly {rows} rows")


def integrity_checks(expected_rows: dict[str, int]) -> list[Check]:
    """Every check, in order: row counts, unique keys, foreign keys (no orphans), then chat semantics."""
    return [
        *(_count_check(table, rows) for table, rows in expected_rows.items()),
        *(_unique_check(key) for key in unique_keys()),
        *(_orphan_check(key) for key in foreign_keys()),
        *(Check(name, what, _offenders(body), 0) for name, what, body in SEMANTIC_CHECKS),
    ]
