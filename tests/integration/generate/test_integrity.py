"""Referential integrity and time consistency of a generated ci dataset, checked in DuckDB over the Parquet."""

import pytest

CHECKS = {
    "message without conversation": """
        SELECT count(*) FROM messages m ANTI JOIN conversations c ON c.id = m."conversationId" """,
    "sender not a member": """
        SELECT count(*) FROM messages m ANTI JOIN conversation_users cu
        ON cu."conversationId" = m."conversationId" AND cu."userId" = m."senderId" """,
    "member without user": """
        SELECT count(*) FROM conversation_users cu ANTI JOIN users u ON u.id = cu."userId" """,
    "creator not a user": """
        SELECT count(*) FROM conversations c ANTI JOIN users u ON u.id = c."createdById" """,
    "attachment without message": """
        SELECT count(*) FROM attachments a ANTI JOIN messages m ON m.id = a."messageId" """,
    "attachment type differs from its message": """
        SELECT count(*) FROM attachments a JOIN messages m ON m.id = a."messageId" WHERE a.type <> m.type""",
    "media message without attachment": """
        SELECT count(*) FROM messages m ANTI JOIN attachments a ON a."messageId" = m.id WHERE m.type <> 'TEXT'""",
    "reply to a missing, later or foreign message": """
        SELECT count(*) FROM messages m LEFT JOIN messages r ON r.id = m."replyToId"
        WHERE m."replyToId" IS NOT NULL
          AND (r.id IS NULL OR r."conversationId" <> m."conversationId" OR r."createdAt" >= m."createdAt")""",
    "receipt by a non-member or the sender, or before the message": """
        SELECT count(*) FROM read_receipts rr JOIN messages m ON m.id = rr."messageId"
        LEFT JOIN conversation_users cu ON cu."conversationId" = m."conversationId" AND cu."userId" = rr."userId"
        WHERE cu."userId" IS NULL OR rr."userId" = m."senderId" OR rr."readAt" <= m."createdAt" """,
    "createdAt not strictly increasing per conversation": """
        SELECT count(*) FROM (SELECT "createdAt" - lag("createdAt") OVER (PARTITION BY "conversationId"
        ORDER BY "createdAt", id) AS gap FROM messages) WHERE gap <= INTERVAL 0 SECOND""",
    "member joined after the conversation's first message": """
        SELECT count(*) FROM conversation_users cu JOIN (SELECT "conversationId", min("createdAt") AS first
        FROM messages GROUP BY ALL) f USING ("conversationId") WHERE cu."joinedAt" > f.first""",
    "lastMessageAt/updatedAt not the last message": """
        SELECT count(*) FROM conversations c JOIN (SELECT "conversationId", max("createdAt") AS last
        FROM messages GROUP BY ALL) l ON l."conversationId" = c.id
        WHERE c."lastMessageAt" <> l.last OR c."updatedAt" <> l.last""",
    "lastReadAt not the member's last receipt": """
        SELECT count(*) FROM conversation_users cu LEFT JOIN (SELECT m."conversationId", rr."userId",
        max(rr."readAt") AS last FROM read_receipts rr JOIN messages m ON m.id = rr."messageId" GROUP BY ALL) r
        USING ("conversationId", "userId") WHERE cu."lastReadAt" IS DISTINCT FROM r.last""",
    "left before the last read": """
        SELECT count(*) FROM conversation_users WHERE "leftAt" IS NOT NULL AND ("isActive"
        OR "leftAt" <= coalesce("lastReadAt", "joinedAt"))""",
    "user created after joining": """
        SELECT count(*) FROM conversation_users cu JOIN users u ON u.id = cu."userId"
        WHERE u."createdAt" > cu."joinedAt" """,
    "DIRECT conversation without exactly two members": """
        SELECT count(*) FROM conversations c JOIN (SELECT "conversationId", count(*) AS n FROM conversation_users
        GROUP BY ALL) k ON k."conversationId" = c.id WHERE c.type = 'DIRECT' AND k.n <> 2""",
    "edited before created or updatedAt inconsistent": """
        SELECT count(*) FROM messages WHERE ("editedAt" IS NOT NULL AND ("editedAt" <= "createdAt"
        OR "updatedAt" <> "editedAt")) OR ("editedAt" IS NULL AND "updatedAt" <> "createdAt")""",
}

UNIQUE_KEYS = {
    "users": "id",
    "conversations": "id",
    "messages": "id",
    "attachments": "id",
    "conversation_users": '"conversationId", "userId"',
    "read_receipts": '"messageId", "userId"',
}


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_integrity(ci_db, check):
    assert ci_db.execute(CHECKS[check]).fetchone()[0] == 0


@pytest.mark.parametrize("table", sorted(UNIQUE_KEYS))
def test_unique_keys(ci_db, table):
    key = UNIQUE_KEYS[table]
    dupes = ci_db.execute(f"SELECT count(*) - count(DISTINCT ({key})) FROM {table}").fetchone()[0]
    assert dupes == 0
    if table == "users":
        assert ci_db.execute("SELECT count(*) - count(DISTINCT email) FROM users").fetchone()[0] == 0


def test_counts_match_report(ci_db, ci_dataset):
    _, report = ci_dataset
    for name, summary in report.tables.items():
        assert ci_db.execute(f"SELECT count(*) FROM {name}").fetchone()[0] == summary.rows
    assert report.tables["messages"].rows == 50_000 and report.tables["users"].rows == 1_000


def test_nothing_looks_like_personal_data(ci_db):
    checks = {
        "users": """SELECT count(*) FROM users WHERE NOT regexp_full_match(email, '[a-z]+\\.[0-9]+@example\\.invalid')
            OR NOT regexp_full_match(username, '[a-z]+')
            OR NOT regexp_full_match(coalesce("displayName", 'X'), '[A-Z][a-z]*( [A-Z][a-z]*)*')
            OR NOT regexp_full_match(coalesce("phoneNumber", '+1 555 0100'),
                                     '\\+1 555 01[0-9]{2}|\\+44 7700 900[0-9]{3}')
            OR NOT regexp_full_match(coalesce("avatarUrl", 'https://avatars.example.invalid/u0.png'),
                                     'https://avatars\\.example\\.invalid/u[0-9]+\\.png')
            OR NOT regexp_full_match(coalesce(bio, ''), '[a-z ]*')""",
        "messages": "SELECT count(*) FROM messages WHERE NOT regexp_full_match(coalesce(content, ''), '[a-z ]*')",
        "attachments": """SELECT count(*) FROM attachments
            WHERE NOT regexp_full_match(url, 'https://files\\.example\\.invalid/a[0-9]+\\.[a-z0-9]+')""",
        "conversations": """SELECT count(*) FROM conversations
            WHERE NOT regexp_full_match(coalesce(name, 'X'), '[A-Z][a-z]*( [A-Z][a-z]*)*')""",
    }
    for table, sql in checks.items():
        assert ci_db.execute(sql).fetchone()[0] == 0, table
