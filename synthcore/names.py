"""Names checked at the edge: run-schema identifiers PostgreSQL never has to quote, paths that stay in their directory.

A run schema name is lowercase ASCII letters, digits and underscores, starts with a letter, is at most 63 bytes
(PostgreSQL's identifier limit, beyond which it silently truncates) and is not a reserved SQL keyword; synthcore
never writes to ``public``, ``information_schema`` or ``pg_*``. The same name becomes a folder of run records, so
the pattern also keeps it a single, plain path component; ``path_inside`` proves every such path stays put.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from synthcore.errors import InputError

MAX_IDENTIFIER_BYTES = 63
SCHEMA_NAME = re.compile(r"[a-z][a-z0-9_]*")
SAFE_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
RESERVED_SCHEMAS = frozenset({"public", "information_schema"})
# PostgreSQL 15 keywords that cannot name a schema unquoted (pg_get_keywords() catcode R and T; checked by a test).
_RESERVED_WORDS = (
    "all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate collation"
    " column concurrently constraint create cross current_catalog current_date current_role current_schema"
    " current_time current_timestamp current_user default deferrable desc distinct do else end except false fetch"
    " for foreign freeze from full grant group having ilike in initially inner intersect into is isnull join lateral"
    " leading left like limit localtime localtimestamp natural not notnull null offset on only or order outer"
    " overlaps placing primary references returning right select session_user similar some symmetric table"
    " tablesample then to trailing true union unique user using variadic verbose when where window with"
)
RESERVED_WORDS = frozenset(_RESERVED_WORDS.split())
NAMING_RULE = (
    "use lowercase letters, digits and underscores, starting with a letter, at most 63 bytes (e.g. synth_ci_s1)"
)


def schema_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a run schema, or None when it can."""
    if not name:
        return "it is empty"
    if len(name.encode()) > MAX_IDENTIFIER_BYTES:
        return f"it is {len(name.encode())} bytes, longer than PostgreSQL's 63-byte identifier limit"
    if not SCHEMA_NAME.fullmatch(name):
        bad = sorted({c for c in name if c not in SAFE_CHARACTERS})
        return f"it contains {''.join(bad)!r}" if bad else "it does not start with a letter"
    if name in RESERVED_SCHEMAS or name.startswith("pg_"):
        return "synthcore only writes to schemas it creates itself"
    if name in RESERVED_WORDS:
        return "it is a reserved SQL keyword"
    return None


def validate_schema_name(name: str) -> str:
    """Return ``name`` when it is a safe run-schema name.

    Raises:
        InputError: the name breaks the naming rule; the message says which part.
    """
    problem = schema_name_problem(name)
    if problem:
        raise InputError(f"invalid schema name {name!r}: {problem}; {NAMING_RULE}")
    return name


def default_schema_name(band: str, seed: str, prefix: str = "synth") -> str:
    """``<prefix>_<band>_<seed>`` made safe: seeds are lower-cased to ``[a-z0-9_]``, long ones shortened with a hash.

    Raises:
        InputError: ``prefix`` or ``band`` make the name unsafe.
    """
    slug = re.sub(r"[^a-z0-9_]+", "_", seed.lower()).strip("_") or "seed"
    name = f"{prefix}_{band}_{slug}"
    if len(name) > MAX_IDENTIFIER_BYTES:
        name = f"{name[:50]}_{hashlib.sha256(seed.encode()).hexdigest()[:12]}"
    return validate_schema_name(name)


def path_inside(base: Path, *parts: str) -> Path:
    """``base/part/...``, proven (after resolving ``..`` and symlinks) to stay inside ``base``.

    Raises:
        InputError: the path would leave ``base``.
    """
    path = base.joinpath(*parts)
    if not path.resolve().is_relative_to(base.resolve()):
        raise InputError(f"refusing to write {str(path)!r}: it is outside {str(base)!r}")
    return path


def run_record_path(runs_dir: Path, schema: str, filename: str) -> Path:
    """Where a run record of ``schema`` goes: ``runs_dir/<schema>/<filename>``, never outside ``runs_dir``.

    Raises:
        InputError: the schema name is unsafe or the path would leave ``runs_dir``.
    """
    return path_inside(runs_dir, validate_schema_name(schema), filename)
