"""Law choice per distribution: a parametric family, or the empirical binned law of the published bins.

The parametric family is kept when it matches the published bins to within sampling noise; otherwise the binned law
of those bins (suppressed cells conditioned out) with a fitted power-law tail is used.

Both candidates are scored by the KS distance to the published bins; the parametric law is kept when its distance
is below the KS critical value at the published units (it is then indistinguishable from the bins and
extrapolates smoothly), otherwise the binned law is used. The choice and both distances go into the fit report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from synthcore.calibrate import estimators as est
from synthcore.errors import InputError
from synthcore.spec.distribution import Binned, LogNormal, PowerLaw
from synthcore.stats.distances import ks_distance
from synthcore.stats.laws import below, masses_from_below
from synthcore.stats.noise import ks_critical

TAIL_BINS = 4
"""The tail exponent is fitted on this many top non-empty published bins."""
DEFAULT_TAIL_ALPHA = 2.0
"""Tail exponent when the top bins hold too few units to fit one."""
WEIGHT_DECIMALS = 6


@dataclass(frozen=True)
class Chosen:
    """The chosen law, how it was chosen, its KS distance to the published bins and every candidate's distance."""

    law: Binned | LogNormal | PowerLaw
    method: str
    ks: float
    candidates: dict[str, float]
    units: float


def empirical_law(edges: ArrayLike, counts: ArrayLike, lo: float, top: float, what: str) -> Binned:
    """The binned law of the published bins with lower edge in ``[lo, top)``; bins from ``top`` up join the last.

    Raises:
        InputError: fewer than MIN_UNITS units are published there.
    """
    e = np.asarray(edges, dtype=np.float64)
    c = np.asarray(counts, dtype=np.float64)
    keep = (e >= lo) & (e < top)
    kept_edges, kept = e[keep], c[keep].copy()
    kept[-1] = np.nansum([kept[-1], *c[e >= top]])
    weights = np.nan_to_num(kept)
    if weights.sum() < est.MIN_UNITS:
        raise InputError(f"{what}: only {weights.sum():g} units in published cells; at least {est.MIN_UNITS} needed")
    filled = np.flatnonzero(weights > 0)
    tail_from = float(kept_edges[filled[max(0, filled.size - TAIL_BINS)]])
    try:
        alpha = est.fit_power_law(kept_edges, kept, max(tail_from, 1.0), xmax=top, what=f"{what} tail").params[0]
    except InputError:
        alpha = DEFAULT_TAIL_ALPHA
    shares = np.round(weights / weights.sum(), WEIGHT_DECIMALS)
    return Binned(edges=kept_edges.tolist(), weights=shares.tolist(), tail_alpha=round(float(alpha), 4), max=float(top))


def binned_ks(law: Binned, edges: ArrayLike, counts: ArrayLike) -> float:
    """KS distance between ``law``'s integer draws and the published bins (at their edges)."""
    e = np.asarray(edges, dtype=np.float64)
    c = np.asarray(counts, dtype=np.float64)
    mask = np.isfinite(c) & (e >= law.edges[0])
    masses = masses_from_below(below(law, e))[mask]
    return ks_distance(c[mask], masses) if masses.sum() > 0 else 1.0


def choose(
    parametric: tuple[str, Binned | LogNormal | PowerLaw, est.Fit] | None,
    empirical: Binned,
    edges: ArrayLike,
    counts: ArrayLike,
) -> Chosen:
    """Keep the parametric law when its KS distance is within sampling noise of the published bins, else the bins."""
    units = float(np.nansum(np.asarray(counts, dtype=np.float64)))
    binned = binned_ks(empirical, edges, counts)
    noise = ks_critical(units)
    candidates = {"binned": round(binned, 4)}
    if parametric is not None:
        name, law, fit = parametric
        candidates[name] = round(fit.ks, 4)
        if fit.ks <= noise:
            return Chosen(
                law, f"{name}: KS {fit.ks:.4f} <= noise {noise:.4f} at {units:g} units", fit.ks, candidates, units
            )
        reason = f"{name} KS {fit.ks:.4f} > noise {noise:.4f} at {units:g} units"
    else:
        reason = "no parametric candidate"
    tail = f"power-law tail alpha {empirical.tail_alpha} above {empirical.edges[-1]:g}"
    return Chosen(empirical, f"empirical binned law ({reason}); {tail}", binned, candidates, units)
