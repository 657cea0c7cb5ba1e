"""Every verify check fails on data broken in its own way (``full`` mode, data loaded without constraints).

The dataset is loaded chunk by chunk and never finalized, so no key or foreign key stops the breakage; each case
clones that schema (marker included), breaks one rule with one statement and expects the check named for it to fail.
"""

from __future__ import annotations

import itertools

import psycopg
import pytest
from conftest import CHUNKS, Dataset

from synthcore.load import load_dataset
from synthcore.pgserver import PgServer
from synthcore.spec.tables import TABLES
from synthcore.verify import check_integrity
from synthcore.verify.checks import integrity_scans

SOURCE = "synth_unconstrained"
_clones = itertools.count()
GHOST = "'00000000-0000-0000-0000-000000000001'"
FIRST = "ctid = (SELECT min(ctid) FROM {})"

BREAKAGES: dict[str, str] = {
    **{f"row_count_{t}": f"DELETE FROM {t} WHERE {FIRST.format(t)}" for t in TABLES},
    **{
        f"unique_{t}_pkey": f"INSERT INTO {t} SELECT * FROM {t} WHERE {FIRST.format(t)}"
        for t in ("users", "conversations", "conversation_users", "messages", "attachments", "read_receipts")
    },
    "unique_users_email_key": "UPDATE users SET email = (SELECT max(email) FROM users) WHERE " + FIRST.format("users"),
    "no_orphans_conversations_createdById_fkey": f'UPDATE conversations SET "createdById" = {GHOST} WHERE '
    + FIRST.format("conversations"),
    "no_orphans_conversation_users_conversationId_fkey": f'UPDATE conversation_users SET "conversationId" = {GHOST}'
    " WHERE " + FIRST.format("conversation_users"),
    "no_orphans_conversation_users_userId_fkey": f'UPDATE conversation_users SET "userId" = {GHOST} WHERE '
    + FIRST.format("conversation_users"),
    "no_orphans_messages_conversationId_fkey": f'UPDATE messages SET "conversationId" = {GHOST} WHERE '
    + FIRST.format("messages"),
    "no_orphans_messages_senderId_fkey": f'UPDATE messages SET "senderId" = {GHOST} WHERE ' + FIRST.format("messages"),
    "no_orphans_messages_replyToId_fkey": f'UPDATE messages SET "replyToId" = {GHOST} WHERE '
    + FIRST.format("messages"),
    "no_orphans_attachments_messageId_fkey": f'UPDATE attachments SET "messageId" = {GHOST} WHERE '
    + FIRST.format("attachments"),
    "no_orphans_read_receipts_messageId_fkey": f'UPDATE read_receipts SET "messageId" = {GHOST} WHERE '
    + FIRST.format("read_receipts"),
    "no_orphans_read_receipts_userId_fkey": f'UPDATE read_receipts SET "userId" = {GHOST} WHERE '
    + FIRST.format("read_receipts"),
    "messages_created_strictly_increasing": """UPDATE messages m SET "createdAt" = o."createdAt" FROM messages o
        WHERE o."conversationId" = m."conversationId" AND o.id <> m.id
        AND m.id = (SELECT id FROM messages ORDER BY id LIMIT 1)
        AND o.id = (SELECT id FROM messages x WHERE x."conversationId" = m."conversationId" AND x.id <> m.id
                    ORDER BY x.id LIMIT 1)""",
    "messages_within_conversation": """UPDATE messages m SET "createdAt" = c."createdAt" - interval '1 day'
        FROM conversations c
        WHERE c.id = m."conversationId" AND m.id = (SELECT id FROM messages ORDER BY id LIMIT 1)""",
    "replies_after_parent": """UPDATE messages m SET "createdAt" = p."createdAt" FROM messages p
        WHERE p.id = m."replyToId"
        AND m.id = (SELECT id FROM messages WHERE "replyToId" IS NOT NULL ORDER BY id LIMIT 1)""",
    "senders_are_members": """UPDATE messages SET "senderId" = (SELECT u.id FROM users u WHERE NOT EXISTS (
            SELECT 1 FROM conversation_users cu
            WHERE cu."userId" = u.id AND cu."conversationId" = messages."conversationId")
            ORDER BY u.id LIMIT 1)
        WHERE id = (SELECT id FROM messages ORDER BY id LIMIT 1)""",
    "receipts_after_message": """UPDATE read_receipts r SET "readAt" = m."createdAt" FROM messages m
        WHERE m.id = r."messageId" AND r.ctid = (SELECT min(ctid) FROM read_receipts)""",
    "receipts_by_other_members": """UPDATE read_receipts r SET "userId" = m."senderId" FROM messages m
        WHERE m.id = r."messageId" AND r.ctid = (SELECT min(ctid) FROM read_receipts)""",
}


@pytest.fixture(scope="module")
def unconstrained(pg_server: PgServer, dataset: Dataset, tmp_path_factory: pytest.TempPathFactory) -> str:
    """DSN of a database holding the dataset in SOURCE, every chunk loaded, keys and foreign keys never added."""
    dsn = pg_server.create_database("verify_breakage")
    runs = tmp_path_factory.mktemp("runs")
    for chunk in range(CHUNKS):
        load_dataset(dsn, dataset.path, schema=SOURCE, chunk=chunk, runs_dir=runs)
    return dsn


def _clone(dsn: str) -> str:
    """A copy of SOURCE (tables, rows and ownership marker) under a new name."""
    target = f"synth_breakage_{next(_clones)}"
    with psycopg.connect(dsn) as conn:
        comment = conn.execute("SELECT obj_description(%s::regnamespace, 'pg_namespace')", [SOURCE]).fetchone()
        conn.execute(f"CREATE SCHEMA {target}")
        conn.execute(f"COMMENT ON SCHEMA {target} IS %s".replace("%s", "'" + comment[0].replace("'", "''") + "'"))
        for table in TABLES:
            conn.execute(f"CREATE TABLE {target}.{table} (LIKE {SOURCE}.{table} INCLUDING ALL)")
            conn.execute(f"INSERT INTO {target}.{table} SELECT * FROM {SOURCE}.{table}")
    return target


def test_every_check_has_a_breakage() -> None:
    names = {c.name for scan in integrity_scans(dict.fromkeys(TABLES, 0)) for c in scan.checks}
    assert names == set(BREAKAGES)


def test_the_unconstrained_clone_passes_and_has_no_keys(unconstrained: str, dataset: Dataset) -> None:
    schema = _clone(unconstrained)
    report = check_integrity(unconstrained, schema, dataset.report_path)
    assert report.passed and {c.method for c in report.checks} == {"sql"}
    assert all(c.proof.endswith("is missing") for c in report.checks if c.name.startswith(("unique_", "no_orph")))


@pytest.mark.parametrize("check", sorted(BREAKAGES))
def test_each_check_fails_on_its_own_breakage(unconstrained: str, dataset: Dataset, check: str) -> None:
    schema = _clone(unconstrained)
    with psycopg.connect(unconstrained) as conn:
        conn.execute(f"SET search_path TO {schema}")
        assert conn.execute(BREAKAGES[check]).rowcount >= 1
    report = check_integrity(unconstrained, schema, dataset.report_path, full=True)
    result = next(c for c in report.checks if c.name == check)
    assert not result.passed and result.observed != result.expected
    if not check.startswith("row_count_"):
        assert result.sample, "a failed check names offending keys"
    with psycopg.connect(unconstrained) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
