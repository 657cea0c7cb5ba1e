"""The dataset contract: table names in referential order, their columns (as named in SQL) and Arrow types.

The generator writes exactly these schemas to ``DIR/<table>/part-<chunk>.parquet``; the loader, the verifier
and the fidelity checks read them. Column order equals specs/schema.sql.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

UUID = pa.uuid()
TS = pa.timestamp("us", tz="UTC")

TABLE_SCHEMAS: dict[str, pa.Schema] = {
    "users": pa.schema(
        [
            pa.field("id", UUID, nullable=False),
            pa.field("email", pa.string(), nullable=False),
            pa.field("username", pa.string(), nullable=False),
            pa.field("displayName", pa.string()),
            pa.field("phoneNumber", pa.string()),
            pa.field("avatarUrl", pa.string()),
            pa.field("bio", pa.string()),
            pa.field("deviceType", pa.string()),
            pa.field("createdAt", TS, nullable=False),
            pa.field("updatedAt", TS, nullable=False),
            pa.field("lastSeenAt", TS),
        ]
    ),
    "conversations": pa.schema(
        [
            pa.field("id", UUID, nullable=False),
            pa.field("type", pa.string(), nullable=False),
            pa.field("name", pa.string()),
            pa.field("createdById", UUID),
            pa.field("createdAt", TS, nullable=False),
            pa.field("updatedAt", TS, nullable=False),
            pa.field("lastMessageAt", TS),
        ]
    ),
    "conversation_users": pa.schema(
        [
            pa.field("conversationId", UUID, nullable=False),
            pa.field("userId", UUID, nullable=False),
            pa.field("role", pa.string(), nullable=False),
            pa.field("isActive", pa.bool_(), nullable=False),
            pa.field("joinedAt", TS, nullable=False),
            pa.field("leftAt", TS),
            pa.field("lastReadAt", TS),
        ]
    ),
    "messages": pa.schema(
        [
            pa.field("id", UUID, nullable=False),
            pa.field("conversationId", UUID, nullable=False),
            pa.field("senderId", UUID, nullable=False),
            pa.field("type", pa.string(), nullable=False),
            pa.field("content", pa.string()),
            pa.field("replyToId", UUID),
            pa.field("isDeleted", pa.bool_(), nullable=False),
            pa.field("createdAt", TS, nullable=False),
            pa.field("updatedAt", TS, nullable=False),
            pa.field("editedAt", TS),
        ]
    ),
    "attachments": pa.schema(
        [
            pa.field("id", UUID, nullable=False),
            pa.field("messageId", UUID, nullable=False),
            pa.field("type", pa.string(), nullable=False),
            pa.field("mimeType", pa.string(), nullable=False),
            pa.field("fileSize", pa.int64(), nullable=False),
            pa.field("url", pa.string(), nullable=False),
            pa.field("createdAt", TS, nullable=False),
        ]
    ),
    "read_receipts": pa.schema(
        [
            pa.field("messageId", UUID, nullable=False),
            pa.field("userId", UUID, nullable=False),
            pa.field("readAt", TS, nullable=False),
        ]
    ),
}

TABLES: tuple[str, ...] = tuple(TABLE_SCHEMAS)
REPORT_NAME = "generation-report.json"


def chunk_file(data_dir: Path, table: str, chunk: int) -> Path:
    """Path of one table's Parquet file for one chunk."""
    return data_dir / table / f"part-{chunk:05d}.parquet"


def chunk_files(data_dir: Path, table: str) -> list[Path]:
    """Every chunk file of ``table`` under ``data_dir``, in chunk order."""
    return sorted((data_dir / table).glob("part-*.parquet"))
