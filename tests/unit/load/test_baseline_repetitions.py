"""Adaptive repetitions of a baseline query: many runs when fast, few when slow, warm-ups cut short when slow.

The budget covers warm-ups and measured runs together.
"""

from synthcore.baseline.explain import Repetitions

BUDGETED = Repetitions(warmup=2, min_runs=2, max_runs=31, budget_ms=2_000.0)


def _runs(each_ms: float, repetitions: Repetitions = BUDGETED) -> tuple[int, int]:
    """(warm-ups, measured runs) for a query that always takes ``each_ms``."""
    warmed, warming_ms, execution = 0, 0.0, []
    while (warming := repetitions.warming(warmed, warming_ms)) or repetitions.more(execution, warming_ms):
        if warming:
            warmed, warming_ms = warmed + 1, warming_ms + each_ms
        else:
            execution.append(each_ms)
    return warmed, len(execution)


def test_fast_queries_run_up_to_the_cap() -> None:
    assert _runs(0.05) == (2, 31)
    assert _runs(60.0) == (2, 31)  # 2 x 60 + 31 x 60 = 1,980 ms < 2,000 ms
    assert _runs(64.0) == (2, 30)  # the warm-ups count: 2 x 64 + 30 x 64 = 2,048 ms


def test_medium_queries_stop_at_the_budget() -> None:
    assert _runs(300.0) == (2, 5)  # 600 + 4 x 300 = 1,800 < 2,000 <= 600 + 5 x 300


def test_slow_queries_get_the_minimum_and_one_warm_up() -> None:
    assert _runs(500.0) == (1, 3)  # the first warm-up reaches a quarter of the budget; 500 + 3 x 500 = 2,000
    assert _runs(1_300.0) == (1, 2)
    assert _runs(2_000.0) == (1, 1)  # one run takes the whole budget
    assert _runs(1_300.0, Repetitions(warmup=0, min_runs=5, max_runs=11, budget_ms=10_000.0)) == (0, 8)
