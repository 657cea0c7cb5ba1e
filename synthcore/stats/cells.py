"""A metrics pack's published cells as numbers: suppressed cells are missing, never zero."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def cells(values: Sequence[int | None]) -> np.ndarray:
    """Pack cells as floats, suppressed cells as NaN."""
    return np.array([np.nan if v is None else float(v) for v in values])


def share(part: int | None, whole: int | None) -> float | None:
    """``part / whole``, or None when either is suppressed or the whole is zero."""
    return None if part is None or not whole else part / whole
