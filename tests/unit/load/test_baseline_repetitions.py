"""Adaptive repetitions of a baseline query: many runs when fast, few when slow, warm-ups cut short when slow."""

from synthcore.baseline.explain import Repetitions

BUDGETED = Repetitions(warmup=2, min_runs=3, max_runs=31, budget_ms=2_000.0)


def _runs(each_ms: float, repetitions: Repetitions = BUDGETED) -> tuple[int, int]:
    """(warm-ups, measured runs) for a query that always takes ``each_ms``."""
    warmed, warming_ms, execution = 0, 0.0, []
    while (warming := repetitions.warming(warmed, warming_ms)) or repetitions.more(execution):
        if warming:
            warmed, warming_ms = warmed + 1, warming_ms + each_ms
        else:
            execution.append(each_ms)
    return warmed, len(execution)


def test_fast_queries_run_up_to_the_cap() -> None:
    assert _runs(0.05) == (2, 31)
    assert _runs(64.0) == (2, 31)  # 31 x 64 ms = 1,984 ms < 2,000 ms


def test_medium_queries_stop_at_the_budget() -> None:
    assert _runs(300.0) == (2, 7)  # 6 x 300 = 1,800 < 2,000 <= 7 x 300


def test_slow_queries_get_the_minimum_and_one_warm_up() -> None:
    assert _runs(500.0) == (1, 4)  # the first warm-up reaches a quarter of the budget
    assert _runs(1_300.0) == (1, 3)
    assert _runs(2_000.0) == (1, 1)  # one run takes the whole budget
    assert _runs(1_300.0, Repetitions(warmup=0, min_runs=5, max_runs=11, budget_ms=10_000.0)) == (0, 8)
