"""``synthcore load | verify | warm | baseline | teardown``: the database stages of a run."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from synthcore.cli.app import app

DSN = typer.Option(..., envvar="SYNTH_DSN", help="Target database (libpq conninfo or URI; env SYNTH_DSN).")
SCHEMA = typer.Option(..., help="Run schema created by 'synthcore load'.")
RUNS = typer.Option(Path("runs"), help="Run records, teardown scripts and reports go to RUNS/<schema>/.")


@app.command()
def load(
    dsn: str = DSN,
    data: Path = typer.Option(..., help="Generator output directory (DIR/<table>/part-NNNNN.parquet)."),
    schema: str | None = typer.Option(None, help="Run schema (default: synth_<band>_<seed>)."),
    parallel: int = typer.Option(2, min=1, help="Concurrent COPY connections (2 saturate a 2-core server)."),
    chunk: int | None = typer.Option(None, min=0, help="Load only this chunk, without keys (for mapped loads)."),
    finalize: bool = typer.Option(False, "--finalize", help="Only add keys/FKs, once every chunk is loaded."),
    runs_dir: Path = RUNS,
) -> None:
    """Load generated chunks exactly once with binary COPY; without --chunk, also add keys and foreign keys."""
    from synthcore.load import load_dataset

    receipt = load_dataset(
        dsn, data, schema=schema, parallel=parallel, chunk=chunk, finalize_only=finalize, runs_dir=runs_dir
    )
    for name, table in receipt.tables.items():
        skipped = f" ({len(table.chunks_skipped)} chunks already loaded)" if table.chunks_skipped else ""
        print(f"{name:20s} {table.rows:>12,d} rows  {table.seconds:7.2f}s{skipped}")
    done = "keys and foreign keys added" if receipt.finalized else "not finalized (run with --finalize)"
    print(f"schema {receipt.schema_name}: {done}; {receipt.seconds:.2f}s", file=sys.stderr)


@app.command()
def verify(
    dsn: str = DSN,
    schema: str = SCHEMA,
    report: Path | None = typer.Option(None, help="generation-report.json with the expected counts (default: ledger)."),
    runs_dir: Path = RUNS,
    full: bool = typer.Option(
        False, "--full", help="Scan every check in SQL, even those a validated constraint proves."
    ),
) -> None:
    """Run the integrity checks in PostgreSQL; exit 1 naming each failed check with sample keys."""
    from synthcore.artifacts import write_json_atomic
    from synthcore.verify import check_integrity, raise_on_failure

    result = check_integrity(dsn, schema, report, full=full)
    path = write_json_atomic(runs_dir / schema / "integrity-report.json", result)
    for check in result.checks:
        print(
            f"{'ok  ' if check.passed else 'FAIL'} {check.name}: {check.observed} (expected {check.expected})"
            f" [{check.proof}]"
        )
    print(f"report: {path}", file=sys.stderr)
    raise_on_failure(result)


@app.command()
def warm(dsn: str = DSN, schema: str = SCHEMA, runs_dir: Path = RUNS) -> None:
    """VACUUM (ANALYZE) the run schema and pg_prewarm every table and index that fits in shared_buffers."""
    from synthcore.artifacts import write_json_atomic
    from synthcore.load.warm import warm_schema

    report = warm_schema(dsn, schema)
    path = write_json_atomic(runs_dir / schema / "warm-report.json", report)
    for rel in report.relations:
        state = f"{rel.prewarmed_blocks} blocks in {rel.seconds:.3f}s" if rel.prewarmed_blocks else "not prewarmed"
        print(f"{rel.kind:5s} {rel.name:45s} {rel.size_bytes / 2**20:9.1f} MiB  {state}")
    print(
        f"vacuum {report.vacuum_seconds:.2f}s, prewarm {report.prewarm_seconds:.2f}s; report: {path}", file=sys.stderr
    )


@app.command()
def baseline(
    dsn: str | None = typer.Option(None, envvar="SYNTH_DSN", help="Database to measure (env SYNTH_DSN)."),
    schema: str | None = typer.Option(None, help="Run schema to measure."),
    out: Path | None = typer.Option(None, help="Baseline JSON to write (with --compare: comparison JSON + .md)."),
    runs: int = typer.Option(11, min=1, help="Measured EXPLAIN ANALYZE runs per query and subject."),
    warmup: int = typer.Option(2, min=0, help="Discarded runs before measuring."),
    timeout_ms: int = typer.Option(30_000, min=1, help="Cancel a run after this long; reported as timed out."),
    apply_indexes: Path | None = typer.Option(None, help="Index file (e.g. specs/indexes/phase-2.sql) to apply first."),
    compare: tuple[Path, Path] | None = typer.Option(None, help="Compare two baselines: PRE POST; exit 1 on NO-GO."),
) -> None:
    """Capture EXPLAIN (ANALYZE, BUFFERS) baselines of specs/queries/, or compare PRE and POST (GO/NO-GO)."""
    from synthcore.artifacts import write_bytes_atomic, write_json_atomic
    from synthcore.baseline import capture_baseline, compare_baselines, comparison_markdown
    from synthcore.baseline.indexes import apply_index_file
    from synthcore.errors import GateFailed, InputError
    from synthcore.spec.database import BaselineReport
    from synthcore.spec.io import load_model

    if compare:
        result = compare_baselines(load_model(BaselineReport, compare[0]), load_model(BaselineReport, compare[1]))
        target = out or compare[1].with_name("baseline-comparison.json")
        markdown = comparison_markdown(result)
        write_json_atomic(target, result)
        write_bytes_atomic(target.with_suffix(".md"), markdown.encode())
        print(markdown)
        if not result.go:
            raise GateFailed("baseline", result.reasons, str(target))
        return
    if not (dsn and schema and out):
        raise InputError("--dsn, --schema and --out are required to capture a baseline (or use --compare PRE POST)")
    if apply_indexes:
        print(f"applied {apply_indexes} in {apply_index_file(dsn, schema, apply_indexes):.2f}s", file=sys.stderr)
    report = capture_baseline(dsn, schema, runs=runs, warmup=warmup, timeout_ms=timeout_ms)
    write_json_atomic(out, report)
    for r in report.results:
        shown = "timeout" if r.timed_out else f"{r.median_ms:.3f} ms"
        print(f"{r.query:32s} {r.subject:13s} {shown:>12s}  {r.shared_hit_blocks + r.shared_read_blocks:>9,d} buffers")
    print(f"baseline: {out}", file=sys.stderr)


@app.command()
def teardown(dsn: str = DSN, schema: str = SCHEMA) -> None:
    """Drop a run schema, only if synthcore created it (public and foreign schemas are refused)."""
    from synthcore.teardown import teardown_schema

    teardown_schema(dsn, schema)
    print(f"dropped schema {schema}")
