import numpy as np
import pytest
from scipy import stats

from synthcore.errors import InputError
from synthcore.generate.draws import (
    allocate_exact,
    draw_binned,
    draw_choice,
    draw_power_law,
    power_law_mean,
    searchsorted_unit,
    solve_power_law_xmax,
)
from synthcore.generate.seeding import IdSpace, Purpose, keyed_uuids, root_entropy, stream
from synthcore.generate.timeline import US_PER_HOUR, US_PER_S, Timeline, session_times, strictly_increasing
from synthcore.spec.distribution import Binned, DistributionSpec
from synthcore.spec.io import DEFAULT_SPEC_PATH, load_model
from synthcore.stats.laws import cdf


def test_streams_are_keyed_not_positional():
    root = root_entropy("s1")
    a = stream(Purpose.MESSAGES, 3, root).random(5)
    assert np.array_equal(a, stream(Purpose.MESSAGES, 3, root).random(5))
    assert not np.array_equal(a, stream(Purpose.MESSAGES, 4, root).random(5))
    assert not np.array_equal(a, stream(Purpose.TIMELINE, 3, root).random(5))
    assert not np.array_equal(a, stream(Purpose.MESSAGES, 3, root_entropy("s2")).random(5))


@pytest.mark.parametrize("seed", ["", "   "])
def test_empty_seed_rejected(seed):
    with pytest.raises(InputError, match="--seed must not be empty"):
        root_entropy(seed)


def test_uuids_unique_version4_and_stable():
    root = root_entropy("s1")
    ids = keyed_uuids(IdSpace.MESSAGES, np.arange(200_000), root)
    raw = np.frombuffer(ids.storage.buffers()[1], np.uint8).reshape(-1, 16)
    assert np.unique(raw, axis=0).shape[0] == 200_000
    assert set(raw[:, 6] >> 4) == {4} and set(raw[:, 8] >> 6) == {2}
    again = keyed_uuids(IdSpace.MESSAGES, np.arange(100_000, 100_010), root)
    assert again.to_pylist() == ids.slice(100_000, 10).to_pylist()
    assert keyed_uuids(IdSpace.USERS, np.arange(3), root).to_pylist() != ids.slice(0, 3).to_pylist()


