"""Distances between an observed and an expected distribution, both given as masses over the same bins.

Pure numpy: histograms in, numbers out. Every function raises ``InputError`` on input it cannot compare
(mismatched shapes, negative or empty masses) instead of returning NaN, so an incomputable statistic
fails the gate with its reason rather than being averaged away.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from synthcore.errors import InputError


def normalized(masses: ArrayLike, name: str = "masses") -> NDArray[np.float64]:
    """Return ``masses`` scaled to sum to 1.

    Raises:
        InputError: a mass is negative or not finite, or the total is zero.
    """
    arr = np.asarray(masses, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise InputError(f"{name}: need a non-empty 1-d array (got shape {arr.shape})")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InputError(f"{name}: masses must be finite and >= 0 (got {arr.tolist()})")
    total = arr.sum()
    if total <= 0:
        raise InputError(f"{name}: total mass is zero; nothing to compare")
    return arr / total


def _pair(observed: ArrayLike, expected: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    p = normalized(observed, "observed")
    q = normalized(expected, "expected")
    if p.shape != q.shape:
        raise InputError(f"observed has {p.size} bins but expected has {q.size}; they must share bins")
    return p, q


def ks_distance(observed: ArrayLike, expected: ArrayLike) -> float:
    """Return the Kolmogorov-Smirnov distance: the largest gap between the two CDFs at the bin edges.

    With one bin per distinct value this is the exact two-sample (or sample-vs-model) statistic; with
    coarser bins it is the statistic restricted to the bin edges (a lower bound). In [0, 1].
    """
    p, q = _pair(observed, expected)
    return float(np.max(np.abs(np.cumsum(p) - np.cumsum(q))))


def total_variation(observed: ArrayLike, expected: ArrayLike) -> float:
    """Return the total variation distance ``0.5 * sum |p - q|``: 0 for equal mixes, 1 for disjoint ones."""
    p, q = _pair(observed, expected)
    return float(0.5 * np.abs(p - q).sum())


def relative_error(observed: float, expected: float) -> float:
    """Return ``|observed - expected| / |expected|``.

    Raises:
        InputError: ``expected`` is zero or either value is not finite.
    """
    if not (np.isfinite(observed) and np.isfinite(expected)):
        raise InputError(f"relative error needs finite values (got observed={observed}, expected={expected})")
    if expected == 0:
        raise InputError(f"relative error is undefined for an expected value of 0 (observed {observed})")
    return float(abs(observed - expected) / abs(expected))


def bin_masses(values: ArrayLike, weights: ArrayLike, edges: Sequence[float]) -> NDArray[np.float64]:
    """Sum ``weights`` of ``values`` into bins ``[edges[i], edges[i+1])``; the last edge may be ``inf``.

    Values outside ``[edges[0], edges[-1])`` land in the nearest end bin, so no mass is lost when a
    target's outer bins are open-ended (merged tails).
    """
    edge_arr = np.asarray(edges, dtype=np.float64)
    if edge_arr.ndim != 1 or edge_arr.size < 2 or np.any(np.diff(edge_arr) <= 0):
        raise InputError(f"bin edges must be at least two strictly increasing numbers (got {list(edges)})")
    idx = np.searchsorted(edge_arr, np.asarray(values, dtype=np.float64), side="right") - 1
    idx = np.clip(idx, 0, edge_arr.size - 2)
    out = np.bincount(idx, weights=np.asarray(weights, dtype=np.float64), minlength=edge_arr.size - 1)
    return out.astype(np.float64)
