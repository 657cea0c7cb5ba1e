import numpy as np
import pytest

from synthcore.calibrate import estimators as est
from synthcore.errors import InputError
from synthcore.generate.draws import draw_int, draw_power_law
from synthcore.spec.distribution import Geometric, LogNormal
from synthcore.spec.metrics_pack import CONTENT_LENGTH_EDGES, GROUP_MEMBER_EDGES, MESSAGES_PER_CONVERSATION_EDGES
from synthcore.stats.distances import bin_masses

RNG = np.random.default_rng(11)


def binned(values: np.ndarray, edges: tuple[int, ...]) -> np.ndarray:
    return bin_masses(values, np.ones(values.size), [*edges, np.inf])


def test_power_law_alpha_is_recovered_from_rounded_counts_with_suppressed_tail() -> None:
    values = np.round(draw_power_law(RNG, 1.8, 6, 1e7, 5000))
    counts = binned(values, MESSAGES_PER_CONVERSATION_EDGES)
    counts[counts < 11] = np.nan  # suppressed cells, as the sampler publishes them
    fit = est.fit_power_law(MESSAGES_PER_CONVERSATION_EDGES, counts, 6, rounding=0.5)
    assert fit.params[0] == pytest.approx(1.8, abs=0.05)
    assert fit.ks < 0.03 and fit.units == np.nansum(counts)


def test_lognormal_is_recovered_from_the_content_length_histogram() -> None:
    values = draw_int(LogNormal(mu=4.5, sigma=1.2, min=1, max=2000), RNG, 20_000)
    fit = est.fit_lognormal(CONTENT_LENGTH_EDGES, binned(values, CONTENT_LENGTH_EDGES), 1, 2000)
    mu, sigma = fit.params
    assert mu == pytest.approx(4.5, rel=0.02) and sigma == pytest.approx(1.2, rel=0.03)


def test_geometric_is_recovered() -> None:
    values = draw_int(Geometric(p=0.25, min=3, max=20), RNG, 5000)
    fit = est.fit_geometric(GROUP_MEMBER_EDGES, binned(values, GROUP_MEMBER_EDGES), 3, 20)
    assert fit.params[0] == pytest.approx(0.25, abs=0.02)


def test_fit_refuses_too_few_published_units() -> None:
    counts = np.full(len(CONTENT_LENGTH_EDGES), np.nan)
    counts[12] = 5
    with pytest.raises(InputError, match="content length: only 5 units in published cells"):
        est.fit_lognormal(CONTENT_LENGTH_EDGES, counts, 1, 2000, "content length")


def test_shares_spread_the_unaccounted_total_over_suppressed_labels() -> None:
    counts = {"ios": 420, "android": 340, "web": 150, "desktop": None, "other": None}
    got = est.shares(counts, ("ios", "android", "web", "desktop"), total=1000)
    assert got == pytest.approx({"ios": 0.42, "android": 0.34, "web": 0.15, "desktop": 0.09})
    prior = {"a": 0.1, "b": 0.3}
    assert est.shares({"a": None, "b": None, "c": 60}, ("a", "b", "c"), 100, prior) == pytest.approx(
        {"a": 0.1, "b": 0.3, "c": 0.6}
    )
    assert est.shares({"a": None}, ("a",)) is None


def test_relative_profile_divides_by_exposure_and_floors_suppressed_slots() -> None:
    assert est.relative_profile([10, 20, 30]) == pytest.approx([0.5, 1.0, 1.5])
    assert est.relative_profile([20, 20], exposure=[1, 2]) == pytest.approx([4 / 3, 2 / 3], abs=1e-4)
    profile = est.relative_profile([None, 50, 50])
    assert profile[0] > 0 and profile[1] == profile[2]
    with pytest.raises(InputError, match="every slot is suppressed"):
        est.relative_profile([None, None])


def test_activity_simulation_scales_counts_down_together() -> None:
    from synthcore.fidelity.simulated import scaled_counts
    from synthcore.spec.bands import Counts

    small = scaled_counts(Counts(users=250_000, conversations=600_000, messages=300_000_000), max_messages=100_000)
    assert small == Counts(users=83, conversations=200, messages=100_000)
    ci = Counts(users=1000, conversations=1500, messages=50_000)
    assert scaled_counts(ci) == ci
