"""Capture EXPLAIN (ANALYZE, BUFFERS, SETTINGS, FORMAT JSON) baselines of the query catalog.

Each (query, subject) runs up to ``warmup`` discarded times, then measured times within a time budget (see
``Repetitions``: many runs for fast queries, few for slow ones) on one read-only connection with session settings
fixed (JIT off, no parallel workers: both change timings and plan shapes run to run, notes §4.2) and recorded.
Reported: median and p90 execution time, planning time, shared buffers, plan shape (node types, Sort nodes,
scans with their index names) and a plan-shape hash over node types, relations, indexes, sort keys and join structure
(no costs, timings or row counts). A run longer than ``timeout_ms`` is cancelled: the query is reported as timed out
with the timeout as its latency (a lower bound) and the plan of a plain EXPLAIN, so a pre-index nested seq scan
cannot stall the baseline.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from synthcore.baseline.catalog import Catalog, CatalogQuery, load_catalog
from synthcore.errors import InputError
from synthcore.load.ownership import require_owned
from synthcore.names import validate_schema_name
from synthcore.pg import connect
from synthcore.spec.database import (
    BASELINE_RUNS,
    BASELINE_TIMEOUT_MS,
    BASELINE_WARMUP,
    BaselineReport,
    QueryBaseline,
)
from synthcore.spec.tables import TABLES

APPLICATION_NAME = "synthcore-baseline"
MAX_RUNS = 1_000
MAX_TIMEOUT_MS = 2**31 - 1  # PostgreSQL's statement_timeout is a 32-bit count of milliseconds
SESSION_SETTINGS = {
    "jit": "off",
    "max_parallel_workers_per_gather": "0",
    "track_io_timing": "on",
}
RECORDED_SETTINGS = ("shared_buffers", "work_mem", "effective_cache_size", "random_page_cost", "server_version")
SHAPE_KEYS = (
    "Node Type",
    "Relation Name",
    "Index Name",
    "Sort Key",
    "Parent Relationship",
    "Strategy",
    "Join Type",
    "Scan Direction",
    "Partial Mode",
)
EXPLAIN = "EXPLAIN (ANALYZE, BUFFERS, SETTINGS, FORMAT JSON) "
EXPLAIN_ONLY = "EXPLAIN (SETTINGS, FORMAT JSON) "
SIZES_SQL = """
SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c
LEFT JOIN pg_index i ON i.indexrelid = c.oid
JOIN pg_class t ON t.oid = coalesce(i.indrelid, c.oid)
WHERE c.relnamespace = to_regnamespace(%(schema)s) AND c.relkind IN ('r', 'i') AND t.relname = ANY(%(tables)s)
ORDER BY 1
"""


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every plan node, depth first."""
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _shape(plan: dict[str, Any]) -> dict[str, Any]:
    kept = {k: plan[k] for k in SHAPE_KEYS if k in plan}
    return {**kept, "Plans": [_shape(p) for p in plan.get("Plans", [])]}


