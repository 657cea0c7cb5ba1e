"""A valid MetricsPack as plain JSON data, for tests that mutate it."""

from __future__ import annotations

import typing
from typing import Any

from synthcore.spec import metrics_pack as mp


def _cells(n: int, value: int | None = 20) -> list[int | None]:
    return [value] * n


def valid_pack_data(cell: int | None = 20) -> dict[str, Any]:
    """Every cell set to ``cell`` (a multiple of 5 or None), every float a short round number."""

    def hist(model: type[mp.BinnedCounts]) -> dict[str, Any]:
        return {"counts": _cells(len(model.EDGES), cell)}

    def named(model: type[mp.StrictModel]) -> dict[str, Any]:
        return dict.fromkeys(model.model_fields, cell)

    percentiles = {"p50": 12.5, "p90": 130.0, "p99": None}
    return {
        "pack_version": 1,
        "window_days": 30,
        "disclosure": {"k": 11, "rounding": 5, "epsilon": None},
        "entities": named(mp.EntityCounts),
        "conversations": {
            "kinds": named(mp.ConversationKinds),
            "group_members": hist(mp.GroupMembersHistogram),
            "group_memberships": cell,
            "inactive_group_memberships": cell,
        },
        "messages": {
            "per_conversation": {
                "conversations": hist(mp.MessagesPerConversationBins),
                "messages": hist(mp.MessagesPerConversationBins),
                "percentiles": percentiles,
            },
            "types": named(mp.MessageTypes),
            "flags": named(mp.MessageFlags),
            "content_length": {"histogram": hist(mp.ContentLengthHistogram), "percentiles": percentiles, "empty": cell},
        },
        "timing": {
            "hour_of_day": _cells(mp.HOURS, cell),
            "day_of_week": _cells(mp.WEEKDAYS, cell),
            "interarrival": hist(mp.TimeHistogram),
            "gaps_by_size": {name: hist(mp.TimeHistogram) for name in mp.GAP_SIZE_CLASS_FIELDS},
            "sessions_per_conversation": hist(mp.SessionsHistogram),
            "active_span": hist(mp.TimeHistogram),
            "burstiness_cv": 2.35,
        },
        "read_receipts": {
            "direct_messages": cell,
            "direct_messages_read": cell,
            "group_readers": hist(mp.ReadersHistogram),
            "delay": hist(mp.TimeHistogram),
            "delay_buckets": named(mp.ReadDelayBuckets),
        },
        "attachments": {
            "types": named(mp.AttachmentTypes),
            "mime_types": {media: dict.fromkeys(labels, cell) for media, labels in mp.MIME_LABELS.items()},
            "size_bytes": {media: hist(mp.SizeHistogram) for media in mp.MIME_LABELS},
        },
        "users": {
            "messages_sent": hist(mp.ActivityHistogram),
            "conversations_joined": hist(mp.ActivityHistogram),
            "username_length": hist(mp.UsernameLengthHistogram),
            "profile": named(mp.ProfileCounts),
            "devices": named(mp.DeviceMixCounts),
        },
    }


def mime_literals() -> dict[str, tuple[str, ...]]:
    """The MIME labels the MimeMix model accepts, per media type (read from its annotations)."""
    out = {}
    for media, field in mp.MimeMix.model_fields.items():
        key_type = typing.get_args(field.annotation)[0]
        out[media] = typing.get_args(key_type)
    return out
