"""The run schema: created from specs/schema.sql, marked as synthcore's, keys and foreign keys added after the data.

specs/schema.sql has three sections: CREATE TABLEs, then ``-- keys`` and ``-- foreign keys``. The loader creates the
tables first and runs the other two sections in the finalize step, so the end state is exactly the file's. The schema
comment is the ownership marker teardown checks: ``synthdata:{"created_by": "synthcore", ...identity}``.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from synthcore.errors import LoadError
from synthcore.load.ownership import CREATED_BY, lock_schema, marker_comment, read_marker, schema_exists
from synthcore.pg import connect, qualified
from synthcore.spec.io import SPECS_DIR
from synthcore.spec.tables import TABLES

SCHEMA_SQL = SPECS_DIR / "schema.sql"
_SECTION = re.compile(r"^-- (keys|foreign keys)$", re.MULTILINE)
_FOREIGN_KEY = re.compile(
    r'ALTER TABLE (\w+) ADD CONSTRAINT "?(\w+)"?\s+FOREIGN KEY \(([^)]*)\) REFERENCES (\w+) \(([^)]*)\)', re.DOTALL
)
_PRIMARY_KEY = re.compile(r"ALTER TABLE (\w+) ADD CONSTRAINT (\w+) PRIMARY KEY \(([^)]*)\)")
_UNIQUE_INDEX = re.compile(r"CREATE UNIQUE INDEX (\w+) ON (\w+) \(([^)]*)\)")
_NAMED_KEY = re.compile(r'^ALTER TABLE (\w+) ADD CONSTRAINT "?(\w+)"?|^CREATE UNIQUE INDEX (\w+) ON (\w+)')
FINALIZE_APPLICATION = "synthcore-finalize"
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


def sql_statements(text: str) -> list[str]:
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
    return SchemaSections(sql_statements(parts[0]), sql_statements(parts[2]), sql_statements(parts[4]))


def unique_keys() -> list[KeyRef]:
    """Primary keys and unique indexes declared in specs/schema.sql."""
    text = "\n".join(schema_sections().keys)
    keys = [KeyRef(m[2], m[1], _columns(m[3])) for m in _PRIMARY_KEY.finditer(text)]
    return keys + [KeyRef(m[1], m[2], _columns(m[3])) for m in _UNIQUE_INDEX.finditer(text)]


def foreign_keys() -> list[KeyRef]:
    """Foreign keys declared in specs/schema.sql."""
    text = "\n".join(schema_sections().foreign_keys)
    return [KeyRef(m[2], m[1], _columns(m[3]), m[4], _columns(m[5])) for m in _FOREIGN_KEY.finditer(text)]


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
    wanted = {"created_by": CREATED_BY, **identity}
    with conn.transaction():
        lock_schema(conn, schema)
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
        comment = marker_comment(identity)
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


def prepare_index_builds(conn: psycopg.Connection, schema: str) -> None:
    """Give the open transaction's index builds MAINTENANCE_WORK_MEM and point it at ``schema``."""
    conn.execute(sql.SQL("SET LOCAL maintenance_work_mem = {}").format(sql.Literal(MAINTENANCE_WORK_MEM)))
    use_schema(conn, schema)


def add_keys(conn: psycopg.Connection, schema: str) -> None:
    """Add the primary keys, unique indexes and foreign keys of specs/schema.sql in the open transaction, serially.

    The plain way, as ``psql -f`` would run the sections (the load benchmark's reference); the loader's finalize step
    uses ``build_keys``.
    """
    prepare_index_builds(conn, schema)
    enable_autovacuum(conn, schema)
    sections = schema_sections()
    for statement in [*sections.keys, *sections.foreign_keys]:
        conn.execute(statement)


def enable_autovacuum(conn: psycopg.Connection, schema: str) -> None:
    """Reset the dataset tables' autovacuum option (finalize: the end state is schema.sql's)."""
    _set_autovacuum(conn, schema, enabled=True)