@pytest.mark.parametrize("case", range(40))
def test_lookup_search_and_choice_equal_numpy(case):
    """The lookup-table search is numpy's searchsorted, and draw_choice is Generator.choice, value for value."""
    rng = np.random.default_rng(case)
    size = int(rng.integers(1, 60))
    weights = rng.random(size) ** int(rng.integers(1, 12))  # high powers crowd edges into a few cells
    if case % 4 == 0:
        weights[rng.integers(0, size, size // 2)] = 0.0  # repeated edges
    cum = np.cumsum(weights) / weights.sum()
    u = rng.random(100_000)
    edges = np.concatenate([cum[cum < 1.0], np.arange(4096) / 4096])  # values on the table's and the law's edges
    u[:200] = edges[rng.integers(0, edges.size, 200)]
    assert np.array_equal(searchsorted_unit(cum, u), np.searchsorted(cum, u, side="right"))
    shares = weights + 0.01
    mine, numpys = np.random.default_rng(case), np.random.default_rng(case)
    assert np.array_equal(draw_choice(mine, shares, 50_000), numpys.choice(size, 50_000, p=shares / shares.sum()))


def test_allocate_exact_hits_total_and_minimum():
    weights = np.random.default_rng(1).pareto(0.8, 1000) + 2
    counts = allocate_exact(123_457, weights, minimum=2)
    assert counts.sum() == 123_457 and counts.min() >= 2
    assert stats.spearmanr(counts, weights).statistic > 0.99
    with pytest.raises(InputError, match="cannot give 10 items at least 5 each from a total of 20"):
        allocate_exact(20, np.ones(10), minimum=5)


def test_power_law_draws_match_closed_form():
    rng = np.random.default_rng(7)
    x = draw_power_law(rng, 1.8, 6.0, 5000.0, 400_000)
    assert x.min() >= 6.0 and x.max() <= 5000.0
    assert abs(x.mean() / power_law_mean(1.8, 6.0, 5000.0) - 1) < 0.03
    xmax = solve_power_law_xmax(1.8, 6.0, 40.0, cap=1e9)
    assert xmax is not None and abs(power_law_mean(1.8, 6.0, xmax) - 40.0) < 1e-6
    assert solve_power_law_xmax(3.0, 6.0, 40.0, cap=1e9) is None  # alpha 3 has mean <= 12


def test_binned_draws_follow_their_cdf_with_a_power_law_tail():
    law = Binned(edges=[0, 10, 20, 50], weights=[0.5, 0.0, 0.3, 0.2], tail_alpha=2.5, max=1000)
    x = draw_binned(law, np.random.default_rng(5), 200_000)
    assert x.min() >= 0 and x.max() <= 1000 and not np.any((x >= 10) & (x < 20))
    grid = np.array([5.0, 10.0, 35.0, 50.0, 80.0, 300.0])
    empirical = (x[:, None] <= grid).mean(axis=0)
    assert np.abs(empirical - cdf(law, grid)).max() < 0.005
    tail = x[x >= 50]
    assert stats.kstest(tail, lambda t: (1 - (50 / t) ** 1.5) / (1 - (50 / 1000) ** 1.5)).statistic < 0.01


def test_session_times_reproduce_gaps_sessions_and_the_hour_profile():
    spec = load_model(DistributionSpec, DEFAULT_SPEC_PATH)
    hours = [0.1] * 12 + [1.9] * 12
    time = spec.time.model_copy(update={"hour_profile": hours})
    timeline = Timeline.from_spec(time)
    counts = np.random.default_rng(2).integers(1, 60, 20_000)
    times = session_times(np.random.default_rng(4), counts, time.sessions, timeline)
    assert times.min() >= timeline.start_us and times.max() < timeline.end_us
    conv = np.repeat(np.arange(counts.size), counts)
    same = conv[1:] == conv[:-1]
    gaps = np.diff(times)[same]
    assert gaps.min() > 0
    # small conversations: most gaps are seconds (inside a session), the rest hours to days
    in_class = np.repeat((counts >= 2) & (counts < 10), counts)[1:][same]
    law = time.sessions.by_size[0].gaps_s
    grid = np.array([10.0, 60.0, 1800.0, 86_400.0])
    observed = (gaps[in_class][:, None] / US_PER_S <= grid).mean(axis=0)
    assert np.abs(observed - cdf(law, grid)).max() < 0.02
    # session starts follow the profile: 95 % of the intensity is in the afternoon half of the day
    starts = times[1:][same][gaps > time.sessions.break_s * US_PER_S]
    assert ((starts // US_PER_HOUR) % 24 >= 12).mean() == pytest.approx(0.95, abs=0.02)
    # lifetimes are short: the median conversation lives for far less than a tenth of the window
    first = times[np.cumsum(counts) - counts]
    last = times[np.cumsum(counts) - 1]
    assert np.median(last - first) < 0.1 * (timeline.end_us - timeline.start_us)


def test_long_sessions_never_run_into_the_next():
    """A busy room's sessions last hours; each starts after the one before ends, so no gap collapses to ~0."""
    spec = load_model(DistributionSpec, DEFAULT_SPEC_PATH)
    timeline = Timeline.from_spec(spec.time)
    counts = np.full(4, 30_000)
    times = session_times(np.random.default_rng(5), counts, spec.time.sessions, timeline)
    conv = np.repeat(np.arange(counts.size), counts)
    gaps = np.diff(times)[conv[1:] == conv[:-1]]
    law = spec.time.sessions.by_size[-1].gaps_s
    assert (gaps < 0.01 * US_PER_S).mean() < 0.001 + cdf(law, np.array([0.01]))[0]


def test_strictly_increasing_per_group_only():
    times = np.array([5, 5, 5, 1, 1, 9, 9], dtype=np.int64)
    out = strictly_increasing(times, np.array([3, 2, 2]))
    assert out.tolist() == [5, 6, 7, 1, 2, 9, 10]
