"""The run schema: created from specs/schema.sql, marked as synthcore's, keys and foreign keys added after the data.

specs/schema.sql has three sections: CREATE TABLEs, then ``-- keys`` and ``-- foreign keys``. The loader creates the
tables first and runs the other two sections in the finalize step, so the end state is exactly the file's. The schema
comment is the ownership marker teardown checks: ``synthdata:{"created_by": "synthcore", ...identity}``.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from synthcore.errors import InputError, LoadError
from synthcore.load.guard import guard_target
from synthcore.pg import connect, qualified
from synthcore.spec.io import SPECS_DIR
from synthcore.spec.tables import TABLES

SCHEMA_SQL = SPECS_DIR / "schema.sql"
MARKER_PREFIX = "synthdata:"
_SECTION = re.compile(r"^-- (keys|foreign keys)$", re.MULTILINE)
_FOREIGN_KEY = re.compile(
    r'ALTER TABLE (\w+) ADD CONSTRAINT "?(\w+)"?\s+FOREIGN KEY \(([^)]*)\) REFERENCES (\w+) \(([^)]*)\)', re.DOTALL
)
_PRIMARY_KEY = re.compile(r"ALTER TABLE (\w+) ADD CONSTRAINT (\w+) PRIMARY KEY \(([^)]*)\)")
_UNIQUE_INDEX = re.compile(r"CREATE UNIQUE INDEX (\w+) ON (\w+) \(([^)]*)\)")
# Index and foreign-key builds sort in memory up to this much (1 GB: 1.35x faster serial builds, notes §3).
MAINTENANCE_WORK_MEM = "1GB"


@dataclass(frozen=True)
class SchemaSections:
    """The statements of specs/schema.sql by section."""

    tables: list[str]
    keys: list[str]
    foreign_keys: list[str]


@dataclass(frozen=True)
class KeyRef:
    """A key of the schema: ``table(columns)``, and for a foreign key the referenced ``ref_table(ref_columns)``."""

    name: str
    table: str
    columns: tuple[str, ...]
    ref_table: str = ""
    ref_columns: tuple[str, ...] = ()


def _statements(text: str) -> list[str]:
    """Split SQL text on ``;`` at line ends, dropping comment-only lines."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in re.split(r";\s*$", "\n".join(lines), flags=re.MULTILINE) if s.strip()]


def _columns(text: str) -> tuple[str, ...]:
    return tuple(c.strip().strip('"') for c in text.split(","))


def schema_sections() -> SchemaSections:
    """Parse specs/schema.sql into its three sections.

    Raises:
        LoadError: the file lacks the ``-- keys`` / ``-- foreign keys`` section markers.
    """
    parts = _SECTION.split(SCHEMA_SQL.read_text())
    if len(parts) != 5 or parts[1] != "keys" or parts[3] != "foreign keys":
        raise LoadError(f"{SCHEMA_SQL}: expected sections '-- keys' then '-- foreign keys' after the CREATE TABLEs")
    return SchemaSections(_statements(parts[0]), _statements(parts[2]), _statements(parts[4]))


def unique_keys() -> list[KeyRef]:
    """Primary keys and unique indexes declared in specs/schema.sql."""
    text = "\n".join(schema_sections().keys)
    keys = [KeyRef(m[2], m[1], _columns(m[3])) for m in _PRIMARY_KEY.finditer(text)]
    return keys + [KeyRef(m[1], m[2], _columns(m[3])) for m in _UNIQUE_INDEX.finditer(text)]


def foreign_keys() -> list[KeyRef]:
    """Foreign keys declared in specs/schema.sql."""
    text = "\n".join(schema_sections().foreign_keys)
    return [KeyRef(m[2], m[1], _columns(m[3]), m[4], _columns(m[5])) for m in _FOREIGN_KEY.finditer(text)]


def read_marker(conn: psycopg.Connection, schema: str) -> dict[str, Any] | None:
    """The identity recorded on ``schema`` by synthcore, or None when the schema is absent or not synthcore's."""
    row = conn.execute(
        "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s", [schema]
    ).fetchone()
    if row is None or not (row[0] or "").startswith(MARKER_PREFIX):
        return None
    try:
        marker = json.loads(row[0].removeprefix(MARKER_PREFIX))
    except ValueError:
        return None
    return marker if isinstance(marker, dict) and marker.get("created_by") == "synthcore" else None


def schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    """Whether a schema named ``schema`` exists."""
    return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]).fetchone() is not None


def use_schema(conn: psycopg.Connection, schema: str) -> None:
    """Point the current transaction's search_path at ``schema`` only, so unqualified DDL lands there."""
    conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))


def create_run_schema(conn: psycopg.Connection, schema: str, identity: dict[str, Any], extra_ddl: list[str]) -> bool:
    """Create ``schema`` with the dataset tables and ``extra_ddl``, marked with ``identity``; resume if it is ours.

    Runs in one transaction under an advisory lock, so concurrent chunk loaders create it exactly once.

    Returns:
        True when this call created the schema, False when an earlier run did (same identity).

    Raises:
        LoadError: the schema exists but is not synthcore's, or holds a different dataset.
    """
    wanted = {"created_by": "synthcore", **identity}
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"synthcore:{schema}"])
        if schema_exists(conn, schema):
            marker = read_marker(conn, schema)
            if marker is None:
                raise LoadError(f"schema {schema!r} exists and was not created by synthcore; choose another --schema")
            if marker != wanted:
                raise LoadError(
                    f"schema {schema!r} holds another dataset ({json.dumps(marker, sort_keys=True)});"
                    " tear it down or choose another --schema"
                )
            return False
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        comment = MARKER_PREFIX + json.dumps(wanted, sort_keys=True)
        conn.execute(sql.SQL("COMMENT ON SCHEMA {} IS {}").format(sql.Identifier(schema), sql.Literal(comment)))
        use_schema(conn, schema)
        for statement in [*schema_sections().tables, *extra_ddl]:
            conn.execute(statement)
        _set_autovacuum(conn, schema, enabled=False)
    return True


def _set_autovacuum(conn: psycopg.Connection, schema: str, *, enabled: bool) -> None:
    """Switch autovacuum off for the dataset tables while chunks load, and back to the default at finalize.

    Each chunk commits on its own, so autovacuum would otherwise vacuum and analyze a table between its chunks and
    compete with the next COPY for the same two cores; finalize resets the option, so the end state is schema.sql's.
    """
    for table in TABLES:
        option = sql.SQL("RESET (autovacuum_enabled)" if enabled else "SET (autovacuum_enabled = false)")
        conn.execute(sql.SQL("ALTER TABLE {} {}").format(qualified(schema, table), option))


def _prepare_index_builds(conn: psycopg.Connection, schema: str) -> None:
    """Give the open transaction's index builds MAINTENANCE_WORK_MEM and point it at ``schema``."""
    conn.execute(sql.SQL("SET LOCAL maintenance_work_mem = {}").format(sql.Literal(MAINTENANCE_WORK_MEM)))
    use_schema(conn, schema)


def add_keys(conn: psycopg.Connection, schema: str) -> None:
    """Add the primary keys, unique indexes and foreign keys of specs/schema.sql in the open transaction."""
    _prepare_index_builds(conn, schema)
    _set_autovacuum(conn, schema, enabled=True)
    sections = schema_sections()
    for statement in [*sections.keys, *sections.foreign_keys]:
        conn.execute(statement)


def apply_index_file(conninfo: str, schema: str, path: Path) -> float:
    """Run an index file (e.g. specs/indexes/phase-2.sql) inside ``schema`` in one transaction; return seconds.

    Raises:
        InputError: the file cannot be read, or ``schema`` is missing or not synthcore's.
        ProductionTargetRefused: the environment guard refused the target.
    """
    try:
        statements = _statements(path.read_text())
    except OSError as exc:
        raise InputError(f"cannot read index file {str(path)!r}: {exc.strerror}") from None
    started = time.perf_counter()
    with connect(conninfo, application_name="synthcore-indexes") as conn:
        guard_target(conn, schema)
        with conn.transaction():
            if read_marker(conn, schema) is None:
                raise InputError(f"schema {schema!r} does not exist or was not created by synthcore load")
            _prepare_index_builds(conn, schema)
            for statement in statements:
                conn.execute(statement)
    return time.perf_counter() - started
