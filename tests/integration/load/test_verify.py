"""Integrity checks on a loaded schema: a clean load passes; injected defects fail the check that names them."""

from __future__ import annotations

import queue
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from conftest import SCHEMA, Dataset

from synthcore.errors import InputError, IntegrityCheckFailed
from synthcore.spec.database import CheckResult
from synthcore.verify import check_integrity, raise_on_failure
from synthcore.verify.checks import Scan, integrity_scans
from synthcore.verify.verify import _lane

SYNTHCORE = str(Path(sys.executable).with_name("synthcore"))


def _inject(dsn: str, statement: str) -> None:
    """Run ``statement`` in the run schema with foreign-key triggers off (as a bad loader would leave data)."""
    with psycopg.connect(dsn) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(f"SET search_path TO {SCHEMA}")
        conn.execute(statement)


def test_clean_load_passes_every_check(loaded: str, dataset: Dataset) -> None:
    report = check_integrity(loaded, SCHEMA, dataset.report_path)
    assert report.passed and not report.failed and report.mode == "constraints"
    assert len(report.checks) == 6 + 7 + 9 + 6
    proven = {c.name: c.proof for c in report.checks if c.method == "constraint"}
    assert set(proven) == {c.name for c in report.checks if c.name.startswith(("unique_", "no_orphans_"))}
    assert len(proven) == 7 + 9
    assert proven["unique_messages_pkey"] == "validated primary key messages_pkey"
    assert proven["unique_users_email_key"] == "validated unique index users_email_key"
    assert proven["no_orphans_read_receipts_userId_fkey"] == "validated foreign key read_receipts_userId_fkey"
    shared = {c.name: c.proof for c in report.checks if c.method == "sql"}
    assert shared["senders_are_members"] == "SQL scan of messages (one pass with 3 other check(s))"
    assert shared["replies_after_parent"] == "SQL scan of read_receipts and replies (one pass with 3 other check(s))"
    raise_on_failure(report)
    by_ledger = check_integrity(loaded, SCHEMA)
    assert [c.expected for c in by_ledger.checks] == [c.expected for c in report.checks]
    full = check_integrity(loaded, SCHEMA, dataset.report_path, full=True)
    assert full.passed and full.mode == "full" and {c.method for c in full.checks} == {"sql"}
    assert [c.name for c in full.checks] == [c.name for c in report.checks]


def test_orphans_behind_the_servers_back_are_caught_by_full(loaded: str, dataset: Dataset) -> None:
    """Rows written with RI triggers bypassed (replica role) slip past a validated constraint; --full scans them."""
    ghost = uuid.UUID(int=12345)
    _inject(
        loaded,
        f"""INSERT INTO messages SELECT gen_random_uuid(), '{ghost}', "senderId", type, content, NULL, "isDeleted",
            "createdAt" + interval '1 microsecond', "updatedAt", NULL FROM messages LIMIT 2""",
    )
    _inject(
        loaded, f"UPDATE read_receipts SET \"userId\" = '{ghost}' WHERE ctid = (SELECT min(ctid) FROM read_receipts)"
    )
    trusting = check_integrity(loaded, SCHEMA, dataset.report_path)
    assert "row_count_messages" in trusting.failed  # the constraints still claim the keys hold:
    assert not [name for name in trusting.failed if name.startswith("no_orphans_")]
    report = check_integrity(loaded, SCHEMA, dataset.report_path, full=True)
    failed = {c.name: c for c in report.checks if not c.passed}
    orphans = failed["no_orphans_messages_conversationId_fkey"]
    assert (orphans.observed, orphans.sample) == (2, [str(ghost), str(ghost)])
    assert failed["no_orphans_read_receipts_userId_fkey"].observed == 1
    assert failed["row_count_messages"].observed == dataset.report.tables["messages"].rows + 2
    with pytest.raises(
        IntegrityCheckFailed, match=rf"no_orphans_messages_conversationId_fkey: 2 \(expected 0\); sample: {ghost}"
    ):
        raise_on_failure(report)


