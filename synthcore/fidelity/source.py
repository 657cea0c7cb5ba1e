"""DuckDB connections that expose a dataset's tables as views, over Parquet files or a PostgreSQL schema.

Either way the statistics SQL sees the same six tables (``users``, ``messages``, ...) with the columns of
``synthcore.spec.tables.TABLE_SCHEMAS``. Sessions run in UTC. PostgreSQL is attached read-only through
the postgres extension shipped by the ``duckdb-extension-postgres`` package; nothing is downloaded.
"""

from __future__ import annotations

import atexit
import importlib.resources
import os
import shutil
import tempfile
from pathlib import Path

import duckdb
from psycopg import sql

from synthcore.errors import InputError, LoadError
from synthcore.pg import connect, describe_target
from synthcore.spec.tables import TABLES, chunk_files

# DuckDB's buffer manager stays under this (its default is 80 % of RAM: 6.5 GB peak RSS at 25M messages), spilling
# to a per-process directory instead; the Python side adds ~0.5 GiB (1.36 GiB peak at the dev band with 1GB here).
MEMORY_LIMIT = "768MB"

# DuckDB derives the init symbol from the file name, so the shipped file must be loaded under this name.
EXTENSION_FILE = "postgres_scanner.duckdb_extension"

TABLES_IN_SCHEMA = sql.SQL(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = {} AND table_name = ANY({})"
)


def quote_ident(name: str) -> str:
    """Quote ``name`` as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Quote ``text`` as a DuckDB string literal."""
    return "'" + text.replace("'", "''") + "'"


def _spill_directory() -> Path:
    """This process's DuckDB spill directory, removed when the process exits."""
    path = Path(tempfile.gettempdir()) / f"synthcore-duckdb-spill-{os.getpid()}"
    if not path.exists():
        path.mkdir(mode=0o700)
        atexit.register(shutil.rmtree, path, True)
    return path


def _new_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB bounded to MEMORY_LIMIT: larger joins and aggregates spill to disk instead of growing."""
    con = duckdb.connect(
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "memory_limit": MEMORY_LIMIT,
            "temp_directory": str(_spill_directory()),
            "preserve_insertion_order": False,
        }
    )
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")  # reports and logs, not a terminal UI
    return con


def open_parquet(data_dir: Path) -> duckdb.DuckDBPyConnection:
    """Return a DuckDB connection with one view per table over ``data_dir/<table>/part-*.parquet``.

    Raises:
        InputError: a table has no Parquet files under ``data_dir``.
    """
    con = _new_connection()
    for table in TABLES:
        files = chunk_files(data_dir, table)
        if not files:
            con.close()
            raise InputError(f"{data_dir}: no Parquet files for table {table!r} (expected {table}/part-*.parquet)")
        listing = ", ".join(quote_literal(str(f)) for f in files)
        con.execute(f"CREATE VIEW {quote_ident(table)} AS SELECT * FROM read_parquet([{listing}])")
    return con


def postgres_extension_path() -> Path:
    """Path of the postgres extension binary shipped for this DuckDB version.

    Raises:
        LoadError: the package does not ship a binary for the installed DuckDB.
    """
    root = importlib.resources.files("duckdb_extension_postgres") / "extensions" / f"v{duckdb.__version__}"
    path = Path(str(root)) / "postgres.duckdb_extension"
    if not path.is_file():
        raise LoadError(f"duckdb-extension-postgres ships no binary for DuckDB {duckdb.__version__} (looked at {path})")
    return path


def _load_postgres_extension(con: duckdb.DuckDBPyConnection) -> None:
    with tempfile.TemporaryDirectory(prefix="synthcore-duckdb-") as tmp:
        target = Path(tmp) / EXTENSION_FILE
        shutil.copyfile(postgres_extension_path(), target)
        con.execute(f"LOAD {quote_literal(str(target))}")


def _check_schema(dsn: str, schema: str) -> None:
    with connect(dsn, application_name="synthcore-fidelity", readonly=True) as conn:
        found = {r[0] for r in conn.execute(TABLES_IN_SCHEMA.format(schema, list(TABLES))).fetchall()}
    missing = [t for t in TABLES if t not in found]
    if missing:
        raise InputError(f"schema {schema!r} at {describe_target(dsn)} lacks tables: {', '.join(missing)}")


def open_postgres(dsn: str, schema: str) -> duckdb.DuckDBPyConnection:
    """Return a DuckDB connection with one view per table over ``schema`` in PostgreSQL, attached read-only.

    Raises:
        InputError: the schema lacks one of the dataset's tables, or the DSN is malformed.
        TransientLoadError: PostgreSQL cannot be reached.
        LoadError: DuckDB cannot attach the database.
    """
    _check_schema(dsn, schema)
    con = _new_connection()
    _load_postgres_extension(con)
    try:
        con.execute(f"ATTACH {quote_literal(dsn)} AS pg (TYPE postgres, READ_ONLY)")
    except duckdb.Error as exc:
        con.close()
        raise LoadError(f"DuckDB could not attach {describe_target(dsn)}: {exc}") from None
    for table in TABLES:
        con.execute(f"CREATE VIEW {quote_ident(table)} AS SELECT * FROM pg.{quote_ident(schema)}.{quote_ident(table)}")
    return con
