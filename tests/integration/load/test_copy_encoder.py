"""The vectorised binary COPY encoder against a real server: every type, nulls, unicode, empty strings, slices."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import psycopg
import pyarrow as pa
import pytest

from synthcore.errors import LoadError
from synthcore.load.copy import COPY_HEADER, COPY_TRAILER, encode_batch

ROWS = [
    (uuid.UUID(int=1), "a", None, True, datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC), 0, None),
    (uuid.UUID(int=2**128 - 1), "", "ünïcødé ✓", False, datetime(1999, 12, 31, tzinfo=UTC), -(2**63), uuid.uuid4()),
    (uuid.UUID(int=3), "x" * 5000, "", None, datetime(2000, 1, 1, tzinfo=UTC), 2**63 - 1, uuid.UUID(int=7)),
    (uuid.UUID(int=4), "tab\tnew\nline\\", None, True, datetime(1970, 1, 1, tzinfo=UTC), 42, None),
]
SCHEMA = pa.schema(
    [
        pa.field("id", pa.uuid(), nullable=False),
        pa.field("s", pa.string(), nullable=False),
        pa.field("t", pa.string()),
        pa.field("b", pa.bool_()),
        pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("n", pa.int64(), nullable=False),
        pa.field("u", pa.uuid()),
    ]
)
DDL = "CREATE TABLE t (id uuid, s text, t text, b boolean, ts timestamptz, n bigint, u uuid)"


def _batch() -> pa.RecordBatch:
    columns = list(zip(*ROWS, strict=True))
    arrays = [
        pa.array([v.bytes if v else None for v in col], pa.binary(16)) if field.type == pa.uuid() else None
        for col, field in zip(columns, SCHEMA, strict=True)
    ]
    arrays = [
        pa.ExtensionArray.from_storage(pa.uuid(), a) if a is not None else pa.array(col, field.type)
        for a, col, field in zip(arrays, columns, SCHEMA, strict=True)
    ]
    return pa.record_batch(arrays, schema=SCHEMA)


def _copy(dsn: str, payload: bytes) -> list[tuple[object, ...]]:
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(DDL)
        with cur.copy("COPY t FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(COPY_HEADER + payload + COPY_TRAILER)
        return cur.execute("SELECT * FROM t ORDER BY n").fetchall()


def test_every_type_round_trips(pg_dsn: str) -> None:
    rows = _copy(pg_dsn, encode_batch(_batch()).to_pybytes())
    assert rows == sorted(ROWS, key=lambda r: r[5])


def test_sliced_batches_encode_only_their_rows(pg_dsn: str) -> None:
    batch = _batch()
    payload = b"".join(encode_batch(batch.slice(i, 1)).to_pybytes() for i in range(batch.num_rows))
    assert _copy(pg_dsn, payload) == sorted(ROWS, key=lambda r: r[5])


def test_unsupported_type_is_named() -> None:
    batch = pa.record_batch([pa.array([1.5, 2.5])], names=["x"])
    with pytest.raises(LoadError, match="does not support Arrow type double"):
        encode_batch(batch)