def test_out_of_order_timestamps_are_caught(loaded: str, dataset: Dataset) -> None:
    _inject(
        loaded,
        """UPDATE messages m SET "createdAt" = c."createdAt" - interval '1 day'
           FROM conversations c WHERE c.id = m."conversationId"
           AND m.id = (SELECT id FROM messages WHERE "replyToId" IS NULL ORDER BY id LIMIT 1)""",
    )
    _inject(
        loaded,
        """UPDATE messages SET "createdAt" = (SELECT "createdAt" FROM messages m2
           WHERE m2."conversationId" = messages."conversationId" AND m2.id <> messages.id
           ORDER BY m2."createdAt" LIMIT 1)
           WHERE id = (SELECT id FROM messages ORDER BY id DESC LIMIT 1)""",
    )
    _inject(
        loaded,
        """UPDATE read_receipts r SET "readAt" = m."createdAt" FROM messages m
           WHERE m.id = r."messageId" AND r.ctid = (SELECT max(ctid) FROM read_receipts)""",
    )
    report = check_integrity(loaded, SCHEMA, dataset.report_path)
    assert set(report.failed) >= {
        "messages_within_conversation",
        "messages_created_strictly_increasing",
        "receipts_after_message",
    }
    assert "row_count_messages" not in report.failed


def test_a_shared_created_at_is_counted_exactly_past_the_hash_pass(loaded: str, dataset: Dataset) -> None:
    """Three messages at one moment: the pass sees a hash deficit of 2, the exact GROUP BY reports the one moment."""
    first_conversation = 'SELECT "conversationId" FROM messages ORDER BY id LIMIT 1'
    _inject(
        loaded,
        f"""UPDATE messages SET "createdAt" = (SELECT max("createdAt") FROM messages x
               WHERE x."conversationId" = messages."conversationId")
           WHERE id IN (SELECT id FROM messages WHERE "conversationId" = ({first_conversation})
                        ORDER BY "createdAt" LIMIT 2)""",
    )
    with psycopg.connect(loaded) as conn:
        conn.execute(f"SET search_path TO {SCHEMA}")
        moment = conn.execute(
            f"""SELECT "conversationId"::text || ' @ ' || "createdAt"::text FROM messages
                WHERE "conversationId" = ({first_conversation}) GROUP BY 1 HAVING count(*) = 3"""
        ).fetchall()
    assert len(moment) == 1
    report = check_integrity(loaded, SCHEMA, dataset.report_path)
    shared = next(c for c in report.checks if c.name == "messages_created_strictly_increasing")
    assert (shared.passed, shared.method, shared.observed, shared.sample) == (False, "sql", 1, [moment[0][0]])


def test_a_second_lane_scans_the_exported_snapshot(loaded: str, dataset: Dataset) -> None:
    """A row deleted after the lead exported its snapshot is still counted by a lane that imported it."""
    counts = integrity_scans({t: r.rows for t, r in dataset.report.tables.items()})[0]
    pending: queue.Queue[tuple[int, Scan, list[str]]] = queue.Queue()
    pending.put((0, counts, [""] * len(counts.checks)))
    parts: dict[int, list[CheckResult]] = {}
    with psycopg.connect(loaded) as lead:
        lead.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = str(lead.execute("SELECT pg_export_snapshot()").fetchone()[0])  # type: ignore[index]
        _inject(loaded, "DELETE FROM conversation_users WHERE ctid = (SELECT min(ctid) FROM conversation_users)")
        _lane(loaded, SCHEMA, snapshot, pending, parts)
    assert pending.empty() and all(c.passed for c in parts[0])
    assert "row_count_conversation_users" in check_integrity(loaded, SCHEMA, dataset.report_path).failed


def test_unknown_schema_is_refused(pg_dsn: str) -> None:
    with pytest.raises(InputError, match="schema 'nope' does not exist or was not created by synthcore load"):
        check_integrity(pg_dsn, "nope")


