"""The hot-path query catalog in specs/queries/: one file per query, plus the subjects that pick its parameters.

A query file starts with a description comment and ``-- subjects: a, b``; its parameters are ``%(name)s``
placeholders. specs/queries/subjects.sql holds named blocks (``-- subject: name``) whose single result row supplies
those parameters from the loaded data (a heavy and a median room, a heavy and a typical user).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from synthcore.errors import SpecError
from synthcore.spec.io import SPECS_DIR

QUERIES_DIR = SPECS_DIR / "queries"
SUBJECTS_FILE = "subjects.sql"
_SUBJECT = re.compile(r"^-- subject: (\w+)$", re.MULTILINE)
_SUBJECTS_LINE = re.compile(r"^-- subjects: (.+)$", re.MULTILINE)
_PARAM = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class CatalogQuery:
    """One catalog query: name (file stem), description, subjects to run it with, SQL and its parameter names."""

    name: str
    description: str
    subjects: tuple[str, ...]
    sql: str
    params: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    """Every query and every subject picker (name → SQL)."""

    queries: list[CatalogQuery]
    subjects: dict[str, str]


def _body(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("--")).strip().rstrip(";")


def load_catalog(directory: Path = QUERIES_DIR) -> Catalog:
    """Read the query catalog from ``directory``.

    Raises:
        SpecError: a query lacks its description or subjects line, names an unknown subject, or there are no queries.
    """
    subjects_path = directory / SUBJECTS_FILE
    if not subjects_path.exists():
        raise SpecError(str(subjects_path), ["missing: the subject pickers file is required"])
    parts = _SUBJECT.split(subjects_path.read_text())
    subjects = {name: _body(sql) for name, sql in zip(parts[1::2], parts[2::2], strict=True)}
    queries = []
    for path in sorted(directory.glob("*.sql")):
        if path.name == SUBJECTS_FILE:
            continue
        text = path.read_text()
        listed = _SUBJECTS_LINE.search(text)
        first = text.splitlines()[0] if text else ""
        if not listed or not first.startswith("-- "):
            raise SpecError(str(path), ["header: needs a '-- description' line and a '-- subjects: a, b' line"])
        names = tuple(s.strip() for s in listed[1].split(","))
        unknown = [s for s in names if s not in subjects]
        if unknown:
            raise SpecError(str(path), [f"subjects: unknown {unknown}; defined in {SUBJECTS_FILE}: {sorted(subjects)}"])
        body = _body(text)
        params = tuple(dict.fromkeys(_PARAM.findall(body)))
        queries.append(CatalogQuery(path.stem, first.removeprefix("-- "), names, body, params))
    if not queries:
        raise SpecError(str(directory), ["no query files (*.sql) found"])
    return Catalog(queries, subjects)
