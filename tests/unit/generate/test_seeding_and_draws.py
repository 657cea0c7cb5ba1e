import numpy as np
import pytest
from scipy import stats

from synthcore.errors import InputError
from synthcore.generate.draws import allocate_exact, draw_power_law, power_law_mean, solve_power_law_xmax
from synthcore.generate.seeding import IdSpace, Purpose, keyed_uuids, root_entropy, stream
from synthcore.generate.timeline import burst_probability, bursty_positions, strictly_increasing


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


def test_bursty_gaps_have_the_requested_cv():
    p = burst_probability(2.5, 0.05)
    pos = bursty_positions(np.random.default_rng(3), np.array([200_000]), p, 0.05)
    gaps = np.diff(pos)
    assert np.all(gaps > 0) and pos[-1] == pytest.approx(1.0)
    assert gaps.std() / gaps.mean() == pytest.approx(2.5, rel=0.05)
    with pytest.raises(InputError, match=r"time.burstiness.cv: 9.0 is unreachable"):
        burst_probability(9.0, 0.5)


def test_strictly_increasing_per_group_only():
    times = np.array([5, 5, 5, 1, 1, 9, 9], dtype=np.int64)
    out = strictly_increasing(times, np.array([3, 2, 2]))
    assert out.tolist() == [5, 6, 7, 1, 2, 9, 10]
