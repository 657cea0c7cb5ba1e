"""``synthcore sample`` and ``synthcore scan``: the production shape pack and its pre-export PII scan."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import typer

from synthcore.cli.app import app


@app.command()
def sample(
    dsn: str = typer.Option(
        ..., envvar="SYNTH_SAMPLE_DSN", help="Production database, read-only (env SYNTH_SAMPLE_DSN). Needs the key."
    ),
    out: Path = typer.Option(..., help="Pack file (.json); the manifest is written beside it as <stem>_mapping.json."),
    window_days: int = typer.Option(30, min=1, max=3650, help="Measure messages created in the last N days."),
    window_end: datetime | None = typer.Option(None, help="End of the window, ISO 8601 (default: now, UTC)."),
    k: int = typer.Option(11, min=2, max=1000, help="Minimum distinct users per published cell."),
    rounding: int = typer.Option(5, min=5, max=1000, help="Round published counts to this multiple of 5."),
    epsilon: float | None = typer.Option(None, help="Add differential-privacy noise with this total epsilon."),
    schema: str = typer.Option("public", help="Schema holding the chat tables."),
    parallel: int = typer.Option(1, min=1, max=16, help="Connections running queries at once (one shared snapshot)."),
    xcom_return: Path | None = typer.Option(
        None, help="Also write {summary, pack, manifest} as JSON here (a pod's /airflow/xcom/return.json)."
    ),
) -> None:
    """Sample the shape of a production chat database into a scanned metrics pack plus mapping manifest."""
    import json
    from datetime import UTC

    from synthcore import stages
    from synthcore.artifacts import write_bytes_atomic
    from synthcore.sample import DisclosurePolicy, SampleOptions
    from synthcore.sample.keyed_ids import load_key

    end = window_end.replace(tzinfo=UTC) if window_end and window_end.tzinfo is None else window_end
    options = SampleOptions(window_days, end, DisclosurePolicy(k, rounding), epsilon, schema, parallel)
    summary = stages.sample(dsn, out, load_key(), options)
    print(f"pack      {summary['pack']}  sha256 {summary['pack_sha256']}")
    print(f"manifest  {summary['manifest']}")
    print(f"cells     {summary['cells_published']} published, {summary['cells_suppressed']} suppressed (k={k})")
    print(f"sampled in {summary['seconds']:.1f}s", file=sys.stderr)
    if xcom_return:
        write_bytes_atomic(xcom_return, json.dumps(stages.sampled_documents(summary)).encode())


@app.command()
def scan(pack: Path = typer.Argument(..., help="Metrics pack JSON file to check before export.")) -> None:
    """Check a metrics pack offline for anything outside the closed schema and for PII or secrets; exit 1 on any."""
    from synthcore import stages

    stages.scan(pack)
    print(f"{pack}: clean (closed schema, no PII or secrets found)")
