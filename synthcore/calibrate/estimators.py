"""Binned maximum-likelihood fits of the spec's distribution kinds to a metrics pack's histograms.

Pure numpy/scipy. A histogram is lower-inclusive bins (last bin open) with counts, NaN where the pack suppressed
a cell. Fits use only the published cells and condition on them: the likelihood of each published bin is its
model mass divided by the model mass of all published bins, so suppressed cells and merged tails bias nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize

from synthcore.errors import InputError
from synthcore.spec.distribution import Geometric, LogNormal, PowerLaw
from synthcore.stats.distances import ks_distance
from synthcore.stats.laws import below, masses_from_below, power_law_cdf

# Below this many published units a fit is refused: its parameters would be noise.
MIN_UNITS = 20
_TINY = 1e-300


@dataclass(frozen=True)
class Fit:
    """Fitted parameters, the KS distance between fitted and published bin shares, and the units used."""

    params: tuple[float, ...]
    ks: float
    units: float


def published(counts: ArrayLike, usable: ArrayLike | None = None) -> NDArray[np.bool_]:
    """Mask of bins with a published count (and inside ``usable`` when given)."""
    c = np.asarray(counts, dtype=np.float64)
    mask = np.isfinite(c)
    return mask & np.asarray(usable, dtype=bool) if usable is not None else mask


def fit_binned(
    below_at_edges: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    counts: ArrayLike,
    x0: Sequence[float],
    bounds: Sequence[tuple[float, float]],
    usable: ArrayLike | None = None,
    what: str = "histogram",
) -> Fit:
    """Maximise the conditional binned likelihood of ``counts`` under a model given as ``P(X < edge)``.

    Args:
        below_at_edges: maps a parameter vector to ``P(X < e_i)`` at every lower edge of the bins (the last
            bin is open-ended).
        counts: units per bin; NaN where suppressed.
        x0: starting parameters.
        bounds: a (low, high) pair per parameter.
        usable: bins the model describes (e.g. above xmin); others are ignored like suppressed ones.
        what: the metric's name, for error messages.

    Raises:
        InputError: fewer than MIN_UNITS units are published in the usable bins.
    """
    c = np.asarray(counts, dtype=np.float64)
    mask = published(c, usable)
    units = float(c[mask].sum())
    if units < MIN_UNITS:
        raise InputError(f"{what}: only {units:g} units in published cells; at least {MIN_UNITS} are needed to fit")
    observed = c[mask]

    def conditional(params: NDArray[np.float64]) -> NDArray[np.float64]:
        masses = masses_from_below(below_at_edges(params))[mask]
        return masses / max(float(masses.sum()), _TINY)

    def nll(params: NDArray[np.float64]) -> float:
        return float(-np.sum(observed * np.log(np.maximum(conditional(params), _TINY))))

    result = minimize(nll, np.asarray(x0, dtype=np.float64), method="L-BFGS-B", bounds=bounds)
    params = tuple(float(v) for v in result.x)
    return Fit(params, ks_distance(observed, conditional(result.x)), units)


def fit_power_law(
    edges: ArrayLike,
    counts: ArrayLike,
    xmin: float,
    xmax: float | None = None,
    rounding: float = 0.0,
    upper: float | None = None,
    what: str = "power law",
) -> Fit:
    """Fit alpha of a power law on [xmin, xmax] to the bins at or above ``xmin`` (and below ``upper``).

    ``rounding`` is 0.5 when the generator rounds draws to the nearest integer, 0 when it rounds down.
    """
    e = np.asarray(edges, dtype=np.float64)
    top = xmax if xmax is not None else 1e12
    usable = (e >= xmin) & (e < upper if upper is not None else True)

    def f(params: NDArray[np.float64]) -> NDArray[np.float64]:
        return power_law_cdf(e - rounding, float(params[0]), xmin, top)

    return fit_binned(f, counts, [2.0], [(1.01, 6.0)], usable, what)


def fit_lognormal(edges: ArrayLike, counts: ArrayLike, lo: float, hi: float, what: str = "log-normal") -> Fit:
    """Fit (mu, sigma) of a log-normal clipped to [lo, hi] and rounded down, as the generator draws it."""
    e = np.asarray(edges, dtype=np.float64)
    c = np.asarray(counts, dtype=np.float64)
    mask = published(c) & (e > 0)
    centre = float(np.average(np.log(np.maximum(e[mask], 1.0) + 0.5), weights=c[mask])) if c[mask].sum() else 1.0

    def f(params: NDArray[np.float64]) -> NDArray[np.float64]:
        return below(LogNormal(mu=float(params[0]), sigma=float(params[1]), min=lo, max=hi), e)

    return fit_binned(f, c, [centre, 1.0], [(-5.0, 30.0), (0.01, 6.0)], None, what)


def fit_geometric(edges: ArrayLike, counts: ArrayLike, lo: int, hi: int, what: str = "geometric") -> Fit:
    """Fit p of a geometric count ``lo + trials - 1`` clipped to ``hi``, on the bins in [lo, hi]."""
    e = np.asarray(edges, dtype=np.float64)

    def f(params: NDArray[np.float64]) -> NDArray[np.float64]:
        return below(Geometric(p=float(params[0]), min=lo, max=hi), e)

    return fit_binned(f, counts, [0.3], [(1e-4, 1.0)], (e >= lo) & (e <= hi), what)


def fit_power_law_members(edges: ArrayLike, counts: ArrayLike, base: PowerLaw, what: str) -> Fit:
    """Fit alpha of a power law with the base's xmin and xmax, rounded down (member counts)."""
    return fit_power_law(edges, counts, base.xmin, base.xmax, rounding=0.0, upper=(base.xmax or 1e12) + 1, what=what)


