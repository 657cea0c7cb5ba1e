"""Report models of the database stages: load receipts and run records, integrity, warm-up and baselines."""

from __future__ import annotations

from typing import Literal

from synthcore.spec.bands import Counts
from synthcore.spec.base import StrictModel


class TableLoad(StrictModel):
    """What one load invocation did to one table: chunks copied and skipped (already in the ledger)."""

    rows: int
    bytes: int
    seconds: float
    chunks_loaded: list[int]
    chunks_skipped: list[int]


class LoadReceipt(StrictModel):
    """Outcome of one ``load`` invocation (all chunks, one chunk, or the finalize step)."""

    schema_name: str
    scope: str
    created_schema: bool
    tables: dict[str, TableLoad]
    finalized: bool
    finalize_seconds: float
    seconds: float


class RunRecord(StrictModel):
    """Who loaded what, when and how it went; written beside the teardown script of the run."""

    status: Literal["succeeded", "failed"]
    error: str | None
    user: str
    host: str
    target: str
    schema_name: str
    started_at: str
    finished_at: str
    band: str
    seed: str
    spec_sha256: str
    counts: Counts
    receipt: LoadReceipt | None


class CheckResult(StrictModel):
    """One integrity check: what it expects, what it saw, a sample of offending keys, and how it was proven.

    ``method`` is ``constraint`` when a validated constraint of the schema (named in ``proof``) guarantees the check
    for every row, ``sql`` when a query counted the offenders (``proof`` names the scan and, in the default mode,
    why no constraint could prove it).
    """

    name: str
    description: str
    expectation: str
    observed: int
    expected: int
    passed: bool
    sample: list[str]
    method: Literal["constraint", "sql"]
    proof: str


class IntegrityReport(StrictModel):
    """Every integrity check run against one loaded schema.

    ``mode`` is ``constraints`` (checks a validated constraint proves are not re-scanned) or ``full`` (every check
    runs in SQL).
    """

    schema_name: str
    mode: Literal["constraints", "full"]
    passed: bool
    failed: list[str]
    checks: list[CheckResult]
    seconds: float


class RelationWarmth(StrictModel):
    """One table or index: its size and whether pg_prewarm loaded it."""

    name: str
    kind: Literal["table", "index"]
    size_bytes: int
    prewarmed_blocks: int
    seconds: float


class WarmReport(StrictModel):
    """VACUUM (ANALYZE) and pg_prewarm of one schema."""

    schema_name: str
    prewarm_available: bool
    shared_buffers_bytes: int
    relations: list[RelationWarmth]
    vacuum_seconds: float
    prewarm_seconds: float


class QueryBaseline(StrictModel):
    """Repeated EXPLAIN ANALYZE of one catalog query with one subject's parameters."""

    query: str
    subject: str
    params: dict[str, str]
    runs: int
    timed_out: bool
    median_ms: float
    p90_ms: float
    min_ms: float
    planning_median_ms: float
    shared_hit_blocks: int
    shared_read_blocks: int
    rows: int
    node_types: list[str]
    sort_nodes: int
    scans: list[str]
    index_names: list[str]
    plan_hash: str
    plan: dict[str, object]


# Defaults of a baseline capture (synthcore.baseline.explain): at most this many measured runs per (query, subject),
# warm-ups before them, and the statement timeout. A hot-path chat query is measured in milliseconds: one that needs
# 10 s is broken whatever its exact time, and the comparison reads it as ">= 10 s" (its improvement a lower bound).
BASELINE_RUNS = 11
BASELINE_WARMUP = 2
BASELINE_TIMEOUT_MS = 10_000


class BaselineReport(StrictModel):
    """Every catalog query measured against one schema, with the session settings fixed for the run."""

    schema_name: str
    server_version: str
    settings: dict[str, str]
    relation_bytes: dict[str, int]
    warmup_runs: int
    timeout_ms: int
    min_runs: int
    max_runs: int
    budget_ms: int
    results: list[QueryBaseline]


class QueryChange(StrictModel):
    """One (query, subject) before and after: latency and buffers, plan changes."""

    query: str
    subject: str
    pre_median_ms: float
    post_median_ms: float
    pre_timed_out: bool
    post_timed_out: bool
    latency_change: float
    pre_buffers: int
    post_buffers: int
    buffers_change: float
    sorts_eliminated: int
    indexes_adopted: list[str]
    plan_changed: bool
    slower: bool


class BaselineComparison(StrictModel):
    """Pre/post comparison with its thresholds and the GO/NO-GO decision."""

    min_average_improvement: float
    max_slowdown: float
    min_slowdown_ms: float
    average_improvement: float
    go: bool
    reasons: list[str]
    changes: list[QueryChange]
