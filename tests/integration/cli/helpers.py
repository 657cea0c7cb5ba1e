"""Helpers of the CLI tests: snapshots of a work directory and a database, and the refusal assertion."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pyarrow.parquet as pq

from synthcore.spec.io import DEFAULT_SPEC_PATH

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def tree(root: Path) -> dict[str, tuple[bool, int, int]]:
    """Every path under ``root`` with (is a directory, size, modification time)."""
    return {
        str(p.relative_to(root)): (p.is_dir(), p.stat().st_size if p.is_file() else 0, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
    }


def database_objects(dsn: str) -> list[tuple[str, str]]:
    """Every user schema and every relation in it, as (schema, relation or '')."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT n.nspname, coalesce(c.relname, '') FROM pg_namespace n"
            " LEFT JOIN pg_class c ON c.relnamespace = n.oid"
            " WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' ORDER BY 1, 2"
        ).fetchall()
    return [(str(a), str(b)) for a, b in rows]


def assert_refused(result: subprocess.CompletedProcess[str], code: int, says: tuple[str, ...]) -> None:
    """The command exited with ``code``, named the problem on stderr, and printed no traceback."""
    output = result.stdout + result.stderr
    assert result.returncode == code, output
    assert "Traceback" not in output, output
    for fragment in says:
        assert fragment in result.stderr, f"{fragment!r} not in:\n{result.stderr}"


@dataclass(frozen=True)
class Context:
    """What a case's setup may change: the work directory (with ``data/``), another generation, the database."""

    work: Path
    other: Path
    dsn: str = ""

    @property
    def data(self) -> Path:
        return self.work / "data"


@dataclass(frozen=True)
class Case:
    """One malformed input: the arguments (``{dsn}`` is the test database), the exit code and what stderr names."""

    name: str
    args: tuple[str, ...]
    says: tuple[str, ...]
    code: int = 2
    setup: Callable[[Context], object] | None = None
    env: tuple[tuple[str, str], ...] = ()

    def argv(self, dsn: str = "") -> list[str]:
        return [a.replace("{dsn}", dsn) for a in self.args]


def truncate_file(ctx: Context) -> None:
    """Cut chunk 1's messages file in half (a damaged copy)."""
    path = ctx.data / "messages" / "part-00001.parquet"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def drop_a_row(ctx: Context) -> None:
    """Rewrite chunk 0's messages file with one row fewer than its chunk report says."""
    path = ctx.data / "messages" / "part-00000.parquet"
    table = pq.read_table(path)
    pq.write_table(table.slice(0, table.num_rows - 1), path)


def rename_a_column(ctx: Context) -> None:
    """Rewrite chunk 0's users file with ``email`` renamed to ``mail``."""
    path = ctx.data / "users" / "part-00000.parquet"
    table = pq.read_table(path)
    pq.write_table(table.rename_columns(["mail" if n == "email" else n for n in table.column_names]), path)


def mix_generations(ctx: Context) -> None:
    """Replace chunk 1 (report and files) with chunk 1 of a generation with other counts."""
    for source in [ctx.other / "_chunks" / "chunk-00001.json", *ctx.other.glob("*/part-00001.parquet")]:
        shutil.copyfile(source, ctx.data / source.relative_to(ctx.other))


def drop_chunk_report(ctx: Context) -> None:
    (ctx.data / "_chunks" / "chunk-00001.json").unlink()


def add_stray_part(ctx: Context) -> None:
    shutil.copyfile(ctx.data / "messages" / "part-00000.parquet", ctx.data / "messages" / "part-00007.parquet")


def misname_chunk_report(ctx: Context) -> None:
    (ctx.data / "_chunks" / "chunk-00001.json").rename(ctx.data / "_chunks" / "chunk-00005.json")


def corrupt_chunk_report(ctx: Context) -> None:
    (ctx.data / "_chunks" / "chunk-00000.json").write_text("{")


def empty_dataset(ctx: Context) -> None:
    shutil.rmtree(ctx.data)
    ctx.data.mkdir()


def write_file(name: str, text: str) -> Callable[[Context], object]:
    """A setup writing ``text`` to ``work/name``."""
    return lambda ctx: (ctx.work / name).write_text(text)


def spec_with(name: str, change: Callable[[dict[str, Any]], object]) -> Callable[[Context], object]:
    """A setup writing the default spec, changed by ``change``, to ``work/name``."""

    def setup(ctx: Context) -> None:
        spec = json.loads(DEFAULT_SPEC_PATH.read_text())
        change(spec)
        (ctx.work / name).write_text(json.dumps(spec))

    return setup
