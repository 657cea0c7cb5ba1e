"""The gate at its edges: a statistic equal to its threshold passes, every field of a check is carried through."""

from __future__ import annotations

import math

import pytest

from synthcore.errors import InputError
from synthcore.fidelity.gate import judge, thresholds_for, verdict
from synthcore.spec.fidelity import Tolerance


@pytest.mark.parametrize("value", [0.0, 1e300])
def test_zero_and_large_finite_overrides_are_accepted(value: float) -> None:
    assert thresholds_for(Tolerance.NORMAL, {"a.ks": value})("a.ks", "ks", 0.01) == value


@pytest.mark.parametrize("value", [math.inf, math.nan, -1e-12])
def test_infinite_nan_and_negative_overrides_are_refused(value: float) -> None:
    with pytest.raises(InputError, match=r"override a\.ks=.*: a threshold must be a finite number >= 0"):
        thresholds_for(Tolerance.NORMAL, {"a.ks": value})


def test_a_statistic_equal_to_its_threshold_passes_with_every_field_kept() -> None:
    check = judge("a.p99", "a", "relative_error", lambda: 0.15, 0.15, observed=115.0, expected=100.0, noise=0.05)
    assert check.model_dump() == {
        "name": "a.p99",
        "metric": "a",
        "kind": "relative_error",
        "value": 0.15,
        "threshold": 0.15,
        "passed": True,
        "observed": 115.0,
        "expected": 100.0,
        "reason": "",
        "noise": 0.05,
    }


def test_an_incomputable_check_keeps_what_was_observed_and_expected_and_its_noise() -> None:
    def broken() -> float:
        raise InputError("no data")

    check = judge("b.p50", "b", "relative_error", broken, 0.1, observed=3.0, expected=4.0, noise=0.02)
    assert (check.value, check.passed, check.observed, check.expected, check.noise) == (None, False, 3.0, 4.0, 0.02)
    assert (check.name, check.metric, check.kind, check.threshold) == ("b.p50", "b", "relative_error", 0.1)


def test_no_checks_is_a_named_no_go() -> None:
    assert verdict([]) == ("NO-GO", ["no checks could be run against this target"])
