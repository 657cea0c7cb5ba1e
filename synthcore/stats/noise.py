"""How far an observed distribution may drift from its target by sampling noise alone, at the observed counts.

The fidelity gate's thresholds are these bounds (at a small false-alarm rate) plus a stated practical tolerance, and
calibration uses the KS bound to decide whether a parametric law is as good as the empirical bins it was fitted to.
"""

from __future__ import annotations

import math

FALSE_ALARM = 0.001
"""Probability that data truly drawn from the target fails one check by noise alone."""
_KS_C = math.sqrt(-0.5 * math.log(FALSE_ALARM / 2))


def ks_critical(n: float, m: float | None = None) -> float:
    """KS distance exceeded with probability FALSE_ALARM by ``n`` draws from the target (two samples: ``n``, ``m``)."""
    if n <= 0:
        return 1.0
    effective = n if m is None or m <= 0 else n * m / (n + m)
    return _KS_C / math.sqrt(effective)


def tv_critical(categories: int, n: float) -> float:
    """Total variation exceeded with probability FALSE_ALARM by ``n`` draws over ``categories`` labels.

    Weissman et al. (2003): P(||p̂ - p||_1 >= e) <= (2^k - 2) exp(-n e^2 / 2); the TV distance is half the L1 norm.
    """
    if n <= 0 or categories < 2:
        return 1.0
    log_terms = math.log(2.0**categories - 2.0) - math.log(FALSE_ALARM)
    return 0.5 * math.sqrt(2.0 * log_terms / n)


def share_critical(p: float, n: float) -> float:
    """Absolute error of a share exceeded with probability FALSE_ALARM by ``n`` Bernoulli(``p``) draws (normal)."""
    if n <= 0:
        return 1.0
    z = _normal_quantile(1.0 - FALSE_ALARM / 2)
    return z * math.sqrt(max(p * (1.0 - p), 0.25 / n) / n)


def quantile_band(q: float, n: float) -> tuple[float, float]:
    """Levels around ``q`` whose observed quantiles hold the target's q-quantile but with probability FALSE_ALARM.

    For ``n`` draws; order statistics: the rank of the quantile is binomial (normal approximation).
    """
    if n <= 0:
        return 0.0, 1.0
    half = _normal_quantile(1.0 - FALSE_ALARM / 2) * math.sqrt(q * (1.0 - q) / n) + 1.0 / n
    return max(0.0, q - half), min(1.0, q + half)


def clustered_share_critical(
    standard_error: float,
    clusters: float,
    target_clusters: float | None = None,
    effective_clusters: float | None = None,
) -> float:
    """Absolute error of a share exceeded with probability FALSE_ALARM, from its clustered standard error.

    Against a target that is itself a sample of ``target_clusters`` clusters, the target's variance is taken as the
    observed one scaled by the cluster counts (the same process at another size); against a closed form, none. When
    a few large clusters carry most of the weight (``effective_clusters``, Kish's ``(sum w)^2 / sum w^2``), the
    standard error is itself uncertain: the quantile is Student's t with ``effective_clusters - 1`` degrees of freedom.
    """
    if clusters < 2 or not math.isfinite(standard_error):
        return 1.0
    from scipy.special import stdtrit

    scale = 1.0 + (clusters / target_clusters if target_clusters else 0.0)
    freedom = max((effective_clusters if effective_clusters is not None else clusters) - 1.0, 1.0)
    return float(stdtrit(freedom, 1.0 - FALSE_ALARM / 2)) * standard_error * math.sqrt(scale)


def _normal_quantile(q: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(q))
