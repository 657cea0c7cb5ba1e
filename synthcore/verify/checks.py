"""Integrity checks as data: a name, what it verifies, the expected count, and the SQL that evaluates it.

Checks are evaluated by scans: one SQL statement whose single row holds one count per check, in order, so one pass
over a table can evaluate several checks (row count and chat semantics of messages in one pass; both receipt rules
and the reply rule in one pass over what references a message). A count that equals the expected value is exact;
otherwise verify runs the check's ``offenders`` statement for the exact count and a sample of offending keys, so the
passes compute counts only (no key text per row, no ordered sample aggregates, so PostgreSQL may run them in
parallel). Every statement runs with ``search_path`` set to the run schema. Key checks are derived from
specs/schema.sql and carry their key: when the catalog holds that key as a validated constraint, verify reports the
check as proven by the constraint instead of scanning (see verify.py).
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
    ``offenders`` selects the offending keys (one text column); it gives the exact count and the sample whenever the
    scan's count differs from ``expected``. Without it the scan's count is exact (row counts).
    """

    name: str
    description: str
    expected: int
    expectation: str = "no offending rows"
    key: KeyRef | None = None
    offenders: sql.SQL | sql.Composed | None = None


@dataclass(frozen=True)
class Scan:
    """One SQL statement that evaluates ``checks``: its row holds one count per check, in order."""

    source: str
    checks: tuple[Check, ...]
    query: sql.SQL | sql.Composed


def offenders_query(body: sql.SQL | sql.Composed) -> sql.Composed:
    """Wrap a query selecting offending keys (one text column) into (count, first SAMPLE_SIZE keys, sorted)."""
    return sql.SQL(
        "SELECT count(*), coalesce((array_agg(key ORDER BY key))[1:{}], '{{}}') FROM ({}) AS bad(key)"
    ).format(sql.Literal(SAMPLE_SIZE), body)


def _count(body: sql.SQL | sql.Composed) -> sql.Composed:
    return sql.SQL("SELECT count(*) FROM ({}) AS bad").format(body)


# Messages joined to their conversation and to the sender's membership (both small hash tables).
MESSAGES_FROM = """messages m
    LEFT JOIN conversations c ON c.id = m."conversationId"
    LEFT JOIN conversation_users cu ON cu."conversationId" = m."conversationId" AND cu."userId" = m."senderId" """
OUTSIDE = 'c.id IS NOT NULL AND (m."createdAt" < c."createdAt" OR m."createdAt" > c."lastMessageAt")'
STRANGER = 'cu."userId" IS NULL OR cu."joinedAt" > m."createdAt"'
# A 64-bit hash of (conversationId, createdAt): equal moments hash equally, so when the hashes of all messages are
# distinct no two messages of a conversation share createdAt. Distinct 8-byte hashes are counted by an in-memory
# sort of by-value datums, far cheaper than grouping 5 M (uuid, timestamptz) keys; a deficit (a duplicate or,
# rarely, a hash collision) sends the check to its exact GROUP BY.
MOMENT = 'uuid_hash_extended(m."conversationId", hashfloat8extended(date_part(\'epoch\', m."createdAt"), 0))'
# One pass over messages: row count, inside the conversation's lifetime, senders are members, no shared createdAt.
MESSAGES_PASS = f"""SELECT count(*), count(*) FILTER (WHERE {OUTSIDE}), count(*) FILTER (WHERE {STRANGER}),
       count(*) - count(DISTINCT {MOMENT})
FROM {MESSAGES_FROM}"""
MESSAGES_SHARING_CREATED_AT = """
    SELECT m."conversationId"::text || ' @ ' || m."createdAt"::text
    FROM messages m GROUP BY m."conversationId", m."createdAt" HAVING count(*) > 1"""

# Everything that references a message, joined to it once (one hash table of messages by id): read receipts
# (reader in ``who``) and replies (reply id in ``reply``), then the reader's membership of the message's
# conversation. ``at`` is the receipt's readAt or the reply's createdAt; both must be later than the message.
REFERENCES_FROM = """(
        SELECT true AS receipt, "messageId" AS ref, "userId" AS who, NULL::uuid AS reply, "readAt" AS at,
               NULL::uuid AS conversation
        FROM read_receipts
        UNION ALL
        SELECT false, "replyToId", NULL, id, "createdAt", "conversationId" FROM messages WHERE "replyToId" IS NOT NULL
    ) AS r
    LEFT JOIN messages m ON m.id = r.ref
    LEFT JOIN conversation_users cu ON cu."conversationId" = m."conversationId" AND cu."userId" = r.who"""
