"""MetricsPack: the production shape, as a closed schema of bounded numbers and fixed labels.

Every bin edge and label is a constant of this module, never a value from the data. Counts are integers rounded
to a multiple of 5; a cell that fewer than ``k`` distinct users contribute to is published as ``null``
(suppressed). Floats (percentiles, burstiness) carry at most three significant digits, so no float can smuggle
an identifier. Histograms use lower-inclusive bins: bin ``i`` holds ``edges[i] <= x < edges[i+1]`` and the last
bin holds ``x >= edges[-1]`` (top-coded), so ``len(counts) == len(edges)``.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, model_validator

from synthcore.spec.base import StrictModel
from synthcore.spec.distribution import DEVICE_TYPES, MIME_TYPES

ROUNDING_MULTIPLE = 5
"""Every published count is a multiple of this (the sampler may round to a coarser multiple of it)."""
MAX_COUNT = 10**13
"""Upper bound of any count: far above any chat database, low enough that no 16-digit card fits."""
SIGNIFICANT_DIGITS = 3
"""Floats are rounded to this many significant digits."""
MAX_STAT = 1e12


def _log_edges(start: int, stop: int, per_decade: int) -> tuple[int, ...]:
    """Integer edges spaced ``per_decade`` per factor 10 from ``start`` up to and including ``stop``."""
    steps = math.ceil(per_decade * math.log10(stop / start))
    values = {round(start * 10 ** (i / per_decade)) for i in range(steps)} | {stop}
    return tuple(sorted(v for v in values if v <= stop))


# Heavy tails get log-spaced edges (10 per decade, ~0.23 wide in ln) so power-law and log-normal fits have
# enough resolution; small integers get one bin each so discrete distributions (geometric, DIRECT = 2) are exact.
MESSAGES_PER_CONVERSATION_EDGES = tuple(range(10)) + _log_edges(10, 10_000_000, 10)
CONTENT_LENGTH_EDGES = tuple(range(10)) + _log_edges(10, 100_000, 10)
GROUP_MEMBER_EDGES = tuple(range(21)) + _log_edges(21, 257, 20) + (512, 1024)
READERS_PER_MESSAGE_EDGES = tuple(range(11)) + _log_edges(12, 257, 10) + (512,)
ACTIVITY_EDGES = tuple(range(10)) + _log_edges(10, 10_000_000, 10)
USERNAME_LENGTH_EDGES = tuple(range(41))
SIZE_BYTES_EDGES = (0, *_log_edges(100, 10_000_000_000, 10))
# Seconds on human time scales; 30 s and 3600 s are edges so the read-delay buckets of the generator
# (fast <= 30 s, medium <= 1 h, slow) can be read off the histogram as well.
TIME_EDGES_S = (
    *(0, 1, 2, 3, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200),
    *(10_800, 14_400, 21_600, 28_800, 43_200, 86_400, 172_800, 259_200, 604_800, 1_209_600, 2_592_000),
    *(5_184_000, 7_776_000, 15_552_000, 31_536_000),
)
# Conversations are split by size (messages in the window) for their gap histograms: the gaps of busy rooms are
# shorter than those of small conversations, and a generator drawing from one pooled histogram would mix them up.
GAP_SIZE_CLASS_EDGES = (2, 10, 100, 1000, 10_000)
SMALL_GROUP_MAX_MEMBERS = 20
"""The pack's boundary between small and large groups (``ConversationKinds``)."""
SESSION_BREAK_S = 1800
"""A gap longer than this (30 min, an edge of TIME_EDGES_S) starts a new session; within-session gaps are the bins
of a gap histogram below it, between-session gaps the bins from it up."""
SESSIONS_EDGES = tuple(range(21)) + _log_edges(21, 100_000, 10)
HOURS = 24
WEEKDAYS = 7
OTHER = "other"
"""Label of the cell that holds every value outside a fixed label list."""
DEVICE_LABELS = (*DEVICE_TYPES, OTHER)
MIME_LABELS: dict[str, tuple[str, ...]] = {media: (*mimes, OTHER) for media, mimes in MIME_TYPES.items()}


