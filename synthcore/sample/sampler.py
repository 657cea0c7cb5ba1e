"""Sample the shape of a production chat database into a MetricsPack: aggregates only, protected cell by cell.

``sample_shape`` runs the named queries of ``queries.py`` in read-only REPEATABLE READ transactions that share one
snapshot (one consistent database state, optionally over several connections), receives only per-cell aggregates
(about a thousand rows in all), hands them to ``assembly`` for noise and disclosure control, and validates the
result against the closed MetricsPack model. It refuses to run without the HMAC key. Nothing row-level, no
identifier and no free text is ever fetched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, LiteralString

import psycopg
from psycopg import sql
from pydantic import ValidationError

from synthcore import pg
from synthcore.errors import InputError, PrivacyViolation
from synthcore.sample.assembly import Cells, assemble_tree
from synthcore.sample.disclosure import DisclosurePolicy, DisclosureTally
from synthcore.sample.keyed_ids import AnonymizationKey
from synthcore.sample.noise import EpsilonLedger, check_epsilon
from synthcore.sample.queries import QUERIES
from synthcore.spec import metrics_pack as mp
from synthcore.spec.distribution import DEVICE_TYPES, MEDIA_TYPES, MESSAGE_TYPES

log = logging.getLogger(__name__)

APPLICATION_NAME = "synthcore-sample"
STATEMENT_TIMEOUT_MS = 30 * 60 * 1000
"""One query may run 30 min: the largest (inter-arrival, a sort of the window's messages) takes minutes at 100M."""
WORK_MEM = "256MB"
"""Per sort/hash node; lets the per-sender aggregates stay in memory on a production-sized server."""
MAX_PARALLEL = 16
"""Connections the sampler may hold on the production database at once."""


@dataclass(frozen=True)
class SampleOptions:
    """What to measure and how to protect it."""

    window_days: int = 30
    window_end: datetime | None = None
    policy: DisclosurePolicy = field(default_factory=DisclosurePolicy)
    epsilon: float | None = None
    schema: str = "public"
    parallel: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.parallel <= MAX_PARALLEL:
            raise InputError(f"parallel must be between 1 and {MAX_PARALLEL} (got {self.parallel})")
        if not 1 <= self.window_days <= 3650:
            raise InputError(f"window_days must be between 1 and 3650 (got {self.window_days})")
        if self.window_end is not None and self.window_end.tzinfo is None:
            raise InputError(f"window_end must carry a time zone (got {self.window_end.isoformat()})")
        if self.epsilon is not None:
            check_epsilon(self.epsilon)  # before any query runs


@dataclass
class SampleResult:
    """The pack and the evidence of how it was made (for the manifest)."""

    pack: mp.MetricsPack
    window_start: datetime
    window_end: datetime
    tally: DisclosureTally
    ledger: EpsilonLedger | None
    query_seconds: dict[str, float]
    seconds: float


def sample_shape(conninfo: str, key: AnonymizationKey, options: SampleOptions | None = None) -> SampleResult:
    """Measure the production database at ``conninfo`` and return its protected MetricsPack.

    Args:
        conninfo: libpq connection string of the production database (only read).
        key: the HMAC key; required so that the sampler never runs unkeyed.
        options: window, disclosure policy and optional DP budget.

    Raises:
        PrivacyViolation: no key, or a query returned a label outside the fixed lists.
        InputError: bad options or the database lacks the chat schema.
    """
    if not isinstance(key, AnonymizationKey):
        raise PrivacyViolation("refusing to sample without the HMAC key")
    options = options or SampleOptions()
    started = time.perf_counter()
    end = options.window_end or datetime.now(UTC)
    start = end - timedelta(days=options.window_days)
    cells, query_seconds = _run_queries(conninfo, options.schema, _parameters(start, end), options.parallel)
    tree, tally, ledger = assemble_tree(cells, options.window_days, options.policy, options.epsilon)
    try:
        pack = mp.MetricsPack.model_validate(tree)
    except ValidationError as exc:
        raise PrivacyViolation(f"the sampled pack breaks the closed schema: {exc}") from None
    seconds = time.perf_counter() - started
    log.info("sampled %d queries in %.1f s; %d cells suppressed", len(QUERIES), seconds, tally.suppressed)
    return SampleResult(pack, start, end, tally, ledger, query_seconds, seconds)


def _parameters(start: datetime, end: datetime) -> dict[str, Any]:
    """Query parameters: the window and every fixed edge and label list (constants, never data)."""
    return {
        "start": start,
        "end": end,
        "quantiles": list(mp.PERCENTILES.values()),
        "member_edges": list(mp.GROUP_MEMBER_EDGES),
        "length_edges": list(mp.CONTENT_LENGTH_EDGES),
        "reader_edges": list(mp.READERS_PER_MESSAGE_EDGES),
        "delay_edges": list(mp.TIME_EDGES_S),
        "activity_edges": list(mp.ACTIVITY_EDGES),
        "username_edges": list(mp.USERNAME_LENGTH_EDGES),
        "size_edges": list(mp.GAP_SIZE_CLASS_EDGES),
        "session_edges": list(mp.SESSIONS_EDGES),
        "session_break": mp.SESSION_BREAK_S,
        "types": list(MESSAGE_TYPES),
        "media": list(MEDIA_TYPES),
        "devices": list(DEVICE_TYPES),
        "type_mimes": [f"{media} {mime}" for media, mimes in mp.MIME_LABELS.items() for mime in mimes],
    }


_FAMILY_EDGES = {
    "messages_per_conversation": mp.MESSAGES_PER_CONVERSATION_EDGES,
    "interarrival": mp.TIME_EDGES_S,
    "attachments": mp.SIZE_BYTES_EDGES,
}


def _run_queries(conninfo: str, schema: str, params: dict[str, Any], parallel: int) -> tuple[Cells, dict[str, float]]:
    """Run every query in one read-only snapshot of ``schema``; return the cells keyed (family, metric, label, bin).

    With ``parallel > 1`` the queries run on that many extra connections which import the snapshot of a lead
    transaction (``pg_export_snapshot``), so they still see one consistent database state.
    """
    with _snapshot_cursor(conninfo, schema, None) as lead:
        if parallel == 1:
            results = [_run_query(lead, schema, family, query, params) for family, query in QUERIES.items()]
        else:
            row = lead.execute("SELECT pg_export_snapshot()").fetchone()
            snapshot = str(row[0]) if row else ""

            def run(item: tuple[str, LiteralString]) -> tuple[list[tuple[Any, ...]], float]:
                with _snapshot_cursor(conninfo, schema, snapshot) as cur:
                    return _run_query(cur, schema, item[0], item[1], params)

            with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="sample") as pool:
                results = list(pool.map(run, QUERIES.items()))
    cells: Cells = {}
    seconds: dict[str, float] = {}
    for family, (rows, elapsed) in zip(QUERIES, results, strict=True):
        for metric, label, bin_, n, users in rows:
            cells[(family, metric, label, int(bin_))] = (float(n or 0), users)
        seconds[family] = elapsed
    return cells, seconds


