from synthcore.baseline import compare_baselines
from synthcore.spec.database import BaselineReport, QueryBaseline


def _result(median: float, p90: float, buffers: int = 100) -> QueryBaseline:
    return QueryBaseline(
        query="unread_counts",
        subject="heavy_user",
        params={},
        runs=11,
        timed_out=False,
        median_ms=median,
        p90_ms=p90,
        planning_median_ms=0.1,
        shared_hit_blocks=buffers,
        shared_read_blocks=0,
        rows=1,
        node_types=["Seq Scan"],
        sort_nodes=0,
        scans=[],
        index_names=[],
        plan_hash="h",
        plan={},
    )


def _report(*results: QueryBaseline) -> BaselineReport:
    return BaselineReport.model_construct(results=list(results))  # the comparison reads only the results


def test_slowdown_within_the_pre_spread_is_noise():
    change = compare_baselines(_report(_result(50.0, 72.0)), _report(_result(69.0, 80.0))).changes[0]
    assert change.latency_change > 0.10 and not change.slower


def test_slowdown_beyond_the_pre_spread_is_a_regression():
    comparison = compare_baselines(_report(_result(50.0, 55.0)), _report(_result(69.0, 75.0)))
    assert comparison.changes[0].slower and not comparison.go
    assert "unread_counts/heavy_user slower by 38.0%" in comparison.reasons


def test_sub_threshold_jitter_on_fast_queries_is_ignored():
    change = compare_baselines(_report(_result(0.02, 0.021)), _report(_result(0.04, 0.05))).changes[0]
    assert change.latency_change == 1.0 and not change.slower
