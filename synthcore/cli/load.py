"""``synthcore load | verify | warm | baseline | teardown``: the database stages of a run."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from synthcore.cli.app import app
from synthcore.names import run_record_path
from synthcore.spec.database import BASELINE_RUNS, BASELINE_TIMEOUT_MS, BASELINE_WARMUP

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
    from synthcore import stages

    summary = stages.load(dsn, data, schema, runs_dir, chunk=chunk, finalize=finalize, parallel=parallel)
    for name, rows in summary["rows"].items():
        print(f"{name:20s} {rows:>12,d} rows")
    if summary["chunks_skipped"]:
        print(f"chunks already loaded (skipped): {summary['chunks_skipped']}")
    done = "keys and foreign keys added" if summary["finalized"] else "not finalized (run with --finalize)"
    print(f"schema {summary['schema']}: {done}; {summary['seconds']:.2f}s", file=sys.stderr)


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
    from synthcore import stages
    from synthcore.errors import IntegrityCheckFailed

    written = run_record_path(runs_dir, schema, stages.INTEGRITY_REPORT)
    try:
        summary = stages.verify(dsn, schema, written.parent, report, full=full)
    except IntegrityCheckFailed:  # the report was written before the gate: show every check, then fail
        _print_checks(written)
        raise
    _print_checks(written)
    print(f"all {summary['checks']} integrity checks passed; report: {summary['report']}")


def _print_checks(report: Path) -> None:
    from synthcore.spec.database import IntegrityReport
    from synthcore.spec.io import load_model

    for check in load_model(IntegrityReport, report).checks:
        print(
            f"{'ok  ' if check.passed else 'FAIL'} {check.name}: {check.observed} (expected {check.expected})"
            f" [{check.proof}]"
        )


@app.command()
def warm(dsn: str = DSN, schema: str = SCHEMA, runs_dir: Path = RUNS) -> None:
    """VACUUM (ANALYZE) the run schema and pg_prewarm every table and index that fits in shared_buffers."""
    from synthcore import stages
    from synthcore.spec.database import WarmReport
    from synthcore.spec.io import load_model

    summary = stages.warm(dsn, schema, run_record_path(runs_dir, schema, stages.WARM_REPORT).parent)
    for rel in load_model(WarmReport, summary["report"]).relations:
        state = f"{rel.prewarmed_blocks} blocks in {rel.seconds:.3f}s" if rel.prewarmed_blocks else "not prewarmed"
        print(f"{rel.kind:5s} {rel.name:45s} {rel.size_bytes / 2**20:9.1f} MiB  {state}")
    print(f"warmed {schema}: {summary['prewarmed_blocks']:,d} blocks in {summary['seconds']:.2f}s; {summary['report']}")


@app.command()
def baseline(
    dsn: str | None = typer.Option(None, envvar="SYNTH_DSN", help="Database to measure (env SYNTH_DSN)."),
    schema: str | None = typer.Option(None, help="Run schema to measure."),
    out: Path | None = typer.Option(None, help="Baseline JSON to write (with --compare: comparison JSON + .md)."),
    runs: int = typer.Option(BASELINE_RUNS, min=1, help="At most this many measured runs per query and subject."),
    warmup: int = typer.Option(BASELINE_WARMUP, min=0, help="Discarded runs before measuring."),
    timeout_ms: int = typer.Option(BASELINE_TIMEOUT_MS, min=1, help="Cancel a run after this long: timed out."),
    apply_indexes: Path | None = typer.Option(None, help="Index file (e.g. specs/indexes/phase-2.sql) to apply first."),
    compare: tuple[Path, Path] | None = typer.Option(None, help="Compare two baselines: PRE POST; exit 1 on NO-GO."),
) -> None:
    """Capture EXPLAIN (ANALYZE, BUFFERS) baselines of specs/queries/, or compare PRE and POST (GO/NO-GO)."""
    from synthcore import stages
    from synthcore.errors import InputError
    from synthcore.spec.database import BaselineReport
    from synthcore.spec.io import load_model

    if compare:
        target = out or compare[1].with_name("baseline-comparison.json")
        summary = stages.compare(compare[0], compare[1], target)
        print(f"GO: average improvement {summary['average_improvement']:.0%}; {target.with_suffix('.md')}")
        return
    if not (dsn and schema and out):
        raise InputError("--dsn, --schema and --out are required to capture a baseline (or use --compare PRE POST)")
    if apply_indexes:
        applied = stages.apply_indexes(dsn, schema, apply_indexes)
        print(f"applied {apply_indexes} in {applied['seconds']:.2f}s", file=sys.stderr)
    summary = stages.baseline(dsn, schema, out, runs=runs, warmup=warmup, timeout_ms=timeout_ms)
    for r in load_model(BaselineReport, out).results:
        shown = "timeout" if r.timed_out else f"{r.median_ms:.3f} ms"
        print(f"{r.query:32s} {r.subject:13s} {shown:>12s}  {r.shared_hit_blocks + r.shared_read_blocks:>9,d} buffers")
    print(f"{summary['queries']} query baselines ({summary['timed_out']} timed out); baseline: {out}")


@app.command()
def teardown(dsn: str = DSN, schema: str = SCHEMA) -> None:
    """Drop a run schema, only if synthcore created it (public and foreign schemas are refused)."""
    from synthcore import stages

    stages.teardown(dsn, schema)
    print(f"dropped schema {schema}")