def plan_hash(plan: dict[str, Any]) -> str:
    """16 hex digits identifying the plan's shape (equal shapes hash equal whatever the timings)."""
    canonical = json.dumps(_shape(plan), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _scan(node: dict[str, Any]) -> str:
    index = f" using {node['Index Name']}" if "Index Name" in node else ""
    return f"{node['Node Type']} on {node['Relation Name']}{index}"


def _as_text(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime | date) else str(value)


def _pick(conn: psycopg.Connection, name: str, picker: str) -> dict[str, Any]:
    """Run one subject picker; its single row becomes the parameters.

    Raises:
        InputError: the picker found nothing (an empty schema).
    """
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        row = cur.execute(picker).fetchone()
    if row is None or any(v is None for v in row.values()):
        raise InputError(f"subject {name!r} found no representative values: is the schema loaded?")
    return row


@dataclass(frozen=True)
class Repetitions:
    """How often one (query, subject) runs: warm-ups, then measured runs, within one time budget for both.

    Warm-ups stop early once they took a quarter of the budget (a slow query warms its cache in one run). Measured
    runs continue until ``max_runs``, or until ``min_runs`` are in and the warm-ups and runs together reached
    ``budget_ms``: fast queries get many runs for a stable median, slow ones a few, one run longer than the whole
    budget stands alone, and a timed-out one is a single cancelled run.
    """

    warmup: int
    min_runs: int
    max_runs: int
    budget_ms: float

    def warming(self, warmed: int, warming_ms: float) -> bool:
        """Whether the next run is a warm-up, after ``warmed`` of them that took ``warming_ms``."""
        return warmed < self.warmup and warming_ms < self.budget_ms / 4

    def more(self, execution: list[float], warming_ms: float) -> bool:
        """Whether another measured run is due after runs that took ``execution`` ms each and warm-ups in total."""
        runs = len(execution)
        if runs and max(execution) >= self.budget_ms:
            return False  # one run longer than the whole budget: more runs only repeat a large effect
        spent = warming_ms + sum(execution)
        return runs < self.max_runs and (runs < self.min_runs or spent < self.budget_ms)


def _measure(
    conn: psycopg.Connection,
    query: CatalogQuery,
    subject: str,
    params: dict[str, Any],
    repetitions: Repetitions,
    timeout_ms: int,
) -> QueryBaseline:
    missing = [p for p in query.params if p not in params]
    if missing:
        raise InputError(f"query {query.name!r}: subject {subject!r} does not supply {missing}")
    cur = psycopg.ClientCursor(conn)  # literal parameters: the planner sees values, as with custom plans
    execution: list[float] = []
    planning: list[float] = []
    warmed, warming_ms = 0, 0.0
    plan: dict[str, Any] = {}
    timed_out = False
    while (warming := repetitions.warming(warmed, warming_ms)) or repetitions.more(execution, warming_ms):
        try:
            row = cur.execute(EXPLAIN + query.sql, params).fetchone()
        except psycopg.errors.QueryCanceled:
            timed_out = True  # recorded once as ">= timeout", never re-run
            break
        result = (row[0] if row else [{}])[0]
        if warming:
            warmed, warming_ms = warmed + 1, warming_ms + float(result["Execution Time"])
            continue
        execution.append(float(result["Execution Time"]))
        planning.append(float(result["Planning Time"]))
        plan = result["Plan"]
    if timed_out:
        row = cur.execute(EXPLAIN_ONLY + query.sql, params).fetchone()
        plan = (row[0] if row else [{}])[0]["Plan"]
        execution, planning = [float(timeout_ms)], [0.0]
    nodes = list(_nodes(plan))
    return QueryBaseline(
        query=query.name,
        subject=subject,
        params={k: _as_text(params[k]) for k in query.params},
        runs=0 if timed_out else len(execution),
        timed_out=timed_out,
        median_ms=round(float(np.median(execution)), 4),
        p90_ms=round(float(np.percentile(execution, 90)), 4),
        min_ms=round(float(np.min(execution)), 4),
        planning_median_ms=round(float(np.median(planning)), 4),
        shared_hit_blocks=int(plan.get("Shared Hit Blocks", 0)),
        shared_read_blocks=int(plan.get("Shared Read Blocks", 0)),
        rows=int(plan.get("Actual Rows", 0)),
        node_types=[n["Node Type"] for n in nodes],
        sort_nodes=sum(n["Node Type"] in ("Sort", "Incremental Sort") for n in nodes),
        scans=[_scan(n) for n in nodes if "Relation Name" in n],
        index_names=sorted({n["Index Name"] for n in nodes if "Index Name" in n}),
        plan_hash=plan_hash(plan),
        plan=plan,
    )


def capture_baseline(
    conninfo: str,
    schema: str,
    *,
    runs: int = BASELINE_RUNS,
    warmup: int = BASELINE_WARMUP,
    timeout_ms: int = BASELINE_TIMEOUT_MS,
    min_runs: int = 2,
    budget_ms: int = 2_000,
    catalog: Catalog | None = None,
) -> BaselineReport:
    """Measure every catalog query with every one of its subjects against ``schema``.

    Args:
        conninfo: the database holding the run schema.
        schema: a schema created by ``synthcore load``.
        runs: at most this many measured runs per (query, subject).
        warmup: discarded runs first (fewer when they take a quarter of the budget).
        timeout_ms: statement timeout of a run; a cancelled run is recorded once as timed out.
        min_runs: at least this many measured runs (at most ``runs``; fewer when the query times out or one run
            takes the whole budget).
        budget_ms: after ``min_runs``, stop once the warm-ups' and measured runs' execution time reaches this.
        catalog: the queries and subject pickers; specs/queries/ when None.

    Raises:
        InputError: ``runs``, ``warmup``, ``min_runs``, ``budget_ms`` or ``timeout_ms`` out of range, or the schema
            is unsafe, missing, not synthcore's, or empty.
    """
    validate_schema_name(schema)
    if not (1 <= runs <= MAX_RUNS and 0 <= warmup <= MAX_RUNS and 1 <= timeout_ms <= MAX_TIMEOUT_MS):
        raise InputError(
            f"--runs must be at least 1 and warm-up runs at least 0, both at most {MAX_RUNS}, and --timeout-ms"
            f" 1..{MAX_TIMEOUT_MS} (got {runs}, {warmup}, {timeout_ms})"
        )
    if min_runs < 1 or budget_ms < 0:
        raise InputError(f"min_runs must be at least 1 and the budget at least 0 ms (got {min_runs}, {budget_ms})")
    repetitions = Repetitions(warmup, min(min_runs, runs), runs, float(budget_ms))
    catalog = catalog or load_catalog()
    with connect(
        conninfo, application_name=APPLICATION_NAME, readonly=True, autocommit=True, statement_timeout_ms=timeout_ms
    ) as conn:
        require_owned(conn, schema)
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        for name, value in SESSION_SETTINGS.items():
            conn.execute("SELECT set_config(%s, %s, false)", [name, value])
        settings = {
            n: str(conn.execute("SELECT current_setting(%s)", [n]).fetchone()[0])  # type: ignore[index]
            for n in (*SESSION_SETTINGS, *RECORDED_SETTINGS)
        }
        sizes: dict[str, int] = dict(conn.execute(SIZES_SQL, {"schema": schema, "tables": list(TABLES)}).fetchall())
        needed = {s for q in catalog.queries for s in q.subjects}
        conn.execute("SET statement_timeout = 0")  # pickers scan whole tables; the timeout is for measured queries
        params = {s: _pick(conn, s, catalog.subjects[s]) for s in sorted(needed)}
        conn.execute("SELECT set_config('statement_timeout', %s, false)", [str(timeout_ms)])
        results = [
            _measure(conn, q, s, params[s], repetitions, timeout_ms) for q in catalog.queries for s in q.subjects
        ]
    return BaselineReport(
        schema_name=schema,
        server_version=settings["server_version"],
        settings=settings,
        relation_bytes={k: int(v) for k, v in sizes.items()},
        warmup_runs=warmup,
        timeout_ms=timeout_ms,
        min_runs=repetitions.min_runs,
        max_runs=runs,
        budget_ms=budget_ms,
        results=results,
    )
