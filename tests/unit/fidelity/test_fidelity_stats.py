import numpy as np
import pytest

from synthcore.errors import InputError
from synthcore.stats import distances as stats


def test_identical_samples_give_ks_and_tv_zero() -> None:
    masses = np.random.default_rng(1).integers(0, 100, 50)
    assert stats.ks_distance(masses, masses) == 0.0
    assert stats.total_variation(masses, masses * 3) == 0.0


def test_disjoint_supports_give_ks_and_tv_one() -> None:
    left = [5, 3, 0, 0]
    right = [0, 0, 2, 7]
    assert stats.ks_distance(left, right) == pytest.approx(1.0)
    assert stats.total_variation(left, right) == pytest.approx(1.0)


def test_binned_ks_equals_scipy_two_sample_statistic() -> None:
    from scipy.stats import ks_2samp

    rng = np.random.default_rng(7)
    a, b = rng.integers(0, 30, 2000), rng.integers(2, 32, 1500)
    edges = np.arange(0, 33)
    got = stats.ks_distance(stats.bin_masses(a, np.ones(a.size), edges), stats.bin_masses(b, np.ones(b.size), edges))
    assert got == pytest.approx(ks_2samp(a, b).statistic, abs=1e-12)


def test_total_variation_of_known_mixes() -> None:
    assert stats.total_variation([0.7, 0.3], [0.5, 0.5]) == pytest.approx(0.2)


def test_relative_error_known_answer_and_zero_expected() -> None:
    assert stats.relative_error(110.0, 100.0) == pytest.approx(0.1)
    with pytest.raises(InputError, match="undefined for an expected value of 0"):
        stats.relative_error(1.0, 0.0)
    with pytest.raises(InputError, match="finite"):
        stats.relative_error(float("nan"), 1.0)


def test_mismatched_or_empty_masses_are_rejected() -> None:
    with pytest.raises(InputError, match="observed has 2 bins but expected has 3"):
        stats.ks_distance([1, 2], [1, 2, 3])
    with pytest.raises(InputError, match="total mass is zero"):
        stats.total_variation([0, 0], [1, 1])
    with pytest.raises(InputError, match=r"masses must be finite and >= 0"):
        stats.total_variation([-1, 2], [1, 1])


def test_bin_masses_puts_outliers_in_end_bins() -> None:
    got = stats.bin_masses([-5, 0, 1.5, 2, 99], [1, 1, 1, 1, 1], [0, 1, 2, 3])
    assert got.tolist() == [2.0, 1.0, 2.0]
    with pytest.raises(InputError, match="strictly increasing"):
        stats.bin_masses([1], [1], [2, 1])
