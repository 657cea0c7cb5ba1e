"""Sample the shape of a production chat database into a MetricsPack: aggregates only, protected cell by cell.

``sample_shape`` runs the named queries of ``queries.py`` in read-only REPEATABLE READ transactions that share one
snapshot (one consistent database state, optionally over several connections), receives only per-cell aggregates
(about a thousand rows in all), applies optional DP noise and then disclosure control, and validates the result
against the closed MetricsPack model. It refuses to run
without the HMAC key. Nothing row-level, no identifier and no free text is ever fetched.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, LiteralString

import numpy as np
import psycopg
from psycopg import sql
from pydantic import ValidationError

from synthcore import pg
from synthcore.errors import InputError, PrivacyViolation
from synthcore.sample.disclosure import (
    DisclosurePolicy,
    DisclosureTally,
    protect_bin_sums,
    protect_percentile,
    protect_vector,
)
from synthcore.sample.keyed_ids import AnonymizationKey
from synthcore.sample.noise import EpsilonLedger
from synthcore.sample.queries import QUERIES
from synthcore.spec import metrics_pack as mp
from synthcore.spec.distribution import DEVICE_TYPES, MEDIA_TYPES, MESSAGE_TYPES

log = logging.getLogger(__name__)

APPLICATION_NAME = "synthcore-sample"
STATEMENT_TIMEOUT_MS = 30 * 60 * 1000
"""One query may run 30 min: the largest (inter-arrival, a sort of the window's messages) takes minutes at 100M."""
WORK_MEM = "256MB"
"""Per sort/hash node; lets the per-sender aggregates stay in memory on a production-sized server."""
HISTOGRAM_SENSITIVITY = 2
"""One row moves one item from one bin to another: L1 change of at most 2."""
MAX_PARALLEL = 16
"""Connections the sampler may hold on the production database at once."""
UNBOUNDED = 0
"""Sensitivity marker of a sum one row can change without bound: withheld under DP."""

Cells = dict[tuple[str, str, str, int], tuple[float, int | None]]


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


@dataclass(frozen=True)
class _Release:
    """One count vector of the pack before protection: its dotted path, labels (None: a histogram) and cells."""

    path: str
    labels: tuple[str, ...] | None
    counts: np.ndarray
    users: np.ndarray
    sensitivity: int
    items_path: str = ""
    """For a vector of per-bin sums: the path of the matching per-bin item counts (for the dominance rule)."""

    @property
    def name(self) -> str:
        """The path, with the label when the release is a single named cell (for the ledger)."""
        return f"{self.path}.{self.labels[0]}" if self.labels and len(self.labels) == 1 else self.path


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
    releases = _releases(cells)
    noisable = sum(r.sensitivity != UNBOUNDED for r in releases)
    ledger = EpsilonLedger(options.epsilon, noisable) if options.epsilon is not None else None
    tally = DisclosureTally()
    tree: dict[str, Any] = {}
    for release in releases:
        if ledger is None and release.sensitivity == UNBOUNDED:
            items = next(r for r in releases if r.path == release.items_path).counts
            edges = _HISTOGRAM_EDGES[release.items_path]
            published = protect_bin_sums(release.counts, items, release.users, edges, options.policy, tally)
        elif ledger is None:
            published = protect_vector(release.counts, release.users, options.policy, tally)
        elif release.sensitivity == UNBOUNDED:
            published = [None] * release.counts.size
            tally.suppressed += release.counts.size
        else:
            noised = ledger.noise(release.name, release.counts, release.sensitivity)
            published = protect_vector(noised, release.users, options.policy, tally)
        labels = release.labels
        _put(tree, release.path, published if labels is None else dict(zip(labels, published, strict=True)))
    _put_statistics(tree, cells, {r.path: r for r in releases}, options.policy, tally, dp=ledger is not None)
    tree.update(pack_version=1, window_days=options.window_days)
    tree["disclosure"] = {
        "k": options.policy.k,
        "rounding": options.policy.rounding,
        "epsilon": ledger.spent if ledger is not None else None,
    }
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
        "reader_edges": list(mp.READERS_PER_MESSAGE_EDGES),
        "delay_edges": list(mp.TIME_EDGES_S),
        "activity_edges": list(mp.ACTIVITY_EDGES),
        "username_edges": list(mp.USERNAME_LENGTH_EDGES),
        "types": list(MESSAGE_TYPES),
        "media": list(MEDIA_TYPES),
        "devices": list(DEVICE_TYPES),
        "type_mimes": [f"{media} {mime}" for media, mimes in mp.MIME_LABELS.items() for mime in mimes],
    }


