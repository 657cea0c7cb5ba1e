"""Index files (e.g. specs/indexes/phase-2.sql) applied to a run schema between the pre and post baselines."""

from __future__ import annotations

import time
from pathlib import Path

from synthcore.errors import InputError
from synthcore.load.guard import guard_target
from synthcore.load.ownership import require_owned
from synthcore.load.schema import prepare_index_builds, sql_statements
from synthcore.pg import connect

APPLICATION_NAME = "synthcore-indexes"


def apply_index_file(conninfo: str, schema: str, path: Path) -> float:
    """Run an index file inside ``schema`` in one transaction; return seconds.

    Raises:
        InputError: the file cannot be read, or ``schema`` is missing or not synthcore's.
        ProductionTargetRefused: the environment guard refused the target.
    """
    try:
        statements = sql_statements(path.read_text())
    except OSError as exc:
        raise InputError(f"cannot read index file {str(path)!r}: {exc.strerror}") from None
    started = time.perf_counter()
    with connect(conninfo, application_name=APPLICATION_NAME) as conn:
        guard_target(conn, schema)
        with conn.transaction():
            require_owned(conn, schema)
            prepare_index_builds(conn, schema)
            for statement in statements:
                conn.execute(statement)
    return time.perf_counter() - started
