"""``synthcore sample`` and ``synthcore scan``: the production shape pack and its pre-export PII scan."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import typer

from synthcore.cli.app import app


@app.command()
def sample(
    dsn: str = typer.Option(..., help="Production database (read-only connection). Needs ANONYMIZATION_SALT set."),
    out: Path = typer.Option(..., help="Pack file (.json); the manifest is written beside it as <stem>_mapping.json."),
    window_days: int = typer.Option(30, min=1, max=3650, help="Measure messages created in the last N days."),
    window_end: datetime | None = typer.Option(None, help="End of the window, ISO 8601 (default: now, UTC)."),
    k: int = typer.Option(11, min=2, max=1000, help="Minimum distinct users per published cell."),
    rounding: int = typer.Option(5, min=5, max=1000, help="Round published counts to this multiple of 5."),
    epsilon: float | None = typer.Option(None, help="Add differential-privacy noise with this total epsilon."),
    schema: str = typer.Option("public", help="Schema holding the chat tables."),
    parallel: int = typer.Option(1, min=1, max=16, help="Connections running queries at once (one shared snapshot)."),
) -> None:
    """Sample the shape of a production chat database into a scanned metrics pack plus mapping manifest."""
    from datetime import UTC

    from synthcore.sample import DisclosurePolicy, SampleOptions, export_pack

    end = window_end.replace(tzinfo=UTC) if window_end and window_end.tzinfo is None else window_end
    options = SampleOptions(window_days, end, DisclosurePolicy(k, rounding), epsilon, schema, parallel)
    exported = export_pack(dsn, out, options)
    tally = exported.result.tally
    print(f"pack      {exported.pack_path}  sha256 {exported.pack_sha256}")
    print(f"manifest  {exported.manifest_path}")
    print(f"cells     {tally.published} published, {tally.suppressed} suppressed (k={k})")
    print(f"sampled in {exported.result.seconds:.1f}s", file=sys.stderr)


@app.command()
def scan(pack: Path = typer.Argument(..., help="Metrics pack JSON file to check before export.")) -> None:
    """Check a metrics pack offline for anything outside the closed schema and for PII or secrets; exit 1 on any."""
    from synthcore.privacy import require_clean, scan_pack_file

    result = scan_pack_file(pack)
    require_clean(result)
    print(f"{pack}: clean (closed schema, no PII or secrets found)")