def _check_significant(value: float) -> float:
    # The messages never carry the value: a scan finding built from them must not echo what it found.
    if not math.isfinite(value):
        raise ValueError("must be finite")
    if value != 0 and float(f"{value:.{SIGNIFICANT_DIGITS}g}") != value:
        raise ValueError(f"must have at most {SIGNIFICANT_DIGITS} significant digits")
    return value


Count = Annotated[int, Field(ge=0, le=MAX_COUNT, multiple_of=ROUNDING_MULTIPLE)]
Cell = Annotated[Count | None, Field(description="rounded count; null when suppressed (fewer than k users)")]
Stat = Annotated[float, Field(ge=0, le=MAX_STAT), AfterValidator(_check_significant)]


def round_significant(value: float) -> float:
    """Round ``value`` to the pack's number of significant digits (the form every published float takes)."""
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


class BinnedCounts(StrictModel):
    """Counts over the fixed bins ``EDGES`` of a subclass (lower-inclusive, last bin open above)."""

    EDGES: ClassVar[tuple[float, ...]] = ()
    counts: list[Cell]


def _counts_field(edges: tuple[float, ...], what: str) -> Any:
    """A ``counts`` field with exactly one cell per edge."""
    return Field(min_length=len(edges), max_length=len(edges), description=what)


class MessagesPerConversationBins(BinnedCounts):
    """Per bin of messages per conversation (MESSAGES_PER_CONVERSATION_EDGES)."""

    EDGES = MESSAGES_PER_CONVERSATION_EDGES
    counts: list[Cell] = _counts_field(EDGES, "count per bin of messages per conversation")


class ContentLengthHistogram(BinnedCounts):
    """TEXT messages per bin of content length in characters (CONTENT_LENGTH_EDGES)."""

    EDGES = CONTENT_LENGTH_EDGES
    counts: list[Cell] = _counts_field(EDGES, "TEXT messages per bin of content length")


class GroupMembersHistogram(BinnedCounts):
    """GROUP conversations per member count (GROUP_MEMBER_EDGES)."""

    EDGES = GROUP_MEMBER_EDGES
    counts: list[Cell] = _counts_field(EDGES, "GROUP conversations per bin of member rows")


class ReadersHistogram(BinnedCounts):
    """GROUP messages per number of readers, the sender excluded (READERS_PER_MESSAGE_EDGES)."""

    EDGES = READERS_PER_MESSAGE_EDGES
    counts: list[Cell] = _counts_field(EDGES, "GROUP messages per bin of readers")


class ActivityHistogram(BinnedCounts):
    """Users per bin of a per-user count (ACTIVITY_EDGES); bin 0 holds users with none."""

    EDGES = ACTIVITY_EDGES
    counts: list[Cell] = _counts_field(EDGES, "users per bin of their count")


class UsernameLengthHistogram(BinnedCounts):
    """Users per username length in characters (USERNAME_LENGTH_EDGES; 40 and longer top-coded)."""

    EDGES = USERNAME_LENGTH_EDGES
    counts: list[Cell] = _counts_field(EDGES, "users per username length")


class SizeHistogram(BinnedCounts):
    """Attachments per bin of file size in bytes (SIZE_BYTES_EDGES)."""

    EDGES = SIZE_BYTES_EDGES
    counts: list[Cell] = _counts_field(EDGES, "attachments per bin of file size")


class TimeHistogram(BinnedCounts):
    """Events per bin of a duration in seconds (TIME_EDGES_S)."""

    EDGES = TIME_EDGES_S
    counts: list[Cell] = _counts_field(EDGES, "events per bin of a duration")


class SessionsHistogram(BinnedCounts):
    """Conversations per number of sessions in the window (SESSIONS_EDGES)."""

    EDGES = SESSIONS_EDGES
    counts: list[Cell] = _counts_field(EDGES, "conversations per bin of sessions")


