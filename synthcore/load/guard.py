"""Environment guard: refuse production targets before the first write, and any schema synthcore does not own.

Three production rules, any of which refuses the target (see README, "Environment guard"):

* the process environment says production: ``SYNTH_ENV`` is ``production``, ``prod`` or ``live``;
* the server host matches the denylist: a built-in rule (``prod`` as a word in the host name) plus the
  comma-separated shell globs in ``SYNTH_DENY_HOSTS``;
* the database carries the operators' marker: ``ALTER DATABASE <db> SET synthdata.environment = 'production'``
  (a role-level ``ALTER ROLE … SET`` works too; any value other than ``dev``/``test``/``ci``/``staging`` refuses).
"""

from __future__ import annotations

import fnmatch
import os
import re

import psycopg

from synthcore.errors import ProductionTargetRefused
from synthcore.names import validate_schema_name

ENV_VARIABLE = "SYNTH_ENV"
PRODUCTION_ENV_VALUES = frozenset({"production", "prod", "live"})
DENY_HOSTS_VARIABLE = "SYNTH_DENY_HOSTS"
# "prod" as a word of the host name: db.prod.internal, prod-db-1, pg-production; not "product-catalog-dev".
_PROD_HOST = re.compile(r"(^|[.\-_])prod(uction)?([.\-_\d]|$)", re.IGNORECASE)
DATABASE_MARKER = "synthdata.environment"
NON_PRODUCTION_MARKERS = frozenset({"", "dev", "test", "ci", "staging"})


def check_environment() -> None:
    """Refuse when the process environment declares production.

    Raises:
        ProductionTargetRefused: ``SYNTH_ENV`` names a production environment.
    """
    value = os.environ.get(ENV_VARIABLE, "").strip().lower()
    if value in PRODUCTION_ENV_VALUES:
        raise ProductionTargetRefused(f"environment {ENV_VARIABLE}={value}", f"{ENV_VARIABLE} is {value}")


def check_host(host: str) -> None:
    """Refuse a host name on the denylist.

    Raises:
        ProductionTargetRefused: the host contains ``prod`` as a word or matches a ``SYNTH_DENY_HOSTS`` glob.
    """
    if _PROD_HOST.search(host):
        raise ProductionTargetRefused(host, "host name contains 'prod'")
    for pattern in filter(None, (p.strip() for p in os.environ.get(DENY_HOSTS_VARIABLE, "").split(","))):
        if fnmatch.fnmatch(host.lower(), pattern.lower()):
            raise ProductionTargetRefused(host, f"{DENY_HOSTS_VARIABLE} pattern {pattern!r}")


def check_schema_name(schema: str) -> None:
    """Refuse schema names synthcore must never write to (see ``synthcore.names``).

    Raises:
        InputError: the name is reserved (public, information_schema, pg_*) or not a safe identifier.
    """
    validate_schema_name(schema)


def guard_target(conn: psycopg.Connection, schema: str) -> None:
    """Run every rule against an open connection before its first write.

    Raises:
        ProductionTargetRefused: the environment, the host or the database marker says production.
        InputError: the schema is one synthcore never writes to.
    """
    check_environment()
    check_schema_name(schema)
    info = conn.info
    target = f"{info.host}:{info.port}/{info.dbname}"
    check_host(info.host)
    row = conn.execute("SELECT current_setting(%s, true)", [DATABASE_MARKER]).fetchone()
    conn.rollback()
    marker = (row[0] if row and row[0] else "").strip().lower()
    if marker not in NON_PRODUCTION_MARKERS:
        raise ProductionTargetRefused(target, f"database setting {DATABASE_MARKER} = {marker!r}")
