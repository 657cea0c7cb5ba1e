"""The naming rule agrees with the server: its reserved words, and names it never has to quote.

(The rule is stricter than the server on two points, so that a schema name is also a plain folder name everywhere:
non-ASCII letters and a leading underscore, which PostgreSQL leaves unquoted, are refused.)
"""

from __future__ import annotations

import psycopg

from synthcore.names import RESERVED_WORDS, schema_name_problem

CANDIDATES = ["synth_ci_s1", "a", "x9_", "selects", "Synth", "a-b", "1a", "a b", *sorted(RESERVED_WORDS)]


def test_reserved_words_are_the_servers(pg_dsn: str) -> None:
    with psycopg.connect(pg_dsn) as conn:
        words = conn.execute("SELECT word FROM pg_get_keywords() WHERE catcode IN ('R', 'T')").fetchall()
    assert {w for (w,) in words} == RESERVED_WORDS


def test_every_accepted_name_needs_no_quoting(pg_dsn: str) -> None:
    with psycopg.connect(pg_dsn) as conn:
        quoted = dict(conn.execute("SELECT n, quote_ident(n) FROM unnest(%s::text[]) n", [CANDIDATES]).fetchall())
    accepted = {n for n in CANDIDATES if schema_name_problem(n) is None}
    assert accepted == {"synth_ci_s1", "a", "x9_", "selects"}
    assert all(quoted[n] == n for n in accepted)
    assert all(quoted[n] != n for n in CANDIDATES if n not in accepted)
