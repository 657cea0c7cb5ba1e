"""Load generated chunks into PostgreSQL exactly once, and warm the result."""

from synthcore.load.loader import finalize_load, load_dataset

__all__ = ["finalize_load", "load_dataset"]
