"""``python -m synthcore`` runs the CLI."""

from synthcore.cli import main

main()
