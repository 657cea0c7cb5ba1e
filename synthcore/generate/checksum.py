"""Order-independent table checksums: the sum of per-row 64-bit hashes modulo 2**64.

Sums compose, so a table's checksum is the same whether its rows were written in one chunk or many, in any
order. Row hashes are DuckDB's ``hash`` over every column (DuckDB is pinned in the lock file).
"""

from __future__ import annotations

import threading

import duckdb
import pyarrow as pa

MODULUS = 2**64
_THIS_THREAD = threading.local()


def _connection() -> duckdb.DuckDBPyConnection:
    """This thread's DuckDB connection (chunks are generated in several threads; a connection serves one at a time)."""
    conn: duckdb.DuckDBPyConnection | None = getattr(_THIS_THREAD, "conn", None)
    if conn is None:
        conn = _THIS_THREAD.conn = duckdb.connect(config={"threads": 1})
    return conn


def table_checksum(table: pa.Table) -> int:
    """Sum of row hashes of ``table`` mod 2**64 (0 for an empty table)."""
    if table.num_rows == 0:
        return 0
    columns = ", ".join(f'"{name}"' for name in table.column_names)
    # a relation over the table: no view to register and drop per call (about 1 ms each)
    row = _connection().from_arrow(table).aggregate(f"sum(hash({columns}))::HUGEINT % {MODULUS}").fetchone()
    return int(row[0]) if row else 0


def combine(checksums: list[int]) -> int:
    """Checksum of a table split into parts with these checksums."""
    return sum(checksums) % MODULUS