@contextmanager
def _snapshot_cursor(conninfo: str, schema: str, snapshot: str | None) -> Iterator[psycopg.Cursor[Any]]:
    """A cursor in a read-only REPEATABLE READ transaction on ``schema``, importing ``snapshot`` when given."""
    conn = pg.connect(
        conninfo, application_name=APPLICATION_NAME, readonly=True, statement_timeout_ms=STATEMENT_TIMEOUT_MS
    )
    try:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction(force_rollback=True), conn.cursor() as cur:
            if snapshot:
                cur.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
            cur.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            cur.execute(sql.SQL("SET LOCAL search_path = {}").format(sql.Identifier(schema)))
            yield cur
    finally:
        conn.close()


def _run_query(
    cur: psycopg.Cursor[Any], schema: str, family: str, query: LiteralString, params: dict[str, Any]
) -> tuple[list[tuple[Any, ...]], float]:
    """Run one family's query; return its (few) aggregate rows and the seconds it took."""
    started = time.perf_counter()
    try:
        cur.execute(query, {**params, "edges": list(_FAMILY_EDGES.get(family, ()))})
    except psycopg.errors.UndefinedTable as exc:
        raise InputError(f"schema {schema!r} has no chat tables (specs/schema.sql): {exc}") from None
    rows = cur.fetchall()
    elapsed = time.perf_counter() - started
    log.debug("query %s: %.2f s", family, elapsed)
    return rows, elapsed
