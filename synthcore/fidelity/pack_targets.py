"""Targets from a MetricsPack: the pack's own bins, counts, percentiles and shares, compared like for like.

Suppressed cells (``null``) become NaN: the comparison then leaves those bins out on both sides and compares the
distributions over the published bins only. Percentiles and shares the pack suppressed are listed as not checked.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from synthcore.fidelity.targets import CategoryTarget, NumericTarget, ScalarTarget, Targets
from synthcore.spec.distribution import MEDIA_TYPES
from synthcore.spec.io import model_sha256
from synthcore.spec.metrics_pack import (
    DEVICE_LABELS,
    PERCENTILES,
    SESSION_BREAK_S,
    BinnedCounts,
    MetricsPack,
    Percentiles,
    ReadDelayBuckets,
    TimeHistogram,
)
from synthcore.stats.cells import cells, share

# Conversations with at least this many messages are heavy rooms; it is an edge of the pack's message bins.
HEAVY_ROOM_MIN_MESSAGES = 10_000
DELAY_BUCKET_EDGES_S = (0.0, 30.0, 3600.0)


def _numeric(
    name: str, metric: str, hist: BinnedCounts, percentiles: Percentiles | None, not_checked: dict[str, str]
) -> NumericTarget:
    quantiles = {}
    for label, q in PERCENTILES.items():
        value = None if percentiles is None else getattr(percentiles, label)
        if value is not None:
            quantiles[q] = float(value)
        elif percentiles is not None:
            not_checked[f"{name}.{label}"] = "the pack suppressed this percentile"
    counts = cells(hist.counts)
    edges = np.asarray(hist.EDGES, dtype=np.float64)
    return NumericTarget(name, metric, edges, counts, quantiles=quantiles, units=float(np.nansum(counts)))


def _session_gaps(gaps: TimeHistogram, conversations: float) -> list[NumericTarget]:
    """The gap histogram split at the session break: gaps within sessions and gaps between them.

    Gaps cluster by conversation, so the conversations are the independent units on both sides.
    """
    edges = np.asarray(gaps.EDGES, dtype=np.float64)
    counts = cells(gaps.counts)
    within = edges < SESSION_BREAK_S
    return [
        NumericTarget(name, name, edges[keep], counts[keep], units=conversations, observed_units="conversations")
        for name, keep in (("within_session_gap_s", within), ("between_session_gap_s", ~within))
    ]


def _buckets(b: ReadDelayBuckets) -> np.ndarray:
    return cells([b.within_30s, b.within_1h, b.longer])


def heavy_share(pack: MetricsPack, min_messages: int) -> float | None:
    """Share of the window's messages in conversations with at least ``min_messages`` messages.

    None when a bin at or above the threshold is suppressed (the share is then unknown).
    """
    bins = pack.messages.per_conversation.messages
    heavy = cells(bins.counts)[np.asarray(bins.EDGES) >= min_messages]
    total = pack.entities.messages_in_window
    if np.isnan(heavy).any() or not total:
        return None
    return float(heavy.sum() / total)


def pack_targets(pack: MetricsPack, heavy_min_messages: int = HEAVY_ROOM_MIN_MESSAGES) -> Targets:
    """Everything a metrics pack says about the shape a dataset should have."""
    not_checked: dict[str, str] = {}
    m, t, r, u, a = pack.messages, pack.timing, pack.read_receipts, pack.users, pack.attachments
    conversations = float(np.nansum(cells(t.sessions_per_conversation.counts)))  # with a message in the window
    numeric = [
        _numeric(
            "messages_per_conversation",
            "messages_per_conversation",
            m.per_conversation.conversations,
            m.per_conversation.percentiles,
            not_checked,
        ),
        _numeric("group_members", "group_members", pack.conversations.group_members, None, not_checked),
        _numeric(
            "content_length", "content_length", m.content_length.histogram, m.content_length.percentiles, not_checked
        ),
        replace(
            _numeric("inter_arrival_s", "inter_arrival_s", t.interarrival, None, not_checked),
            units=conversations,
            observed_units="conversations",
        ),
        *_session_gaps(t.interarrival, conversations),
        _numeric(
            "sessions_per_conversation", "sessions_per_conversation", t.sessions_per_conversation, None, not_checked
        ),
        _numeric("active_span_s", "active_span_s", t.active_span, None, not_checked),
        _numeric("messages_per_user", "messages_per_user", u.messages_sent, None, not_checked),
        _numeric("group_readers", "group_readers", r.group_readers, None, not_checked),
        _numeric("read_delay_s", "read_delay_s", r.delay, None, not_checked),
        NumericTarget(
            "read_delay_buckets", "read_delay_s", np.asarray(DELAY_BUCKET_EDGES_S), _buckets(r.delay_buckets), stat="tv"
        ),
        _numeric("username_length", "username_length", u.username_length, None, not_checked),
        *(
            _numeric(f"size_bytes.{media}", f"size_bytes.{media}", getattr(a.size_bytes, media), None, not_checked)
            for media in MEDIA_TYPES
        ),
    ]
    kinds = pack.conversations.kinds
    types = m.types.model_dump()
    raw: dict[str, dict[str, int | None]] = {
        "conversation_kind": kinds.model_dump(),
        "message_type": types,
        "media_type": {k: v for k, v in types.items() if k != "TEXT"},
        "hour_of_day": {str(h): v for h, v in enumerate(t.hour_of_day)},
        "day_of_week": {str(d): v for d, v in enumerate(t.day_of_week)},
        "device_type": {d: getattr(u.devices, d) for d in DEVICE_LABELS},
    } | {f"mime_type.{media}": dict(getattr(a.mime_types, media)) for media in MEDIA_TYPES}
    sessions = pack.timing.sessions_per_conversation
    pack_sessions = float(np.nansum(cells(sessions.counts) * np.asarray(sessions.EDGES)))  # a lower bound
    categories = []
    for name, shares in raw.items():
        expected = {k: np.nan if v is None else float(v) for k, v in shares.items()}
        categories.append(
            CategoryTarget(
                name,
                name,
                expected,
                units={"hour_of_day": pack_sessions, "day_of_week": conversations}.get(
                    name, float(np.nansum(list(expected.values())))
                ),
                observed_units={"hour_of_day": "sessions", "day_of_week": "conversation_days"}.get(name),
            )
        )
    total_messages = pack.entities.messages_in_window
    users = pack.entities.users
    candidates = {
        "heavy_room_message_share": heavy_share(pack, heavy_min_messages),
        "read_rate": share(pack.entities.read_receipts, pack.entities.messages),
        "direct_read_rate": share(r.direct_messages_read, r.direct_messages),
        "reply_share": share(m.flags.replies, total_messages),
        "edited_share": share(m.flags.edited, total_messages),
        "deleted_share": share(m.flags.deleted, total_messages),
        **{f"profile.{f}": share(getattr(u.profile, f), users) for f in type(u.profile).model_fields},
    }
    scalars = []
    for name, value in candidates.items():
        if value is None:
            not_checked[name] = "the pack suppressed a count it needs"
            continue
        scalars.append(
            ScalarTarget(
                name,
                name,
                value,
                min_messages=heavy_min_messages if name == "heavy_room_message_share" else None,
                units=users if name.startswith("profile.") else conversations,  # production is a sample too
            )
        )
    return Targets("metrics_pack", model_sha256(pack), numeric, categories, scalars, not_checked)
