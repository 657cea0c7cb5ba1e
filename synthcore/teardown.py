"""Tear down a run schema, only one that synthcore created (the ownership marker on the schema says so)."""

from __future__ import annotations

from psycopg import sql

from synthcore.errors import InputError
from synthcore.load.guard import guard_target
from synthcore.load.ownership import lock_schema, read_marker, schema_exists
from synthcore.pg import connect

APPLICATION_NAME = "synthcore-teardown"


def teardown_schema(conninfo: str, schema: str) -> None:
    """Drop ``schema`` and everything in it, after proving synthcore created it.

    The marker is checked under a lock in the same transaction as the DROP.

    Raises:
        InputError: ``schema`` is reserved (public, pg_*), missing, or not created by synthcore.
        ProductionTargetRefused: the environment guard refused the target.
    """
    with connect(conninfo, application_name=APPLICATION_NAME) as conn:
        guard_target(conn, schema)
        with conn.transaction():
            lock_schema(conn, schema)
            if not schema_exists(conn, schema):
                raise InputError(f"schema {schema!r} does not exist; nothing to tear down")
            if read_marker(conn, schema) is None:
                raise InputError(f"refusing to drop schema {schema!r}: it was not created by synthcore (no marker)")
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
