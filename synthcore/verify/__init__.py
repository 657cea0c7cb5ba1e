"""Integrity checks of a loaded run schema, run inside PostgreSQL."""

from synthcore.verify.verify import check_integrity, raise_on_failure

__all__ = ["check_integrity", "raise_on_failure"]