def shares(
    counts: dict[str, int | None],
    labels: Sequence[str],
    total: int | None = None,
    prior: dict[str, float] | None = None,
) -> dict[str, float] | None:
    """Shares of ``labels`` from counts; None when nothing is published.

    A suppressed cell is not zero: when the ``total`` is known, the units it leaves unaccounted for (total
    minus every published cell, ``counts`` may hold labels outside ``labels``) are spread over the suppressed
    labels in proportion to ``prior`` (equally without one).
    """
    values = np.array([np.nan if counts.get(k) is None else float(counts[k] or 0) for k in labels])
    missing = np.isnan(values)
    if missing.all() and total is None:
        return None
    if missing.any() and total is not None:
        rest = max(float(total) - sum(float(v) for v in counts.values() if v is not None), 0.0)
        weights = np.array([(prior or {}).get(k, 1.0) for k in labels])[missing]
        values[missing] = rest * weights / weights.sum() if weights.sum() > 0 else rest / missing.sum()
    values = np.nan_to_num(values)
    sum_ = values.sum()
    return None if sum_ <= 0 else {k: float(v / sum_) for k, v in zip(labels, values, strict=True)}


def relative_profile(
    counts: Sequence[int | None], exposure: ArrayLike | None = None, floor: float = 0.01
) -> list[float]:
    """Relative intensities (mean 1) from counts per slot divided by each slot's exposure.

    Suppressed slots get the floor (a tiny share of the mean): a profile must be positive everywhere.
    """
    c = np.array([np.nan if v is None else float(v) for v in counts])
    if np.isnan(c).all() or np.nansum(c) <= 0:
        raise InputError("profile: every slot is suppressed or zero")
    rate = c / (np.asarray(exposure, dtype=np.float64) if exposure is not None else 1.0)
    rate = np.where(np.isfinite(rate), rate, 0.0)
    rate = rate / rate.mean()
    rate = np.maximum(rate, floor)
    return [float(round(v, 4)) for v in rate / rate.mean()]