class GapsBySize(StrictModel):
    """Gaps between consecutive messages of one conversation, per conversation size class.

    Classes are GAP_SIZE_CLASS_EDGES of messages in the window (``from_10`` holds conversations of 10 to 99
    messages). Bins below SESSION_BREAK_S are gaps within a session, the others gaps between sessions.
    """

    from_2: TimeHistogram
    from_10: TimeHistogram
    from_100: TimeHistogram
    from_1000: TimeHistogram
    from_10000: TimeHistogram


GAP_SIZE_CLASS_FIELDS = tuple(GapsBySize.model_fields)


class Percentiles(StrictModel):
    """Percentiles of a distribution; null when fewer than k users lie on either side, or under DP.

    Values are top-coded at the last edge of the matching histogram and rounded to 3 significant digits.
    """

    p50: Stat | None
    p90: Stat | None
    p99: Stat | None


PERCENTILES = {"p50": 0.5, "p90": 0.9, "p99": 0.99}


class DisclosureSettings(StrictModel):
    """How the cells were protected: k threshold, rounding multiple and the DP budget spent (null: no DP)."""

    k: int = Field(ge=2, le=1000, description="minimum distinct users per published cell")
    rounding: int = Field(
        ge=ROUNDING_MULTIPLE, le=1000, multiple_of=ROUNDING_MULTIPLE, description="counts are rounded to this multiple"
    )
    epsilon: Stat | None = Field(le=100, description="total differential-privacy epsilon of the pack; null: no DP")


class EntityCounts(StrictModel):
    """Rows per production table (whole table, not only the window), for scaling a run to production."""

    users: Cell
    conversations: Cell
    conversation_users: Cell
    messages: Cell
    attachments: Cell
    read_receipts: Cell
    messages_in_window: Cell
    senders_in_window: Cell = Field(description="distinct users who sent a message in the window")


class ConversationKinds(StrictModel):
    """Conversations by kind: DIRECT, GROUP with at most 20 members, GROUP with more (member rows, any state)."""

    direct: Cell
    small_group: Cell
    large_group: Cell


class ConversationsMetrics(StrictModel):
    """Conversation kinds and group sizes."""

    kinds: ConversationKinds
    group_members: GroupMembersHistogram
    group_memberships: Cell = Field(description="member rows of GROUP conversations")
    inactive_group_memberships: Cell = Field(description="member rows of GROUP conversations with isActive false")


class MessagesPerConversation(StrictModel):
    """Messages per conversation in the window: conversations per bin and their messages per bin.

    Bin 0 holds conversations without a message in the window. ``messages`` per bin lets calibration compute
    the traffic share of heavy rooms at any edge.
    """

    conversations: MessagesPerConversationBins
    messages: MessagesPerConversationBins
    percentiles: Percentiles


class MessageTypes(StrictModel):
    """Messages in the window by type."""

    TEXT: Cell
    IMAGE: Cell
    VIDEO: Cell
    DOCUMENT: Cell
    AUDIO: Cell


class MessageFlags(StrictModel):
    """Messages in the window that are replies, were edited, or are soft-deleted."""

    replies: Cell
    edited: Cell
    deleted: Cell


class ContentLength(StrictModel):
    """Length in characters of the non-empty content of TEXT messages in the window."""

    histogram: ContentLengthHistogram
    percentiles: Percentiles
    empty: Cell = Field(description="TEXT messages with null or empty content")


class MessagesMetrics(StrictModel):
    """How many messages per conversation, which types, how long."""

    per_conversation: MessagesPerConversation
    types: MessageTypes
    flags: MessageFlags
    content_length: ContentLength


