"""The Typer application every command module registers on, and the error-to-exit-code boundary."""

from __future__ import annotations

import logging
import sys

import typer

from synthcore.errors import SynthError

app = typer.Typer(
    name="synthcore",
    help="synthdata: privacy-first synthetic chat datasets for PostgreSQL performance work.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for synthdata errors."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log at DEBUG level."),
) -> None:
    """synthdata: privacy-first synthetic chat datasets for PostgreSQL performance work."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    _STATE["debug"] = debug


_STATE: dict[str, bool] = {"debug": False}


def run() -> None:
    """Run the app; a SynthError prints ``error: <message>`` and exits with its exit code."""
    try:
        app()
    except SynthError as exc:
        if _STATE["debug"]:
            raise
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
