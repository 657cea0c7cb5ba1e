"""Integrity checks on a loaded schema: a clean load passes; injected defects fail the check that names them."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from conftest import SCHEMA, Dataset

from synthcore.errors import InputError, IntegrityCheckFailed
from synthcore.verify import check_integrity, raise_on_failure

SYNTHCORE = str(Path(sys.executable).with_name("synthcore"))


def _inject(dsn: str, statement: str) -> None:
    """Run ``statement`` in the run schema with foreign-key triggers off (as a bad loader would leave data)."""
    with psycopg.connect(dsn) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(f"SET search_path TO {SCHEMA}")
        conn.execute(statement)


def test_clean_load_passes_every_check(loaded: str, dataset: Dataset) -> None:
    report = check_integrity(loaded, SCHEMA, dataset.report_path)
    assert report.passed and not report.failed
    assert len(report.checks) == 6 + 7 + 9 + 6
    raise_on_failure(report)
    by_ledger = check_integrity(loaded, SCHEMA)
    assert [c.expected for c in by_ledger.checks] == [c.expected for c in report.checks]


def test_orphans_are_caught_with_their_keys(loaded: str, dataset: Dataset) -> None:
    ghost = uuid.UUID(int=12345)
    _inject(
        loaded,
        f"""INSERT INTO messages SELECT gen_random_uuid(), '{ghost}', "senderId", type, content, NULL, "isDeleted",
            "createdAt" + interval '1 microsecond', "updatedAt", NULL FROM messages LIMIT 2""",
    )
    _inject(
        loaded, f"UPDATE read_receipts SET \"userId\" = '{ghost}' WHERE ctid = (SELECT min(ctid) FROM read_receipts)"
    )
    report = check_integrity(loaded, SCHEMA, dataset.report_path)
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
