import numpy as np
import pytest

from synthcore.stats.noise import FALSE_ALARM, ks_critical, share_critical, tv_critical


def test_bounds_hold_for_draws_from_the_target_and_shrink_with_n() -> None:
    rng = np.random.default_rng(11)
    p = np.array([0.5, 0.3, 0.15, 0.05])
    n = 2000
    tvs = [0.5 * np.abs(rng.multinomial(n, p) / n - p).sum() for _ in range(2000)]
    assert np.mean(np.array(tvs) > tv_critical(4, n)) <= FALSE_ALARM * 5
    errors = np.abs(rng.binomial(n, 0.82, 2000) / n - 0.82)
    assert np.mean(errors > share_critical(0.82, n)) <= FALSE_ALARM * 5
    ks = [np.abs(np.sort(rng.random(n)) - (np.arange(1, n + 1) / n)).max() for _ in range(500)]
    assert np.mean(np.array(ks) > ks_critical(n)) <= FALSE_ALARM * 5
    # the bounds are not loose: a typical draw uses a good part of them
    assert np.median(tvs) > 0.2 * tv_critical(4, n) and np.median(ks) > 0.3 * ks_critical(n)
    assert ks_critical(4 * n) == pytest.approx(ks_critical(n) / 2)
    assert ks_critical(n, n) == pytest.approx(ks_critical(n / 2))
