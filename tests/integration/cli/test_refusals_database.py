"""Malformed inputs to the database verbs against a real server: each exits 2 (1 for a runtime failure) naming the
problem, prints no traceback, and leaves nothing behind: no file or directory, no schema, no table."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from synthcore.spec.io import DEFAULT_SPEC_PATH
from tests.integration.cli.helpers import (
    Case,
    Context,
    RunCli,
    add_stray_part,
    assert_refused,
    corrupt_chunk_report,
    database_objects,
    drop_a_row,
    drop_chunk_report,
    empty_dataset,
    misname_chunk_report,
    mix_generations,
    rename_a_column,
    tree,
    truncate_file,
    write_file,
)

LOAD = ("load", "--dsn", "{dsn}", "--data", "data")
ABSENT = "synth_absent"


def _foreign_schema(ctx: Context) -> None:
    with psycopg.connect(ctx.dsn) as conn:
        conn.execute("CREATE SCHEMA other_app; CREATE TABLE other_app.accounts (id int)")


def _schema_case(verb: str, name: str, says: str, *extra: str) -> Case:
    """``verb --dsn DSN --schema name``: a schema name refused before anything is written."""
    return Case(f"{verb}-schema-{name}", (verb, "--dsn", "{dsn}", "--schema", name, *extra), (says,))


CASES = [
    Case("load-schema-traversal", (*LOAD, "--schema", "../escape"), ("invalid schema name '../escape'",)),
    Case("load-schema-needs-quoting", (*LOAD, "--schema", 'Bad"Name'), ("it contains '\"BN'",)),
    Case("load-schema-64-bytes", (*LOAD, "--schema", "s" * 64), ("63-byte identifier limit",)),
    Case("load-schema-keyword", (*LOAD, "--schema", "select"), ("reserved SQL keyword",)),
    Case("load-schema-public", (*LOAD, "--schema", "public"), ("only writes to schemas it creates",)),
    Case("load-schema-pg-prefix", (*LOAD, "--schema", "pg_synth"), ("only writes to schemas it creates",)),
    Case(
        "load-runs-dir-is-a-file",
        (*LOAD, "--runs-dir", "runsfile"),
        ("is not a directory",),
        setup=write_file("runsfile", "x"),
    ),
    Case("load-missing-data", ("load", "--dsn", "{dsn}", "--data", "nowhere"), ("'nowhere' does not exist",)),
    Case("load-empty-data", LOAD, ("no chunk reports",), setup=empty_dataset),
    Case(
        "load-truncated-parquet",
        LOAD,
        ("messages/part-00001.parquet: not a readable Parquet file",),
        setup=truncate_file,
    ),
    Case("load-rows-differ-from-report", LOAD, ("rows but chunk report 0 says",), setup=drop_a_row),
    Case(
        "load-column-renamed",
        LOAD,
        ("schema differs from table users", "missing columns ['email']", "unexpected columns ['mail']"),
        setup=rename_a_column,
    ),
    Case(
        "load-mixed-generations",
        LOAD,
        ("chunk reports 0 and 1 are from different generations: counts",),
        setup=mix_generations,
    ),
    Case("load-chunk-missing", LOAD, ("chunk(s) [1] of 2 have not been generated",), setup=drop_chunk_report),
    Case(
        "load-stray-part-file",
        LOAD,
        ("messages/part-00007.parquet: not part of a dataset of 2 chunks",),
        setup=add_stray_part,
    ),
    Case(
        "load-misnamed-chunk-report",
        LOAD,
        ("chunk-00005.json: holds the report of chunk 1 of 2",),
        setup=misname_chunk_report,
    ),
    Case("load-corrupt-chunk-report", LOAD, ("chunk-00000.json: not valid JSON",), setup=corrupt_chunk_report),
    Case("load-chunk-out-of-range", (*LOAD, "--chunk", "9"), ("chunk 9 is out of range",)),
    Case(
        "load-mapped-chunk-damaged",
        (*LOAD, "--chunk", "1"),
        ("messages/part-00001.parquet: not a readable Parquet file",),
        setup=truncate_file,
    ),
    Case("load-finalize-before-any-chunk", (*LOAD, "--finalize"), ("load its chunks before --finalize",)),
    Case("load-parallel-beyond-64", (*LOAD, "--parallel", "1000"), ("--parallel must be between 1 and 64",)),
    Case("load-chunk-and-finalize", (*LOAD, "--chunk", "0", "--finalize"), ("exclusive",)),
    Case("load-malformed-dsn", ("load", "--dsn", "nonsense===", "--data", "data"), ("invalid connection string",)),
    Case(
        "load-unreachable-server",
        ("load", "--dsn", "host=/nonexistent port=1 dbname=x", "--data", "data"),
        ("cannot connect to PostgreSQL",),
        code=1,
    ),
    Case(
        "load-production-environment",
        LOAD,
        ("refusing to write", "SYNTH_ENV is production"),
        code=1,
        env=(("SYNTH_ENV", "production"),),
    ),
    _schema_case("verify", "../x", "invalid schema name '../x'"),
    _schema_case("verify", ABSENT, "does not exist"),
    _schema_case("verify", ABSENT, "missing.json: cannot read file", "--report", "missing.json"),
    _schema_case("warm", "x y", "invalid schema name 'x y'"),
    _schema_case("warm", ABSENT, "does not exist"),
    _schema_case("baseline", "a-b", "invalid schema name 'a-b'", "--out", "b.json"),
    _schema_case("baseline", ABSENT, "--timeout-ms 1..2147483647", "--out", "b.json", "--timeout-ms", str(2**32)),
    _schema_case("baseline", ABSENT, "both at most 1000", "--out", "b.json", "--runs", "5000"),
    _schema_case("baseline", ABSENT, "does not exist", "--out", "b.json"),
    _schema_case("baseline", ABSENT, "cannot read index file", "--out", "b.json", "--apply-indexes", "missing.sql"),
    _schema_case("teardown", "public", "invalid schema name 'public'"),
    _schema_case("teardown", "../x", "invalid schema name '../x'"),
    _schema_case("teardown", ABSENT, "does not exist; nothing to tear down"),
    Case(
        "teardown-schema-not-synthcores",
        ("teardown", "--dsn", "{dsn}", "--schema", "other_app"),
        ("not created by synthcore",),
        setup=_foreign_schema,
    ),
    Case(
        "fidelity-schema-absent",
        ("fidelity", "--target", str(DEFAULT_SPEC_PATH), "--out", "report", "--dsn", "{dsn}", "--schema", ABSENT),
        (f"schema '{ABSENT}'", "lacks tables"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{i:02d}-{c.name}" for i, c in enumerate(CASES)])
def test_refused_before_any_write(case: Case, work: Path, other_generation: Path, pg_dsn: str, cli: RunCli) -> None:
    if case.setup:
        case.setup(Context(work, other_generation, pg_dsn))
    files, objects = tree(work), database_objects(pg_dsn)
    result = cli(*case.argv(pg_dsn), env=dict(case.env))
    assert_refused(result, case.code, case.says)
    assert tree(work) == files
    assert database_objects(pg_dsn) == objects