@dataclass(frozen=True)
class KeyStatement:
    """One statement of the keys or foreign-keys section: the table it alters and the key it creates."""

    table: str
    name: str
    sql: str


def _key_statements(statements: list[str]) -> list[KeyStatement]:
    found = []
    for statement in statements:
        match = _NAMED_KEY.search(statement)
        if match is None:
            raise LoadError(f"{SCHEMA_SQL}: cannot tell which table and key this statement builds: {statement[:80]}")
        table, name = (match[1], match[2]) if match[1] else (match[4], match[3])
        found.append(KeyStatement(table, name, statement))
    return found


def _existing_keys(conn: psycopg.Connection, schema: str) -> dict[str, bool]:
    """Constraint and index names of ``schema``, with whether each is validated (indexes count as validated)."""
    rows = conn.execute(
        "SELECT conname::text, convalidated FROM pg_constraint WHERE connamespace = to_regnamespace(%(s)s)"
        " UNION ALL SELECT relname::text, true FROM pg_class WHERE relnamespace = to_regnamespace(%(s)s)"
        " AND relkind = 'i'",
        {"s": schema},
    ).fetchall()
    return {name: bool(valid) for name, valid in rows}


def _biggest_first(conn: psycopg.Connection, schema: str, groups: dict[str, list[str]]) -> list[list[str]]:
    sizes: dict[str, int] = dict(
        conn.execute(
            "SELECT relname::text, pg_relation_size(oid) FROM pg_class WHERE relnamespace = to_regnamespace(%s)",
            [schema],
        ).fetchall()
    )
    return [groups[t] for t in sorted(groups, key=lambda t: -int(sizes.get(t, 0)))]


def _run_concurrently(conninfo: str, schema: str, groups: list[list[str]], workers: int) -> None:
    """Run each group's statements in order, one transaction each; groups spread over ``workers`` connections."""

    def run(statements: list[str]) -> None:
        with connect(conninfo, application_name=FINALIZE_APPLICATION) as conn:
            for statement in statements:
                with conn.transaction():
                    prepare_index_builds(conn, schema)
                    conn.execute(statement)

    with ThreadPoolExecutor(max(1, min(workers, len(groups)))) as pool:
        list(pool.map(run, groups))


def build_keys(conn: psycopg.Connection, conninfo: str, schema: str, workers: int) -> None:
    """Build the keys and foreign keys of specs/schema.sql, tables side by side on ``workers`` connections.

    Keys of one table run one after another (they lock the table), keys of different tables concurrently, largest
    table first. Foreign keys are then added ``NOT VALID`` in one short transaction on ``conn`` and validated with
    ``VALIDATE CONSTRAINT``, which locks only the referencing table against other validations, so the foreign keys
    of different tables are checked concurrently too. The end state is the same validated constraints as running the
    sections in order. Every step commits on its own and skips what exists, so a retry after a crash resumes.
    """
    sections = schema_sections()
    with conn.transaction():  # no transaction of ``conn`` may stay open: it would hold locks the builds wait on
        existing = _existing_keys(conn, schema)
        keys: dict[str, list[str]] = {}
        for key in _key_statements(sections.keys):
            if key.name not in existing:
                keys.setdefault(key.table, []).append(key.sql)
        order = _biggest_first(conn, schema, keys)
    _run_concurrently(conninfo, schema, order, workers)
    foreign = _key_statements(sections.foreign_keys)
    with conn.transaction():
        use_schema(conn, schema)
        for key in foreign:
            if key.name not in existing:
                conn.execute(key.sql + " NOT VALID")
    validations: dict[str, list[str]] = {}
    for key in foreign:
        if not existing.get(key.name, False):
            validate = sql.SQL("ALTER TABLE {} VALIDATE CONSTRAINT {}").format(
                sql.Identifier(key.table), sql.Identifier(key.name)
            )
            validations.setdefault(key.table, []).append(validate.as_string(conn))
    with conn.transaction():
        order = _biggest_first(conn, schema, validations)
    _run_concurrently(conninfo, schema, order, workers)
