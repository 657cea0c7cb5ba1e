"""Fidelity: how close a dataset (Parquet or a loaded PostgreSQL schema) is to a spec or a metrics pack."""

from synthcore.fidelity.fidelity import compute_fidelity

__all__ = ["compute_fidelity"]
