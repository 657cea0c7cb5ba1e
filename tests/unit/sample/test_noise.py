"""The epsilon ledger: an even split over planned releases, OpenDP noise, exhaustion refused."""

from __future__ import annotations

import numpy as np
import pytest

from synthcore.errors import InputError
from synthcore.sample.noise import EpsilonLedger


def test_budget_is_split_evenly_and_fully_recorded():
    ledger = EpsilonLedger(epsilon=1.0, releases=4)
    for i in range(4):
        ledger.noise(f"metric_{i}", np.full(10, 1000.0), sensitivity=2)
    assert [e.metric for e in ledger.entries] == ["metric_0", "metric_1", "metric_2", "metric_3"]
    assert all(e.epsilon == pytest.approx(0.25) for e in ledger.entries)
    assert ledger.spent == 1.0


def test_noise_perturbs_counts_on_the_integer_scale_it_promises():
    ledger = EpsilonLedger(epsilon=0.1, releases=1)
    counts = np.full(2000, 10_000.0)
    noised = ledger.noise("hist", counts, sensitivity=2)
    assert noised.dtype == np.float64 and np.all(noised == np.rint(noised))
    # Laplace scale 2 / 0.1 = 20: mean absolute deviation 20, far from 0 and far below 200.
    assert 10 < np.mean(np.abs(noised - counts)) < 40


def test_exhausted_budget_is_refused():
    ledger = EpsilonLedger(epsilon=1.0, releases=1)
    ledger.noise("first", np.ones(3), sensitivity=1)
    with pytest.raises(InputError, match=r"epsilon budget exhausted: 1 releases planned, second is one more"):
        ledger.noise("second", np.ones(3), sensitivity=1)


@pytest.mark.parametrize("epsilon", [0.0, -1.0, 101.0])
def test_bad_epsilon_is_rejected(epsilon):
    with pytest.raises(InputError, match=r"epsilon must be > 0 and <= 100"):
        EpsilonLedger(epsilon=epsilon, releases=3)
