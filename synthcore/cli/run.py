"""``synthcore run``: the whole pipeline on embedded defaults."""

from __future__ import annotations

from pathlib import Path

import typer

from synthcore.cli.app import app
from synthcore.spec.bands import Band


@app.command()
def run(
    out: Path = typer.Option(Path("runs/demo"), help="Work directory for packs, specs, data and reports."),
    band: Band = typer.Option(Band.CI, help="Size of the stand-in production and of the synthetic dataset."),
    seed: str = typer.Option("demo", help="Seed of the synthetic dataset."),
    dsn: str | None = typer.Option(None, help="PostgreSQL to use (default: a throwaway server started here)."),
) -> None:
    """Run sample → scan → calibrate → generate → load → verify → warm → baseline → indexes → fidelity → teardown."""
    from synthcore.pipeline import run_pipeline

    summary = run_pipeline(out, band=band, seed=seed, dsn=dsn)
    print(summary.markdown())
    print(f"reports in {out}: summary.md, run-report.json, reports/ (integrity, fidelity, baselines), metrics/")