_FAMILY_EDGES = {
    "messages_per_conversation": mp.MESSAGES_PER_CONVERSATION_EDGES,
    "content_length": mp.CONTENT_LENGTH_EDGES,
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


class _Reader:
    """Reads vectors out of the cells and checks that every returned cell was expected (fail closed)."""

    def __init__(self, cells: Cells) -> None:
        self.cells = cells
        self.used: set[tuple[str, str, str, int]] = set()

    def histogram(self, family: str, metric: str, size: int, label: str = "") -> tuple[np.ndarray, np.ndarray]:
        keys = [(family, metric, label, i) for i in range(size)]
        return self._take(keys)

    def named(self, family: str, pairs: Sequence[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
        return self._take([(family, metric, label, 0) for metric, label in pairs])

    def _take(self, keys: list[tuple[str, str, str, int]]) -> tuple[np.ndarray, np.ndarray]:
        self.used.update(keys)
        values = [self.cells.get(k, (0.0, 0)) for k in keys]
        return np.array([v[0] for v in values]), np.array([v[1] or 0 for v in values], dtype=np.int64)

    def check_all_used(self, ignored: set[str]) -> None:
        unexpected = sorted(k for k in self.cells if k not in self.used and k[1] not in ignored)
        if unexpected:
            shown = ", ".join(f"{f}.{m}[{b}]" for f, m, _, b in unexpected[:5])
            raise PrivacyViolation(f"sampler queries returned {len(unexpected)} cells outside the pack layout: {shown}")


_STATISTIC_METRICS = {"percentile", "cv_sum_sq", "cv_gaps"}


def _releases(cells: Cells) -> list[_Release]:
    """Every count vector of the pack, read from the cells in pack order."""
    read = _Reader(cells)
    out: list[_Release] = []

    def named(path: str, family: str, pairs: Sequence[tuple[str, str]], labels: Sequence[str]) -> None:
        counts, users = read.named(family, pairs)
        out.append(_Release(path, tuple(labels), counts, users, len(labels)))

    def hist(path: str, family: str, metric: str, edges: tuple[float, ...], label: str = "") -> None:
        counts, users = read.histogram(family, metric, len(edges), label)
        out.append(_Release(path, None, counts, users, HISTOGRAM_SENSITIVITY))

    entity_names = list(mp.EntityCounts.model_fields)
    named("entities", "entities", [(n, "") for n in entity_names], entity_names)
    kinds = list(mp.ConversationKinds.model_fields)
    named("conversations.kinds", "conversations", [("kind", k) for k in kinds], kinds)
    hist("conversations.group_members.counts", "conversations", "group_members", mp.GROUP_MEMBER_EDGES)
    counts, users = read.named("conversations", [("active_group_memberships", ""), ("inactive_group_memberships", "")])
    # Distinct users of the union are at least the larger of the two parts: a sound lower bound for the k check.
    total = _Release("conversations", ("group_memberships",), counts.sum(keepdims=True), users.max(keepdims=True), 1)
    out.append(total)
    out.append(_Release("conversations", ("inactive_group_memberships",), counts[1:], users[1:], 1))
    per_conv = "messages.per_conversation"
    edges = mp.MESSAGES_PER_CONVERSATION_EDGES
    hist(f"{per_conv}.conversations.counts", "messages_per_conversation", "conversations", edges)
    counts, users = read.histogram("messages_per_conversation", "messages", len(edges))
    out.append(
        _Release(f"{per_conv}.messages.counts", None, counts, users, UNBOUNDED, f"{per_conv}.conversations.counts")
    )
    named("messages.types", "message_types", [("type", t) for t in MESSAGE_TYPES], MESSAGE_TYPES)
    flags = list(mp.MessageFlags.model_fields)
    named("messages.flags", "message_types", [("flag", f) for f in flags], flags)
    hist("messages.content_length.histogram.counts", "content_length", "length", mp.CONTENT_LENGTH_EDGES)
    named("messages.content_length", "content_length", [("empty", "")], ["empty"])
    hist("timing.hour_of_day", "hour_and_weekday", "hour", tuple(range(mp.HOURS)))
    hist("timing.day_of_week", "hour_and_weekday", "weekday", tuple(range(mp.WEEKDAYS)))
    hist("timing.interarrival.counts", "interarrival", "gap", mp.TIME_EDGES_S)
    direct = [("direct", "messages"), ("direct", "read")]
    named("read_receipts", "read_receipts", direct, ["direct_messages", "direct_messages_read"])
    hist("read_receipts.group_readers.counts", "read_receipts", "group_readers", mp.READERS_PER_MESSAGE_EDGES)
    hist("read_receipts.delay.counts", "read_receipts", "delay", mp.TIME_EDGES_S)
    buckets = list(mp.ReadDelayBuckets.model_fields)
    named("read_receipts.delay_buckets", "read_receipts", [("delay_bucket", b) for b in buckets], buckets)
    named("attachments.types", "attachments", [("type", t) for t in MEDIA_TYPES], MEDIA_TYPES)
    for media, labels in mp.MIME_LABELS.items():
        named(f"attachments.mime_types.{media}", "attachments", [(f"mime:{media}", m) for m in labels], labels)
        hist(f"attachments.size_bytes.{media}.counts", "attachments", f"size:{media}", mp.SIZE_BYTES_EDGES)
    for metric in ("messages_sent", "conversations_joined"):
        hist(f"users.{metric}.counts", "users", metric, mp.ACTIVITY_EDGES)
    hist("users.username_length.counts", "users", "username_length", mp.USERNAME_LENGTH_EDGES)
    profile = list(mp.ProfileCounts.model_fields)
    named("users.profile", "users", [("profile", p) for p in profile], profile)
    devices = list(mp.DeviceMixCounts.model_fields)
    named("users.devices", "users", [("device", d) for d in devices], devices)
    read.check_all_used(_STATISTIC_METRICS)
    return out


def _put(tree: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at the dotted ``path`` of ``tree``; a dict value is merged into what is there."""
    *parents, last = path.split(".")
    node = tree
    for part in parents:
        node = node.setdefault(part, {})
    if isinstance(value, dict):
        node.setdefault(last, {}).update(value)
    else:
        node[last] = value


def _put_statistics(
    tree: dict[str, Any],
    cells: Cells,
    releases: dict[str, _Release],
    policy: DisclosurePolicy,
    tally: DisclosureTally,
    *,
    dp: bool,
) -> None:
    """Add percentiles and burstiness; all null under DP (they are not noised)."""
    for path, family, histogram in (
        ("messages.per_conversation", "messages_per_conversation", "messages.per_conversation.conversations.counts"),
        ("messages.content_length", "content_length", "messages.content_length.histogram.counts"),
    ):
        users = releases[histogram].users
        edges = _HISTOGRAM_EDGES[histogram]
        values = {}
        for i, name in enumerate(mp.PERCENTILES):
            raw = None if dp else cells.get((family, "percentile", "", i), (None, None))[0]
            values[name] = protect_percentile(raw, users, edges, policy, tally)
        _put(tree, f"{path}.percentiles", values)
    sum_sq, users_sq = cells.get(("interarrival", "cv_sum_sq", "", 0), (0.0, 0))
    gaps, _ = cells.get(("interarrival", "cv_gaps", "", 0), (0.0, 0))
    cv = None
    if not dp and gaps > 0 and (users_sq or 0) >= policy.k:
        cv = mp.round_significant(min(math.sqrt(sum_sq / gaps), mp.MAX_STAT))
    _put(tree, "timing", {"burstiness_cv": cv})


_HISTOGRAM_EDGES = {
    "messages.per_conversation.conversations.counts": mp.MESSAGES_PER_CONVERSATION_EDGES,
    "messages.content_length.histogram.counts": mp.CONTENT_LENGTH_EDGES,
}
