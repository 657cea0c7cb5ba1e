"""Fidelity: how close a dataset (Parquet or a loaded PostgreSQL schema) is to a spec or a metrics pack.

``compute_fidelity`` is re-exported lazily, so that the pure modules (``stats``, ``expected``, the targets),
which calibration also uses, can be imported without DuckDB, psycopg or matplotlib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synthcore.fidelity.fidelity import compute_fidelity

__all__ = ["compute_fidelity"]


def __getattr__(name: str) -> Any:
    if name == "compute_fidelity":
        from synthcore.fidelity.fidelity import compute_fidelity

        return compute_fidelity
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
