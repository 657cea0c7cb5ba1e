import numpy as np
import pytest
from scipy.stats import binom

from synthcore.fidelity.spec_targets import messages_per_conversation
from synthcore.generate.draws import draw_int
from synthcore.generate.plan import build_plan
from synthcore.spec.bands import Band, resolve_counts
from synthcore.spec.distribution import DistributionSpec, Geometric, Histogram, LogNormal, PowerLaw
from synthcore.spec.io import DEFAULT_SPEC_PATH, load_model
from synthcore.stats.distances import bin_masses, ks_distance
from synthcore.stats.laws import below, binomial_cdf, discrete_quantiles, integer_edges, masses_from_below

DISTS = [
    PowerLaw(alpha=2.5, xmin=21, xmax=256),
    LogNormal(mu=4.5, sigma=1.2, min=1, max=2000),
    Geometric(p=0.25, min=3, max=20),
    Histogram(edges=[4, 6, 8, 10, 12, 14, 16, 20], weights=[0.08, 0.22, 0.27, 0.2, 0.12, 0.07, 0.04]),
]


@pytest.mark.parametrize("dist", DISTS, ids=lambda d: d.kind)
def test_below_matches_the_generators_integer_draws(dist: object) -> None:
    values = draw_int(dist, np.random.default_rng(3), 200_000)  # type: ignore[arg-type]
    ks = np.arange(0, 2100)
    empirical = np.searchsorted(np.sort(values), ks, side="left") / values.size
    assert np.max(np.abs(empirical - below(dist, ks))) < 0.006  # type: ignore[arg-type]


def test_masses_from_below_and_quantiles() -> None:
    edges = np.array([0.0, 1.0, 2.0, 3.0])
    masses = masses_from_below([0.1, 0.4, 0.9, 1.0])
    assert masses.tolist() == pytest.approx([0.4, 0.5, 0.1, 0.0])
    assert discrete_quantiles(edges, masses, [0.3, 0.5, 0.95]) == [0.0, 1.0, 2.0]


def test_integer_edges_dense_then_log() -> None:
    assert integer_edges(0, 5).tolist() == [0, 1, 2, 3, 4, 5]
    wide = integer_edges(0, 1_000_000, max_bins=100)
    assert wide[:25].tolist() == list(range(25))
    assert wide[-1] == 1_000_000 and np.all(np.diff(wide) > 0) and wide.size <= 100


def test_a_law_the_band_cannot_hold_is_the_target_stretched_and_named() -> None:
    """At 1.8 the dev band's body mean (443) is out of the power law's reach: the plan stretches it, and the target is
    exactly the plan's sizes, whatever the seed, with the stretch named."""
    spec = load_model(DistributionSpec, DEFAULT_SPEC_PATH)
    body = spec.messages.per_conversation.model_copy(update={"alpha": 1.8})
    bent = spec.model_copy(update={"messages": spec.messages.model_copy(update={"per_conversation": body})})
    counts = resolve_counts(Band.DEV)
    target, _, notes = messages_per_conversation(bent, counts)
    assert list(notes) == ["messages_per_conversation (body)"] and "x1.84" in notes["messages_per_conversation (body)"]
    for seed in ("a", "b"):
        sizes = build_plan(bent, counts, seed).messages
        observed = bin_masses(sizes, np.ones(sizes.size), [*target.lower_edges, np.inf])
        assert ks_distance(observed, target.expected) < 1e-3
    assert messages_per_conversation(spec, counts)[2] == {}


def test_binomial_cdf_equals_scipy_stats_everywhere_including_outside_the_support() -> None:
    k = np.arange(-3, 40)[None, :]
    n = np.array([0, 1, 2, 5, 30])[:, None]
    for p in (0.0, 0.1, 0.5, 0.99, 1.0):
        np.testing.assert_allclose(binomial_cdf(k, n, p), binom.cdf(k, n, p), rtol=0, atol=1e-12)
