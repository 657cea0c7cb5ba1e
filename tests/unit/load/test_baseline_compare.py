from synthcore.baseline import compare_baselines
from synthcore.spec.database import BaselineComparison, BaselineReport, QueryBaseline


def _result(median: float, p90: float, buffers: int = 100) -> QueryBaseline:
    return QueryBaseline(
        query="unread_counts",
        subject="heavy_user",
        params={},
        runs=11,
        timed_out=False,
        median_ms=median,
        p90_ms=p90,
        min_ms=median * 0.98,
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


def test_slowdown_beyond_the_pre_spread_with_more_work_is_a_regression():
    comparison = compare_baselines(_report(_result(50.0, 55.0)), _report(_result(69.0, 75.0, buffers=111)))
    assert comparison.changes[0].slower and not comparison.go
    assert "unread_counts/heavy_user slower by 38.0%" in comparison.reasons
    sorting = _result(69.0, 75.0).model_copy(update={"sort_nodes": 1})
    assert compare_baselines(_report(_result(50.0, 55.0)), _report(sorting)).changes[0].slower
    stalled = _result(30_000.0, 30_000.0, buffers=0).model_copy(update={"timed_out": True})
    assert compare_baselines(_report(_result(50.0, 55.0)), _report(stalled)).changes[0].slower


def test_slowdown_without_more_buffers_or_sorts_is_host_noise():
    replanned = _result(69.0, 75.0, buffers=90).model_copy(update={"plan_hash": "other"})
    one_quiet_run = _result(69.0, 75.0, buffers=111).model_copy(update={"min_ms": 54.0})  # within the pre p90
    same_pages = _result(69.0, 75.0, buffers=110).model_copy(update={"plan_hash": "other"})  # +10 %: not more work
    for post in (_result(69.0, 75.0), replanned, one_quiet_run, same_pages):
        change = compare_baselines(_report(_result(50.0, 55.0)), _report(post)).changes[0]
        assert change.latency_change > 0.10 and not change.slower


def test_a_new_plan_reading_the_same_pages_is_host_noise():
    # unread_counts for the heaviest user at the ci band: an index scan replaces a 76-page seq scan of
    # conversation_users beside an unchanged hash join over every message; 1646 vs 1651 buffers
    pre = _result(65.9, 70.0, buffers=1646)
    replanned = _result(99.8, 105.0, buffers=1651).model_copy(update={"plan_hash": "other"})
    assert not compare_baselines(_report(pre), _report(replanned)).changes[0].slower


def test_sub_threshold_jitter_on_fast_queries_is_ignored():
    change = compare_baselines(_report(_result(0.02, 0.021)), _report(_result(0.04, 0.05))).changes[0]
    assert change.latency_change == 1.0 and not change.slower


def _pair(pre_ms: float, post_ms: float, query: str) -> tuple[QueryBaseline, QueryBaseline]:
    pre = _result(pre_ms, pre_ms * 1.05).model_copy(update={"query": query})
    return pre, _result(post_ms, post_ms * 1.05).model_copy(update={"query": query, "plan_hash": "post"})


def _compare(*pairs: tuple[QueryBaseline, QueryBaseline]) -> BaselineComparison:
    return compare_baselines(_report(*(p for p, _ in pairs)), _report(*(q for _, q in pairs)))


def test_go_at_exactly_the_pinned_improvement_threshold() -> None:
    comparison = _compare(_pair(100.0, 40.0, "a"), _pair(100.0, 100.0, "b"))  # (60 % + 0 %) / 2 = 30 %
    assert (comparison.min_average_improvement, comparison.max_slowdown, comparison.min_slowdown_ms) == (
        0.30,
        0.10,
        0.05,
    )
    assert comparison.average_improvement == 0.30 and comparison.go and comparison.reasons == []


def test_no_go_just_below_the_improvement_threshold() -> None:
    comparison = _compare(_pair(100.0, 40.2, "a"), _pair(100.0, 100.0, "b"))  # 29.9 %
    assert not comparison.go and comparison.reasons == ["average improvement 29.9% < 30%"]


def test_no_go_when_one_query_is_slower_beyond_the_pinned_slowdown() -> None:
    at_limit = _compare(_pair(100.0, 10.0, "a"), _pair(10.0, 11.0, "b"))  # +10 %: not slower
    assert at_limit.go and not any(c.slower for c in at_limit.changes)
    pre, post = _pair(10.0, 11.1, "b")  # +11 %, 1.1 ms, above the pre p90 (10.5), more buffers
    beyond = _compare(_pair(100.0, 10.0, "a"), (pre, post.model_copy(update={"shared_hit_blocks": 111})))
    assert beyond.average_improvement >= 0.30 and not beyond.go
    assert beyond.reasons == ["b/heavy_user slower by 11.0%"]