EARLY_RECEIPT = 'r.receipt AND m.id IS NOT NULL AND r.at <= m."createdAt"'
OUTSIDER_RECEIPT = 'r.receipt AND m.id IS NOT NULL AND (r.who = m."senderId" OR cu."userId" IS NULL)'
BAD_REPLY = 'NOT r.receipt AND m.id IS NOT NULL AND (r.at <= m."createdAt" OR r.conversation <> m."conversationId")'
RECEIPT_KEY = "r.ref::text || ' / ' || r.who::text"
REFERENCES_PASS = f"""SELECT count(*) FILTER (WHERE r.receipt), count(*) FILTER (WHERE {EARLY_RECEIPT}),
       count(*) FILTER (WHERE {OUTSIDER_RECEIPT}), count(*) FILTER (WHERE {BAD_REPLY})
FROM {REFERENCES_FROM}"""


def _where(key: str, source: str, condition: str) -> sql.SQL:
    return sql.SQL(f"SELECT {key} FROM {source} WHERE {condition}")


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
    return Scan(key.table, (Check(f"unique_{key.name}", what, 0, key=key, offenders=body),), _count(body))


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
    return Scan(key.table, (Check(f"no_orphans_{key.name}", what, 0, key=key, offenders=body),), _count(body))


def _count_scan(expected_rows: dict[str, int]) -> Scan:
    tables = [t for t in TABLES if t not in ROW_COUNTS_IN_PASSES]
    counts = sql.SQL(", ").join(sql.SQL("(SELECT count(*) FROM {})").format(sql.Identifier(t)) for t in tables)
    checks = tuple(_count_check(t, expected_rows[t]) for t in tables)
    return Scan(", ".join(tables), checks, sql.SQL("SELECT {}").format(counts))


def _semantic_scans(expected_rows: dict[str, int]) -> list[Scan]:
    messages = (
        _count_check("messages", expected_rows["messages"]),
        Check(
            "messages_within_conversation",
            "every message lies between its conversation's createdAt and lastMessageAt",
            0,
            offenders=_where("m.id::text", MESSAGES_FROM, OUTSIDE),
        ),
        Check(
            "senders_are_members",
            "every sender is a member of the conversation, joined before sending",
            0,
            offenders=_where("m.id::text", MESSAGES_FROM, STRANGER),
        ),
        Check(
            "messages_created_strictly_increasing",
            "no two messages of a conversation share createdAt",
            0,
            offenders=sql.SQL(MESSAGES_SHARING_CREATED_AT),
        ),
    )
    references = (
        _count_check("read_receipts", expected_rows["read_receipts"]),
        Check(
            "receipts_after_message",
            "every read receipt is later than its message",
            0,
            offenders=_where(RECEIPT_KEY, REFERENCES_FROM, EARLY_RECEIPT),
        ),
        Check(
            "receipts_by_other_members",
            "receipts come from members other than the sender",
            0,
            offenders=_where(RECEIPT_KEY, REFERENCES_FROM, OUTSIDER_RECEIPT),
        ),
        Check(
            "replies_after_parent",
            "a reply is later than, and in the same conversation as, the message it answers",
            0,
            offenders=_where("r.reply::text", REFERENCES_FROM, BAD_REPLY),
        ),
    )
    return [
        Scan("messages", messages, sql.SQL(MESSAGES_PASS)),
        Scan("read_receipts and replies", references, sql.SQL(REFERENCES_PASS)),
    ]


def integrity_scans(expected_rows: dict[str, int]) -> list[Scan]:
    """Every check, grouped into the scans that evaluate it: row counts, unique keys, foreign keys, chat semantics."""
    return [
        _count_scan(expected_rows),
        *(unique_scan(key) for key in unique_keys()),
        *(orphan_scan(key) for key in foreign_keys()),
        *_semantic_scans(expected_rows),
    ]
