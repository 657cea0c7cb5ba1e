"""``synthcore calibrate`` and ``synthcore fidelity``: fit a spec to a pack; judge a dataset against a target."""

from __future__ import annotations

from pathlib import Path

import typer

from synthcore.cli.app import app
from synthcore.errors import InputError
from synthcore.spec.fidelity import Tolerance
from synthcore.stages import DEFAULT_SPEC


def parse_overrides(values: list[str]) -> dict[str, float]:
    """Parse ``check=threshold`` pairs.

    Raises:
        InputError: a pair is not ``name=number``.
    """
    out: dict[str, float] = {}
    for item in values:
        name, sep, number = item.partition("=")
        try:
            out[name.strip()] = float(number)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise InputError(f"--override {item!r}: expected CHECK=THRESHOLD, e.g. content_length.ks=0.2")
    return out


@app.command()
def calibrate(
    metrics: Path = typer.Option(..., help="Metrics pack (metrics.json) from synthcore sample."),
    out: Path = typer.Option(
        ..., help="Calibrated spec to write; the fit report goes beside it (<stem>.fit-report.json)."
    ),
    base: Path = typer.Option(DEFAULT_SPEC, help="Spec whose parameters the pack cannot inform are kept."),
) -> None:
    """Fit the generator's distribution spec to a metrics pack; write the spec and its fit report."""
    from synthcore import stages

    summary = stages.calibrate(metrics, out, base)
    print(f"calibrated {summary['parameters']} parameters ({summary['kept_from_base']} kept from the base); {out}")
    print(f"fit report: {summary['fit_report']}")
    counts = summary["production_counts"]
    if counts is not None:
        print(
            f"production scale: --users {counts['users']} --conversations {counts['conversations']} "
            f"--messages {counts['messages']}"
        )


@app.command()
def fidelity(
    target: Path = typer.Option(..., help="Target: a metrics pack (metrics.json) or a distribution spec (spec.json)."),
    out: Path = typer.Option(..., help="Report directory: fidelity-report.json, fidelity-report.md, plots/*.png."),
    data: Path | None = typer.Option(None, help="Generated dataset directory (Parquet)."),
    dsn: str | None = typer.Option(None, help="PostgreSQL connection string of a loaded dataset (with --schema)."),
    schema: str | None = typer.Option(None, help="Schema holding the loaded dataset's tables."),
    tolerance: Tolerance = typer.Option(Tolerance.NORMAL, help="Preset: strict 0.05, normal 0.15, relaxed 0.30."),
    override: list[str] = typer.Option([], help="Per-check threshold, CHECK=VALUE (repeatable)."),
) -> None:
    """Compare a dataset with a target in DuckDB; exit non-zero on NO-GO, naming the failed checks."""
    from synthcore import stages

    summary = stages.fidelity(
        target, out, data=data, conninfo=dsn, schema=schema, tolerance=tolerance, overrides=parse_overrides(override)
    )
    print(f"fidelity GO: {summary['passed']}/{summary['checks']} checks passed; {out}")
