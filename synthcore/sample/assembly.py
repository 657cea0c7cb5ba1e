"""Assemble the protected pack tree from the query cells: read each vector, noise it (optional), protect it.

The pack layout lives here: which cells of which query family fill which dotted path of the MetricsPack. Every
returned cell must be placed somewhere (a cell outside the layout fails closed), and every vector passes the
disclosure rules before it is placed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthcore.errors import PrivacyViolation
from synthcore.sample.disclosure import (
    DisclosurePolicy,
    DisclosureTally,
    protect_bin_sums,
    protect_percentile,
    protect_vector,
)
from synthcore.sample.noise import EpsilonLedger
from synthcore.spec import metrics_pack as mp
from synthcore.spec.distribution import MEDIA_TYPES, MESSAGE_TYPES

Cells = dict[tuple[str, str, str, int], tuple[float, int | None]]
"""Query output: (family, metric, label, bin) -> (count or sum, distinct users)."""
HISTOGRAM_SENSITIVITY = 2
"""One row moves one item from one bin to another: L1 change of at most 2."""
UNBOUNDED = 0
"""Sensitivity marker of a sum one row can change without bound: withheld under DP."""


def assemble_tree(
    cells: Cells, window_days: int, policy: DisclosurePolicy, epsilon: float | None
) -> tuple[dict[str, Any], DisclosureTally, EpsilonLedger | None]:
    """Build the pack as plain data from ``cells``: every vector noised (if ``epsilon``) and protected.

    Raises:
        PrivacyViolation: a cell falls outside the pack layout.
    """
    releases = _releases(cells)
    noisable = sum(r.sensitivity != UNBOUNDED for r in releases)
    ledger = EpsilonLedger(epsilon, noisable) if epsilon is not None else None
    tally = DisclosureTally()
    tree: dict[str, Any] = {}
    by_path = {r.path: r for r in releases}
    for release in releases:
        if ledger is None and release.sensitivity == UNBOUNDED:
            items = by_path[release.items_path].counts
            edges = _HISTOGRAM_EDGES[release.items_path]
            published = protect_bin_sums(release.counts, items, release.users, edges, policy, tally)
        elif ledger is None:
            published = protect_vector(release.counts, release.users, policy, tally)
        elif release.sensitivity == UNBOUNDED:
            published = [None] * release.counts.size
            tally.suppressed += release.counts.size
        else:
            noised = ledger.noise(release.name, release.counts, release.sensitivity)
            published = protect_vector(noised, release.users, policy, tally)
        labels = release.labels
        _put(tree, release.path, published if labels is None else dict(zip(labels, published, strict=True)))
    _put_statistics(tree, cells, by_path, policy, tally, dp=ledger is not None)
    tree.update(pack_version=1, window_days=window_days)
    tree["disclosure"] = {
        "k": policy.k,
        "rounding": policy.rounding,
        "epsilon": ledger.spent if ledger is not None else None,
    }
    return tree, tally, ledger


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
    named("messages.types", "messages", [("type", t) for t in MESSAGE_TYPES], MESSAGE_TYPES)
    flags = list(mp.MessageFlags.model_fields)
    named("messages.flags", "messages", [("flag", f) for f in flags], flags)
    hist("messages.content_length.histogram.counts", "messages", "length", mp.CONTENT_LENGTH_EDGES)
    named("messages.content_length", "messages", [("empty", "")], ["empty"])
    hist("timing.hour_of_day", "messages", "hour", tuple(range(mp.HOURS)))
    hist("timing.day_of_week", "messages", "weekday", tuple(range(mp.WEEKDAYS)))
    hist("timing.interarrival.counts", "interarrival", "gap", mp.TIME_EDGES_S)
    for size_class, name in enumerate(mp.GAP_SIZE_CLASS_FIELDS):
        hist(f"timing.gaps_by_size.{name}.counts", "interarrival", "gap_by_size", mp.TIME_EDGES_S, str(size_class))
    hist("timing.sessions_per_conversation.counts", "interarrival", "sessions", mp.SESSIONS_EDGES)
    hist("timing.active_span.counts", "interarrival", "active_span", mp.TIME_EDGES_S)
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
        ("messages.content_length", "messages", "messages.content_length.histogram.counts"),
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
