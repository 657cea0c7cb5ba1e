"""Closed forms of the spec's distribution kinds: CDFs, integer bin masses and quantiles.

``below(dist, k)`` is the probability that the generator's integer draw (``synthcore.generate.draws.draw_int``:
continuous kinds rounded down) is less than ``k``; ``cdf`` is the CDF of the continuous draw. Pure numpy/scipy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import bdtr, ndtr

from synthcore.errors import InputError
from synthcore.generate.tables.read_receipts import MEDIUM_CAP_S, MIN_DELAY_S
from synthcore.spec.distribution import Binned, Distribution, Geometric, Histogram, LogNormal, PowerLaw, ReadDelay


def power_law_cdf(x: ArrayLike, alpha: float, xmin: float, xmax: float) -> NDArray[np.float64]:
    """CDF of the density ∝ x^-alpha truncated to [xmin, xmax]."""
    a = alpha - 1.0
    xs = np.clip(np.asarray(x, dtype=np.float64), xmin, xmax)
    return np.asarray((1.0 - (xmin / xs) ** a) / (1.0 - (xmin / xmax) ** a))


def binomial_cdf(k: ArrayLike, n: ArrayLike, p: float) -> NDArray[np.float64]:
    """P(B <= k) for B ~ Binomial(n, p), elementwise over integer ``k`` and ``n`` (0 below 0, 1 from ``n`` on)."""
    ks, ns = np.floor(np.asarray(k)).astype(np.int64), np.asarray(n, dtype=np.int64)
    return np.asarray(np.where(ks < 0, 0.0, bdtr(np.clip(ks, 0, ns), ns, p)))


def cdf(dist: Distribution, x: ArrayLike) -> NDArray[np.float64]:
    """CDF ``P(X <= x)`` of the spec distribution as the generator draws it (clipping included).

    Raises:
        InputError: a power law without ``xmax`` (its cut-off comes from the dataset's totals).
    """
    xs = np.asarray(x, dtype=np.float64)
    if isinstance(dist, PowerLaw):
        if dist.xmax is None:
            raise InputError(f"power law with alpha={dist.alpha} has no xmax; pass the effective cut-off")
        return power_law_cdf(xs, dist.alpha, dist.xmin, dist.xmax)
    if isinstance(dist, LogNormal):
        with np.errstate(divide="ignore"):
            inner = ndtr((np.log(np.maximum(xs, 0.0)) - dist.mu) / max(dist.sigma, 1e-12))
        return np.asarray(np.where(xs < dist.min, 0.0, np.where(xs >= dist.max, 1.0, inner)))
    if isinstance(dist, Geometric):
        k = np.floor(xs) - dist.min + 1  # trials needed: value = min + trials - 1
        inner = 1.0 - (1.0 - dist.p) ** np.maximum(k, 0)
        return np.asarray(np.where(xs >= dist.max, 1.0, np.where(k < 1, 0.0, inner)))
    if isinstance(dist, Binned):
        return binned_cdf(dist, xs)
    return _histogram_cdf(dist, xs)


def binned_cdf(dist: Binned, x: ArrayLike) -> NDArray[np.float64]:
    """CDF of a binned law: linear inside the closed bins, the truncated power law inside the open top bin."""
    xs = np.asarray(x, dtype=np.float64)
    edges = np.asarray(dist.edges, dtype=np.float64)
    w = np.asarray(dist.weights, dtype=np.float64) / sum(dist.weights)
    cum = np.concatenate([[0.0], np.cumsum(w)])
    inside = np.interp(xs, edges, cum[:-1], left=0.0, right=cum[-2])
    tail = w[-1] * power_law_cdf(np.maximum(xs, edges[-1]), dist.tail_alpha, edges[-1], dist.max)
    return np.asarray(np.where(xs >= edges[-1], cum[-2] + tail, inside))


def _histogram_cdf(dist: Histogram, xs: NDArray[np.float64]) -> NDArray[np.float64]:
    edges = np.asarray(dist.edges)
    cum = np.concatenate([[0.0], np.cumsum(dist.weights)]) / sum(dist.weights)
    return np.asarray(np.interp(xs, edges, cum, left=0.0, right=1.0))


def below(dist: Distribution, k: ArrayLike) -> NDArray[np.float64]:
    """Probability that the generator's integer draw is less than integer ``k``."""
    ks = np.asarray(k, dtype=np.float64)
    if isinstance(dist, Geometric):
        return cdf(dist, ks - 1)
    # floor(X) < k  <=>  X < k; the small offset keeps a clipped atom at an integer k out of "below k"
    return cdf(dist, ks - 1e-9)


def masses_from_below(below_at_edges: ArrayLike) -> NDArray[np.float64]:
    """Bin masses for lower edges ``e_0 < ... < e_n`` (last bin open) from ``P(X < e_i)``.

    Mass below ``e_0`` joins bin 0.
    """
    f = np.asarray(below_at_edges, dtype=np.float64)
    upper = np.concatenate([f[1:], [1.0]])
    masses = upper - f
    masses[0] += f[0]
    return np.clip(masses, 0.0, None)


def integer_edges(lo: int, hi: float, max_bins: int = 400) -> NDArray[np.float64]:
    """Integer lower edges from ``lo`` to ``hi``, at most about ``max_bins`` of them.

    Every integer when few enough; else every integer up to ``lo + max_bins // 4`` and log-spaced above.
    """
    hi_int = max(int(np.ceil(hi)), lo + 1)
    if hi_int - lo + 1 <= max_bins:
        return np.arange(lo, hi_int + 1, dtype=np.float64)
    dense_end = lo + max_bins // 4
    tail = np.round(np.geomspace(dense_end, hi_int, max_bins - max_bins // 4))
    return np.unique(np.concatenate([np.arange(lo, dense_end, dtype=np.float64), tail]))


def discrete_quantiles(lower_edges: ArrayLike, masses: ArrayLike, qs: Sequence[float]) -> list[float]:
    """Smallest lower edge whose cumulative mass reaches each ``q`` (the quantile of an integer variable)."""
    edges = np.asarray(lower_edges, dtype=np.float64)
    cum = np.cumsum(np.asarray(masses, dtype=np.float64))
    cum = cum / cum[-1]
    return [float(edges[min(int(np.searchsorted(cum, q - 1e-12, side="left")), edges.size - 1)]) for q in qs]


def read_delay_cdf(delay: ReadDelay, t: ArrayLike) -> NDArray[np.float64]:
    """CDF of the read delay in seconds: uniform fast, truncated-exponential medium, clipped log-normal slow."""
    ts = np.asarray(t, dtype=np.float64)
    fast = np.clip((ts - MIN_DELAY_S) / (delay.fast_max_s - MIN_DELAY_S), 0.0, 1.0)
    tail = 1.0 - np.exp(-MEDIUM_CAP_S / delay.medium_mean_s)
    medium = np.where(ts < MIN_DELAY_S, 0.0, np.clip((1.0 - np.exp(-ts / delay.medium_mean_s)) / tail, 0.0, 1.0))
    slow = below(delay.slow, ts + 1e-9)
    slow_share = 1 - delay.fast_share - delay.medium_share
    return np.asarray(delay.fast_share * fast + delay.medium_share * medium + slow_share * slow)