class TimingMetrics(StrictModel):
    """When messages are sent (UTC) and how they cluster within a conversation."""

    hour_of_day: list[Cell] = Field(min_length=HOURS, max_length=HOURS, description="messages per UTC hour, 0..23")
    day_of_week: list[Cell] = Field(
        min_length=WEEKDAYS, max_length=WEEKDAYS, description="messages per UTC weekday, Monday first"
    )
    interarrival: TimeHistogram
    gaps_by_size: GapsBySize
    sessions_per_conversation: SessionsHistogram = Field(
        description="conversations with a message in the window per number of sessions (a gap > SESSION_BREAK_S "
        "starts one)"
    )
    active_span: TimeHistogram = Field(
        description="conversations with a message in the window per active span in seconds (first to last message)"
    )
    burstiness_cv: Stat | None = Field(
        description="coefficient of variation of gaps, each gap divided by its conversation's mean gap "
        "(conversations with at least 10 gaps); 1 is a Poisson process; null under DP"
    )


class ReadDelayBuckets(StrictModel):
    """Read receipts by delay after the message: at most 30 s, at most 1 h, longer."""

    within_30s: Cell
    within_1h: Cell
    longer: Cell


class ReadReceiptsMetrics(StrictModel):
    """Read rate of DIRECT messages, readers of GROUP messages, and read delays (messages in the window)."""

    direct_messages: Cell
    direct_messages_read: Cell = Field(description="DIRECT messages with a receipt from someone but the sender")
    group_readers: ReadersHistogram
    delay: TimeHistogram
    delay_buckets: ReadDelayBuckets


class AttachmentTypes(StrictModel):
    """Attachments by media type (attachments of messages in the window)."""

    IMAGE: Cell
    VIDEO: Cell
    DOCUMENT: Cell
    AUDIO: Cell


class MimeMix(StrictModel):
    """Attachments per MIME type, per media type; every label of MIME_LABELS is present, ``other`` holds the rest."""

    IMAGE: dict[Literal["image/jpeg", "image/png", "image/webp", "image/gif", "image/heic", "other"], Cell]
    VIDEO: dict[Literal["video/mp4", "video/quicktime", "video/webm", "other"], Cell]
    DOCUMENT: dict[Literal["application/pdf", "application/zip", "text/plain", "application/msword", "other"], Cell]
    AUDIO: dict[Literal["audio/mpeg", "audio/ogg", "audio/mp4", "audio/wav", "other"], Cell]

    @model_validator(mode="after")
    def _complete(self) -> MimeMix:
        for media, labels in MIME_LABELS.items():
            if sorted(getattr(self, media)) != sorted(labels):
                raise ValueError(f"{media} must have exactly the keys {', '.join(labels)}")
        return self


class SizesByType(StrictModel):
    """File size histogram per media type."""

    IMAGE: SizeHistogram
    VIDEO: SizeHistogram
    DOCUMENT: SizeHistogram
    AUDIO: SizeHistogram


class AttachmentsMetrics(StrictModel):
    """Attachment types, MIME mix per type and size histograms per type (attachments of messages in the window)."""

    types: AttachmentTypes
    mime_types: MimeMix
    size_bytes: SizesByType


class DeviceMixCounts(StrictModel):
    """Users by device type; ``other`` holds null and unknown values."""

    ios: Cell
    android: Cell
    web: Cell
    desktop: Cell
    other: Cell


class ProfileCounts(StrictModel):
    """Users with each optional profile field set (non-null, non-empty)."""

    display_name: Cell
    avatar_url: Cell
    bio: Cell
    phone_number: Cell
    last_seen: Cell


class UsersMetrics(StrictModel):
    """How active users are and what their profiles look like (all users of the table)."""

    messages_sent: ActivityHistogram
    conversations_joined: ActivityHistogram
    username_length: UsernameLengthHistogram
    profile: ProfileCounts
    devices: DeviceMixCounts


class MetricsPack(StrictModel):
    """The shape of a production chat database: aggregates only, every cell protected by ``disclosure``."""

    pack_version: Literal[1]
    window_days: int = Field(ge=1, le=3650, description="messages created in the last window_days are measured")
    disclosure: DisclosureSettings
    entities: EntityCounts
    conversations: ConversationsMetrics
    messages: MessagesMetrics
    timing: TimingMetrics
    read_receipts: ReadReceiptsMetrics
    attachments: AttachmentsMetrics
    users: UsersMetrics
