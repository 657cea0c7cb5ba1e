"""``synthcore generate``: write the synthetic dataset as Parquet chunks."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from synthcore.cli.app import app
from synthcore.cli.progress import progress_reporter
from synthcore.spec.bands import Band, resolve_counts


@app.command()
def generate(
    band: Band = typer.Option(Band.CI, help="Preset sizes (users, conversations, messages)."),
    seed: str = typer.Option(..., help="Any non-empty string; the same seed gives the same data."),
    out: Path = typer.Option(..., help="Output directory: DIR/<table>/part-NNNNN.parquet + generation-report.json."),
    spec: Path | None = typer.Option(None, help="Distribution spec JSON (default: specs/distribution-spec.json)."),
    chunks: int | None = typer.Option(None, min=1, help="Number of chunks (default: about 1.25M messages each)."),
    chunk: int | None = typer.Option(None, min=0, help="Generate only this chunk (0-based)."),
    workers: int | None = typer.Option(None, min=1, help="Chunks generated at once (default: CPUs)."),
    users: int | None = typer.Option(None, help="Override the band's user count."),
    conversations: int | None = typer.Option(None, help="Override the band's conversation count."),
    messages: int | None = typer.Option(None, help="Override the band's message count."),
) -> None:
    """Generate a deterministic, chunk-invariant synthetic chat dataset."""
    from synthcore.generate import generate_dataset
    from synthcore.spec.distribution import DistributionSpec
    from synthcore.spec.io import load_model

    counts = resolve_counts(band, users, conversations, messages)
    model = load_model(DistributionSpec, spec) if spec else None
    with progress_reporter("generating") as on_progress:
        report = generate_dataset(
            out,
            band=band,
            seed=seed,
            spec=model,
            counts=counts,
            chunks=chunks,
            only_chunk=chunk,
            workers=workers,
            on_progress=on_progress,
        )
    for name, summary in report.tables.items():
        print(f"{name:20s} {summary.rows:>12,d} rows  checksum {summary.checksum}")
    print(f"wrote {out} in {report.seconds:.2f}s of generation", file=sys.stderr)
