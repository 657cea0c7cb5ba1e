"""The one way synthcore connects to PostgreSQL (psycopg 3), plus identifier quoting helpers."""

from __future__ import annotations

import psycopg
from psycopg import sql

from synthcore.errors import InputError, TransientLoadError


def connect(
    conninfo: str,
    *,
    application_name: str,
    readonly: bool = False,
    statement_timeout_ms: int | None = None,
    autocommit: bool = False,
) -> psycopg.Connection:
    """Open a connection with ``application_name`` set, optionally read-only and with a statement timeout.

    Args:
        conninfo: libpq connection string or URI.
        application_name: shown in pg_stat_activity; says which synthcore stage is connected.
        readonly: every transaction is read-only (``default_transaction_read_only``).
        statement_timeout_ms: cancel any statement running longer than this.
        autocommit: open the connection in autocommit mode.

    Raises:
        InputError: the connection string is malformed.
        TransientLoadError: the server could not be reached (a retry may help).
    """
    options = []
    if readonly:
        options.append("-c default_transaction_read_only=on")
    if statement_timeout_ms is not None:
        options.append(f"-c statement_timeout={int(statement_timeout_ms)}")
    try:
        return psycopg.connect(
            conninfo,
            application_name=application_name,
            options=" ".join(options) or None,
            autocommit=autocommit,
        )
    except psycopg.ProgrammingError as exc:
        raise InputError(f"invalid connection string: {exc}") from None
    except psycopg.OperationalError as exc:
        raise TransientLoadError(f"cannot connect to PostgreSQL ({describe_target(conninfo)}): {exc}") from exc


def check_conninfo(conninfo: str) -> str:
    """Return ``conninfo`` when libpq can parse it (no connection is made).

    Raises:
        InputError: the connection string is malformed; libpq's reason is quoted.
    """
    try:
        psycopg.conninfo.conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError as exc:
        raise InputError(f"invalid connection string: {exc}") from None
    return conninfo


def describe_target(conninfo: str) -> str:
    """``host:port/dbname`` of a connection string, without user or password (safe to log)."""
    try:
        params = psycopg.conninfo.conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        return "<unparsable conninfo>"
    return f"{params.get('host', 'localhost')}:{params.get('port', 5432)}/{params.get('dbname', '')}"


def qualified(schema: str, table: str) -> sql.Composed:
    """``"schema"."table"`` as a safely quoted identifier."""
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))