def test_cli_exits_non_zero_naming_the_check(loaded: str, dataset: Dataset, tmp_path: Path) -> None:
    _inject(loaded, "DELETE FROM conversation_users WHERE ctid = (SELECT min(ctid) FROM conversation_users)")
    cmd = [SYNTHCORE, "verify", "--dsn", loaded, "--schema", SCHEMA, "--report", str(dataset.report_path)]
    result = subprocess.run([*cmd, "--runs-dir", str(tmp_path)], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "error: integrity checks failed: row_count_conversation_users" in result.stderr
    assert "FAIL row_count_conversation_users" in result.stdout
    assert (tmp_path / SCHEMA / "integrity-report.json").exists()


def _admin(dsn: str, *statements: str) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute(f"SET search_path TO {SCHEMA}")
        for statement in statements:
            conn.execute(statement)


def _failed_proof(dsn: str, dataset: Dataset, name: str) -> str:
    """The proof text of check ``name``, which must have failed in an SQL scan."""
    report = check_integrity(dsn, SCHEMA, dataset.report_path)
    check = next(c for c in report.checks if c.name == name)
    assert (check.passed, check.method) == (False, "sql")
    return check.proof


GHOST = "'00000000-0000-0000-0000-000000000001'"
GHOST_USER = f"INSERT INTO read_receipts SELECT id, {GHOST}, now() FROM messages LIMIT 1"
DROP_USERS_PKEY = "ALTER TABLE users DROP CONSTRAINT users_pkey CASCADE"
RECEIPT_READER = "no_orphans_read_receipts_userId_fkey"


def test_a_dropped_constraint_is_scanned_and_its_breakage_caught(loaded: str, dataset: Dataset) -> None:
    _admin(loaded, 'ALTER TABLE read_receipts DROP CONSTRAINT "read_receipts_userId_fkey"', GHOST_USER)
    assert _failed_proof(loaded, dataset, RECEIPT_READER) == (
        "SQL scan of read_receipts; constraint read_receipts_userId_fkey is missing"
    )
    _admin(loaded, DROP_USERS_PKEY, "DROP INDEX users_email_key", "INSERT INTO users SELECT * FROM users LIMIT 1")
    assert _failed_proof(loaded, dataset, "unique_users_pkey").endswith("constraint users_pkey is missing")


def test_a_not_valid_foreign_key_proves_nothing(loaded: str, dataset: Dataset) -> None:
    _admin(
        loaded,
        'ALTER TABLE read_receipts DROP CONSTRAINT "read_receipts_userId_fkey"',
        GHOST_USER,
        'ALTER TABLE read_receipts ADD CONSTRAINT "read_receipts_userId_fkey" FOREIGN KEY ("userId")'
        " REFERENCES users (id) NOT VALID",
    )
    assert _failed_proof(loaded, dataset, RECEIPT_READER) == (
        "SQL scan of read_receipts; constraint read_receipts_userId_fkey is not validated"
    )


def test_a_disabled_ri_trigger_or_a_moved_key_proves_nothing(loaded: str, dataset: Dataset) -> None:
    _admin(loaded, "ALTER TABLE read_receipts DISABLE TRIGGER ALL", GHOST_USER)
    assert _failed_proof(loaded, dataset, RECEIPT_READER).endswith("is not validated")
    _admin(
        loaded,
        DROP_USERS_PKEY,
        "ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY (email)",
        "UPDATE users SET id = (SELECT min(id::text)::uuid FROM users) WHERE email = (SELECT max(email) FROM users)",
    )
    assert _failed_proof(loaded, dataset, "unique_users_pkey").endswith("users_pkey is not on the schema's columns")


def test_a_unique_index_on_a_nullable_column_proves_nothing(loaded: str, dataset: Dataset) -> None:
    _admin(
        loaded,
        "ALTER TABLE users ALTER COLUMN email DROP NOT NULL",
        "UPDATE users SET email = NULL WHERE ctid = (SELECT min(ctid) FROM users)",
    )
    assert _failed_proof(loaded, dataset, "unique_users_email_key").endswith("constraint users_email_key allows nulls")
