"""Statistical disclosure control for the metrics pack: k-user suppression, secondary suppression, rounding.

Rules (notes/privacy-controls.md): a cell is published only when at least ``k`` distinct users contribute to it
(default 11, the CMS threshold); if a vector loses exactly one cell, its smallest published non-zero cell is
suppressed too, so the lost cell cannot be derived from a total; published counts are rounded to a multiple of
``rounding``; sums per bin also pass the (1, 50%) and (2, 67%) dominance rules; percentiles need k users in bins
wholly below and wholly above theirs, so none falls in the open top bin. No minimum or maximum is ever computed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthcore.errors import InputError
from synthcore.spec.metrics_pack import ROUNDING_MULTIPLE, round_significant

DEFAULT_K = 11
DEFAULT_ROUNDING = 5


@dataclass(frozen=True)
class DisclosurePolicy:
    """The k threshold (distinct users per cell) and the rounding multiple of published counts."""

    k: int = DEFAULT_K
    rounding: int = DEFAULT_ROUNDING

    def __post_init__(self) -> None:
        if not 2 <= self.k <= 1000:
            raise InputError(f"k must be between 2 and 1000 (got {self.k})")
        if self.rounding % ROUNDING_MULTIPLE or not ROUNDING_MULTIPLE <= self.rounding <= 1000:
            raise InputError(f"rounding must be a multiple of {ROUNDING_MULTIPLE} up to 1000 (got {self.rounding})")


@dataclass
class DisclosureTally:
    """What disclosure control did to one pack; recorded in the manifest."""

    published: int = 0
    suppressed: int = 0
    secondary_suppressed: int = 0
    percentiles_published: int = 0
    percentiles_withheld: int = 0


def round_counts(counts: np.ndarray, rounding: int) -> np.ndarray:
    """Round non-negative ``counts`` half up to the nearest multiple of ``rounding`` (int64)."""
    clipped = np.clip(np.rint(counts), 0, None).astype(np.int64)
    return (clipped + rounding // 2) // rounding * rounding


def protect_vector(
    counts: np.ndarray,
    users: np.ndarray,
    policy: DisclosurePolicy,
    tally: DisclosureTally,
    allowed: np.ndarray | None = None,
) -> list[int | None]:
    """Publish ``counts`` cell by cell: None where fewer than k users contribute, else the rounded count.

    Args:
        counts: the (possibly noised) value per cell.
        users: distinct contributing users per cell (exact; never published).
        policy: k and rounding.
        tally: updated with the number of published and suppressed cells.
        allowed: cells another rule (dominance) lets through; all when None.
    """
    keep = np.asarray(users) >= policy.k
    if allowed is not None:
        keep &= allowed
    # A zero cell hides nothing, so the partner is the smallest published non-zero cell.
    partners = keep & (np.asarray(counts) > 0)
    if counts.size > 1 and np.count_nonzero(~keep) == 1 and partners.any():
        smallest = np.flatnonzero(partners)[np.argmin(counts[partners])]
        keep[smallest] = False
        tally.secondary_suppressed += 1
    rounded = round_counts(counts, policy.rounding)
    tally.published += int(keep.sum())
    tally.suppressed += int((~keep).sum())
    return [int(v) if k else None for v, k in zip(rounded, keep, strict=True)]


def protect_bin_sums(
    sums: np.ndarray,
    counts: np.ndarray,
    users: np.ndarray,
    edges: tuple[float, ...],
    policy: DisclosurePolicy,
    tally: DisclosureTally,
) -> list[int | None]:
    """Publish per-bin sums of non-negative values: k users, then the (1, 50%) and (2, 67%) dominance rules.

    Every item in bin ``i`` lies in ``[edges[i], edges[i+1])``, so the largest item is below the upper edge and the
    sum is at least ``count * lower``; a sum is published only when these bounds prove that no two items exceed 67%
    of it (``2 * upper <= 0.67 * floor``), which also proves that no item exceeds half of it (one item is below
    ``upper <= 0.335 * floor``). The open top bin has no bound and its sum is never published; a bin whose items are
    all 0 sums to 0 and is safe.
    """
    lower = np.asarray(edges, dtype=np.float64)
    upper = np.append(lower[1:], np.inf)
    all_zero = (lower == 0) & (upper <= 1)
    bounded = 2 * upper <= 0.67 * (counts * lower)
    return protect_vector(sums, users, policy, tally, allowed=all_zero | bounded)


def protect_percentile(
    value: float | None,
    bin_users: np.ndarray,
    edges: tuple[float, ...],
    policy: DisclosurePolicy,
    tally: DisclosureTally,
) -> float | None:
    """Publish a percentile only if k users lie in bins wholly below and wholly above the bin it falls in.

    Distinct users over several bins are at least the largest per-bin count, so that maximum is the (sound)
    lower bound compared with k. A value in the open top bin has no bin above it and is always withheld, so no
    extreme is ever published. The published value is rounded to 3 significant digits.
    """
    if value is None or not np.isfinite(value):
        tally.percentiles_withheld += 1
        return None
    index = int(np.searchsorted(np.asarray(edges), value, side="right")) - 1
    below = bin_users[:index].max(initial=0)
    above = bin_users[index + 1 :].max(initial=0)
    if below < policy.k or above < policy.k:
        tally.percentiles_withheld += 1
        return None
    tally.percentiles_published += 1
    return round_significant(max(value, 0.0))
