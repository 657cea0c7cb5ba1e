import numpy as np
import pytest

from synthcore.stats.noise import (
    FALSE_ALARM,
    clustered_share_critical,
    ks_critical,
    quantile_band,
    share_critical,
    tv_critical,
)


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


def _read_rates(tail: float, trials: int = 4000, conversations: int = 1500) -> dict[str, np.ndarray]:
    """Simulated read rates: room sizes Pareto(``tail``), readers per message by room; each draw's own bounds."""
    rng = np.random.default_rng(5)
    sizes = np.minimum(rng.pareto(tail, (trials, conversations)) + 1, 20_000).astype(np.int64)
    readers = rng.choice([0.5, 1.0, 3.0], (trials, conversations), p=[0.5, 0.4, 0.1])
    receipts = rng.poisson(sizes * readers)
    total = sizes.sum(axis=1)
    observed = receipts.sum(axis=1) / total
    spread = np.sqrt(((receipts - observed[:, None] * sizes) ** 2).sum(axis=1) * conversations / (conversations - 1))
    spread /= total
    effective = total**2 / (sizes**2).sum(axis=1)  # a few heavy rooms carry most of the messages
    return {
        "error": np.abs(observed - (0.5 * 0.5 + 0.4 * 1.0 + 0.1 * 3.0)),  # readers do not depend on the room's size
        "t": np.array(
            [clustered_share_critical(e, conversations, None, k) for e, k in zip(spread, effective, strict=True)]
        ),
        "normal": np.array([clustered_share_critical(e, conversations) for e in spread]),  # as if every room counted
        "bernoulli": np.array([share_critical(0.95, n) for n in total]),
    }


def test_clustered_share_bound_holds_where_the_bernoulli_bound_does_not() -> None:
    """Receipts per message cluster by conversation: the Bernoulli bound at the message count fails honest data
    often; the clustered bound, from each draw's own spread and its effective number of rooms, holds."""
    rates = _read_rates(tail=1.5)
    alarms = {name: float(np.mean(rates["error"] > rates[name])) for name in ("t", "normal", "bernoulli")}
    assert alarms["t"] <= FALSE_ALARM * 5 and alarms["bernoulli"] > 0.2, alarms
    # with a heavier tail a few rooms carry the rate; the t quantile on the effective rooms cuts the false alarms
    heavy = _read_rates(tail=1.1)
    assert np.mean(heavy["error"] > heavy["t"]) < np.mean(heavy["error"] > heavy["normal"]) / 2
    # against a sampled target of as many conversations the bound widens by sqrt(2); with fewer than 2 it says nothing
    assert clustered_share_critical(0.01, 100, 100) == pytest.approx(clustered_share_critical(0.01, 100) * np.sqrt(2))
    assert clustered_share_critical(0.01, 1) == 1.0


def test_quantile_band_holds_the_quantile_of_heavy_tailed_draws() -> None:
    rng = np.random.default_rng(8)
    n, q, trials = 1500, 0.99, 2000
    true = (1 - q) ** (-1 / 1.2)  # Pareto(1.2) quantile
    low, high = quantile_band(q, n)
    draws = np.sort(rng.pareto(1.2, (trials, n)) + 1, axis=1)
    lo_values = draws[:, int(np.floor(low * (n - 1)))]
    hi_values = draws[:, int(np.ceil(high * (n - 1)))]
    outside = (true < lo_values) | (true > hi_values)
    assert np.mean(outside) <= FALSE_ALARM * 5
    assert low < q < high and quantile_band(q, 4 * n)[1] - q < (high - q) / 1.5
