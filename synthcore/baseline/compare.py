"""Compare a pre and a post baseline (before/after specs/indexes/phase-2.sql) and decide GO or NO-GO.

Per (query, subject): median latency and shared-buffer change, Sort nodes eliminated, indexes newly used, plan change.
A timed-out query counts with the timeout as its latency, so its improvement is a lower bound (buffers unknown: 0).
GO needs an average latency improvement of at least ``min_average_improvement`` and no query slower by more than
``max_slowdown`` (relative) *and* ``min_slowdown_ms`` (absolute, so sub-millisecond jitter on fast queries is not a
regression) *and* beyond the pre run's own spread (even the fastest post run above the pre p90: load on the host only
adds time, so the minimum is the most robust estimate) *and* with more work to show for it
(shared-buffer accesses up by more than ``max_slowdown``, or more Sort nodes: the deterministic counters of notes
§4.3). Buffer accesses count every page a plan touches, repeated visits included, so a worse plan shows them; a
query reading about the same pages (the same plan, or an index scan replacing a small seq scan beside an unchanged
hash join) is not slower, only timed on a busier machine, so load on the host cannot flip the verdict. A query that
times out only after the change is always slower.
"""

from __future__ import annotations

import numpy as np

from synthcore.errors import InputError
from synthcore.spec.database import BaselineComparison, BaselineReport, QueryBaseline, QueryChange

MIN_AVERAGE_IMPROVEMENT = 0.30
MAX_SLOWDOWN = 0.10
MIN_SLOWDOWN_MS = 0.05


def _buffers(result: QueryBaseline) -> int:
    return result.shared_hit_blocks + result.shared_read_blocks


def _change(pre: QueryBaseline, post: QueryBaseline, max_slowdown: float, min_slowdown_ms: float) -> QueryChange:
    latency = (post.median_ms - pre.median_ms) / pre.median_ms if pre.median_ms > 0 else 0.0
    pre_buf, post_buf = _buffers(pre), _buffers(post)
    return QueryChange(
        query=pre.query,
        subject=pre.subject,
        pre_median_ms=pre.median_ms,
        post_median_ms=post.median_ms,
        pre_timed_out=pre.timed_out,
        post_timed_out=post.timed_out,
        latency_change=round(latency, 4),
        pre_buffers=pre_buf,
        post_buffers=post_buf,
        buffers_change=round((post_buf - pre_buf) / pre_buf, 4) if pre_buf else 0.0,
        sorts_eliminated=max(0, pre.sort_nodes - post.sort_nodes),
        indexes_adopted=sorted(set(post.index_names) - set(pre.index_names)),
        plan_changed=pre.plan_hash != post.plan_hash,
        slower=(post.timed_out and not pre.timed_out)
        or (
            latency > max_slowdown
            and post.median_ms - pre.median_ms > min_slowdown_ms
            and post.min_ms > pre.p90_ms
            and (post_buf > pre_buf * (1 + max_slowdown) or post.sort_nodes > pre.sort_nodes)
        ),
    )


def compare_baselines(
    pre: BaselineReport,
    post: BaselineReport,
    *,
    min_average_improvement: float = MIN_AVERAGE_IMPROVEMENT,
    max_slowdown: float = MAX_SLOWDOWN,
    min_slowdown_ms: float = MIN_SLOWDOWN_MS,
) -> BaselineComparison:
    """Pair every (query, subject) of ``pre`` with ``post`` and apply the GO/NO-GO thresholds.

    Raises:
        InputError: the two baselines do not measure the same (query, subject) pairs.
    """
    before = {(r.query, r.subject): r for r in pre.results}
    after = {(r.query, r.subject): r for r in post.results}
    if before.keys() != after.keys():
        differ = sorted(before.keys() ^ after.keys())
        raise InputError(f"baselines measure different queries; unmatched (query, subject): {differ}")
    changes = [_change(before[k], after[k], max_slowdown, min_slowdown_ms) for k in before]
    average = float(np.mean([-c.latency_change for c in changes])) if changes else 0.0
    reasons = []
    if average < min_average_improvement:
        reasons.append(f"average improvement {average:.1%} < {min_average_improvement:.0%}")
    reasons += [f"{c.query}/{c.subject} slower by {c.latency_change:.1%}" for c in changes if c.slower]
    return BaselineComparison(
        min_average_improvement=min_average_improvement,
        max_slowdown=max_slowdown,
        min_slowdown_ms=min_slowdown_ms,
        average_improvement=round(average, 4),
        go=not reasons,
        reasons=reasons,
        changes=changes,
    )


def _ms(value: float, timed_out: bool) -> str:
    return f"≥{value:.0f} (timeout)" if timed_out else f"{value:.3f}"


def comparison_markdown(comparison: BaselineComparison) -> str:
    """A Markdown table of the comparison and its decision, for people."""
    lines = [
        "| query | subject | pre ms | post ms | latency | pre buffers | post buffers | buffers | sorts removed"
        " | indexes adopted |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for c in comparison.changes:
        lines.append(
            f"| {c.query} | {c.subject} | {_ms(c.pre_median_ms, c.pre_timed_out)}"
            f" | {_ms(c.post_median_ms, c.post_timed_out)} | {c.latency_change:+.1%}"
            f" | {c.pre_buffers:,} | {c.post_buffers:,} | {c.buffers_change:+.1%} | {c.sorts_eliminated}"
            f" | {', '.join(c.indexes_adopted) or '-'} |"
        )
    decision = "GO" if comparison.go else "NO-GO: " + "; ".join(comparison.reasons)
    lines += [
        "",
        f"Average latency improvement {comparison.average_improvement:.1%} (threshold"
        f" ≥{comparison.min_average_improvement:.0%}; no query more than {comparison.max_slowdown:.0%} and"
        f" {comparison.min_slowdown_ms} ms slower, fastest post run beyond the pre p90, with more buffers or sorts)."
        f" Decision: **{decision}**",
    ]
    return "\n".join(lines) + "\n"
