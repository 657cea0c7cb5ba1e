"""Baselines against a real loaded schema: capture, phase-2 indexes, compare with GO/NO-GO, timeouts, CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SCHEMA

from synthcore.artifacts import write_json_atomic
from synthcore.baseline import capture_baseline, compare_baselines, comparison_markdown
from synthcore.baseline.catalog import Catalog, CatalogQuery
from synthcore.baseline.indexes import apply_index_file
from synthcore.errors import InputError
from synthcore.load.warm import warm_schema
from synthcore.spec.io import SPECS_DIR

SYNTHCORE = str(Path(sys.executable).with_name("synthcore"))
PHASE_2 = SPECS_DIR / "indexes" / "phase-2.sql"


def test_pre_post_baselines_and_go(loaded: str, tmp_path: Path) -> None:
    warm_schema(loaded, SCHEMA)
    pre = capture_baseline(loaded, SCHEMA, runs=3, warmup=1)
    assert len(pre.results) == 12
    assert pre.settings["jit"] == "off" and pre.settings["max_parallel_workers_per_gather"] == "0"
    assert pre.relation_bytes["messages"] > 0 and "messages_pkey" in pre.relation_bytes
    history = {r.subject: r for r in pre.results if r.query == "message_history_page"}
    heavy = history["heavy_room"]
    assert heavy.runs == 3 and not heavy.timed_out and 0 < heavy.median_ms <= heavy.p90_ms
    assert heavy.rows == 50 and heavy.sort_nodes == 1 and heavy.scans == ["Seq Scan on messages"]
    assert set(heavy.params) == {"conversation_id"}

    assert apply_index_file(loaded, SCHEMA, PHASE_2) > 0
    post = capture_baseline(loaded, SCHEMA, runs=3, warmup=1)
    after = {(r.query, r.subject): r for r in post.results}[("message_history_page", "heavy_room")]
    assert after.params == heavy.params  # the same representative values are picked again
    assert after.scans == ["Index Scan on messages using messages_conversationId_createdAt_idx"]
    assert after.sort_nodes == 0 and after.plan_hash != heavy.plan_hash

    comparison = compare_baselines(pre, post)
    change = {(c.query, c.subject): c for c in comparison.changes}[("message_history_page", "heavy_room")]
    assert change.sorts_eliminated == 1 and change.indexes_adopted == ["messages_conversationId_createdAt_idx"]
    assert change.post_buffers < change.pre_buffers and change.plan_changed
    slower = [c for c in comparison.changes if c.slower]
    assert comparison.go == (comparison.average_improvement >= 0.3 and not slower)
    assert comparison.average_improvement >= 0.3  # history pages, previews and unread counts drop ~99 %
    markdown = comparison_markdown(comparison)
    assert "| message_history_page | heavy_room |" in markdown and "Decision: **" in markdown

    backwards = compare_baselines(post, pre)
    assert not backwards.go
    assert any("slower" in r for r in backwards.reasons) and any("average improvement" in r for r in backwards.reasons)

    write_json_atomic(tmp_path / "pre.json", pre)
    write_json_atomic(tmp_path / "post.json", post)
    cmd = [SYNTHCORE, "baseline", "--compare", str(tmp_path / "post.json"), str(tmp_path / "pre.json")]
    result = subprocess.run([*cmd, "--out", str(tmp_path / "cmp.json")], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "error: baseline: NO-GO" in result.stderr
    assert "NO-GO" in (tmp_path / "cmp.md").read_text()


def test_slow_queries_time_out_instead_of_stalling(loaded: str) -> None:
    catalog = Catalog(
        queries=[
            CatalogQuery("sleepy", "Sleeps.", ("nap",), "SELECT pg_sleep(%(seconds)s)", ("seconds",)),
            CatalogQuery("quick", "Returns.", ("nap",), "SELECT %(seconds)s::float", ("seconds",)),
        ],
        subjects={"nap": "SELECT 0.5 AS seconds"},
    )
    report = capture_baseline(loaded, SCHEMA, runs=2, warmup=0, timeout_ms=100, catalog=catalog)
    sleepy, quick = report.results
    assert (sleepy.timed_out, sleepy.runs, sleepy.median_ms) == (True, 0, 100.0)
    assert sleepy.node_types == ["Result"]
    assert (quick.timed_out, quick.runs) == (False, 2)


def test_baseline_errors_are_named(loaded: str, pg_dsn: str) -> None:
    with pytest.raises(InputError, match="--runs must be at least 1"):
        capture_baseline(loaded, SCHEMA, runs=0)
    with pytest.raises(InputError, match="schema 'nope' does not exist"):
        capture_baseline(loaded, "nope")
    catalog = Catalog([CatalogQuery("q", "Q.", ("s",), "SELECT %(missing)s", ("missing",))], {"s": "SELECT 1 AS x"})
    with pytest.raises(InputError, match=r"query 'q': subject 's' does not supply \['missing'\]"):
        capture_baseline(loaded, SCHEMA, catalog=catalog)
    empty = Catalog([CatalogQuery("q", "Q.", ("s",), "SELECT 1", ())], {"s": "SELECT NULL AS x"})
    with pytest.raises(InputError, match="subject 's' found no representative values"):
        capture_baseline(loaded, SCHEMA, catalog=empty)
    pre = capture_baseline(loaded, SCHEMA, runs=1, warmup=0, catalog=Catalog(empty.queries, {"s": "SELECT 1 AS x"}))
    other = pre.model_copy(update={"results": []})
    with pytest.raises(InputError, match=r"unmatched \(query, subject\): \[\('q', 's'\)\]"):
        compare_baselines(pre, other)


def test_cli_warm_then_capture_with_indexes(loaded: str, tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "SYNTH_DSN"}
        return subprocess.run([SYNTHCORE, *args], capture_output=True, text=True, check=False, env=env)

    warm = cli("warm", "--dsn", loaded, "--schema", SCHEMA, "--runs-dir", str(tmp_path))
    assert warm.returncode == 0, warm.stderr
    assert "messages_pkey" in warm.stdout and (tmp_path / SCHEMA / "warm-report.json").exists()
    out = tmp_path / "post.json"
    args = ["--dsn", loaded, "--schema", SCHEMA, "--runs", "1", "--warmup", "0", "--out", str(out)]
    post = cli("baseline", *args, "--apply-indexes", str(PHASE_2))
    assert post.returncode == 0, post.stderr
    assert f"applied {PHASE_2}" in post.stderr and "message_history_page" in post.stdout
    assert '"messages_conversationId_createdAt_idx"' in out.read_text()
    missing = cli("baseline", "--schema", SCHEMA, "--out", str(out))
    assert missing.returncode == 2
    assert "error: --dsn, --schema and --out are required to capture a baseline" in missing.stderr


def test_five_captures_on_the_same_data_give_the_same_verdict(loaded: str) -> None:
    warm_schema(loaded, SCHEMA)
    pres = [capture_baseline(loaded, SCHEMA, budget_ms=200) for _ in range(5)]
    apply_index_file(loaded, SCHEMA, PHASE_2)
    posts = [capture_baseline(loaded, SCHEMA, budget_ms=200) for _ in range(5)]
    assert all(r.runs >= 1 and not r.timed_out for report in pres + posts for r in report.results)
    assert {r.runs for report in pres for r in report.results} != {31}  # slow pre-index scans stop at the budget
    verdicts = [compare_baselines(pre, post).go for pre, post in zip(pres, posts, strict=True)]
    reasons = [compare_baselines(pre, post).reasons for pre, post in zip(pres, posts, strict=True)]
    assert verdicts == [True] * 5, reasons
    same = [compare_baselines(posts[0], post).go for post in posts[1:]]
    assert same == [False] * 4  # the same indexes against themselves: no improvement, every time
