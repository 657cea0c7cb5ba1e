"""The ``synthcore`` command: one module per stage group registers its commands on the shared app."""

from __future__ import annotations

from synthcore.cli import calibrate as _calibrate  # noqa: F401
from synthcore.cli import generate as _generate  # noqa: F401  (registers commands)
from synthcore.cli import load as _load  # noqa: F401
from synthcore.cli import run as _run  # noqa: F401
from synthcore.cli import sample as _sample  # noqa: F401
from synthcore.cli.app import app, run

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``synthcore`` console script."""
    run()
