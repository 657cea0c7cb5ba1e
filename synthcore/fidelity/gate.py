"""Turn observed-vs-expected comparisons into checks with thresholds, and checks into GO/NO-GO with reasons.

A check passes when its statistic is at most its threshold: the sampling noise expected at the observed counts
(``synthcore.stats.noise``) plus the tolerance preset's practical tolerance for the check's kind, or a per-check
override keyed by the check's name. A check whose statistic cannot be computed fails; it is never skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal

from synthcore.errors import InputError
from synthcore.spec.fidelity import TOLERANCE_PRESETS, CheckKind, CheckResult, Tolerance

Limit = Callable[[str, CheckKind, float], float]
"""Threshold of a check from its name, kind and noise."""


def thresholds_for(tolerance: Tolerance, overrides: Mapping[str, float]) -> Limit:
    """Return a function giving the threshold of a check from its name, kind and sampling noise.

    Raises:
        InputError: an override is negative or not finite.
    """
    for name, value in overrides.items():
        if not (value >= 0 and value < float("inf")):
            raise InputError(f"override {name}={value}: a threshold must be a finite number >= 0")
    practical = TOLERANCE_PRESETS[tolerance]
    return lambda name, kind, noise: float(overrides.get(name, noise + practical[kind]))


def unknown_overrides(overrides: Mapping[str, float], check_names: Sequence[str]) -> list[str]:
    """Names of overrides that match no check (a typo would otherwise silently keep the preset)."""
    known = set(check_names)
    return sorted(name for name in overrides if name not in known)


def judge(
    name: str,
    metric: str,
    kind: CheckKind,
    compute: Callable[[], float],
    threshold: float,
    observed: float | None = None,
    expected: float | None = None,
    noise: float | None = None,
) -> CheckResult:
    """Run ``compute`` and compare its value with ``threshold``; an ``InputError`` becomes a failed check."""
    try:
        value = compute()
    except InputError as exc:
        return CheckResult(
            name=name,
            metric=metric,
            kind=kind,
            value=None,
            threshold=threshold,
            noise=noise,
            passed=False,
            observed=observed,
            expected=expected,
            reason=f"not computable: {exc}",
        )
    passed = value <= threshold
    reason = "" if passed else f"{kind} {value:.4f} > {threshold:.4f}"
    return CheckResult(
        name=name,
        metric=metric,
        kind=kind,
        value=value,
        threshold=threshold,
        noise=noise,
        passed=passed,
        observed=observed,
        expected=expected,
        reason=reason,
    )


def verdict(checks: Sequence[CheckResult]) -> tuple[Literal["GO", "NO-GO"], list[str]]:
    """Return ``("GO", [])`` when every check passed, else ``("NO-GO", reasons)`` naming each failed check."""
    if not checks:
        return "NO-GO", ["no checks could be run against this target"]
    reasons = [f"{c.name}: {c.reason}" for c in checks if not c.passed]
    return ("GO", []) if not reasons else ("NO-GO", reasons)
