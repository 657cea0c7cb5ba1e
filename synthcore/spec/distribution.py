"""DistributionSpec: the generator's parameters, as a closed, versioned, validated model.

Distributions are a discriminated union on ``kind``. Validators reject impossible parameters with a message
that names the field and the value; ``synthcore.spec.io.load_spec`` adds the file and the dotted path.
"""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, model_validator

from synthcore.spec.bands import MAX_COUNT
from synthcore.spec.base import StrictModel

SHARE_TOLERANCE = 1e-6
# Bounds on every range: draws are cast to int64 and counts shared out in float64, so no value may exceed 2**53;
# text lengths are characters held in memory per block; delays stay within the longest window; timestamps stay well
# inside what Python, Arrow, DuckDB and PostgreSQL all represent.
MAX_VALUE = float(MAX_COUNT)
MAX_USERNAME_CHARS = 1_000
MAX_CONTENT_CHARS = 1_000_000
MAX_WINDOW_DAYS = 3650
MAX_DELAY_S = MAX_WINDOW_DAYS * 86_400.0
EARLIEST_WINDOW_START = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_WINDOW_END = datetime(9000, 1, 1, tzinfo=UTC)
MESSAGE_TYPES = ("TEXT", "IMAGE", "VIDEO", "DOCUMENT", "AUDIO")
MEDIA_TYPES = ("IMAGE", "VIDEO", "DOCUMENT", "AUDIO")
DEVICE_TYPES = ("ios", "android", "web", "desktop")
MIME_TYPES: dict[str, tuple[str, ...]] = {
    "IMAGE": ("image/jpeg", "image/png", "image/webp", "image/gif", "image/heic"),
    "VIDEO": ("video/mp4", "video/quicktime", "video/webm"),
    "DOCUMENT": ("application/pdf", "application/zip", "text/plain", "application/msword"),
    "AUDIO": ("audio/mpeg", "audio/ogg", "audio/mp4", "audio/wav"),
}


def _check_shares(shares: dict[str, float], allowed: tuple[str, ...] | None = None) -> None:
    if not shares:
        raise ValueError("must hold at least one share")
    for label, share in shares.items():
        if allowed is not None and label not in allowed:
            raise ValueError(f"label {label!r} is not one of {', '.join(allowed)}")
        if share < 0:
            raise ValueError(f"share of {label!r} must be >= 0 (got {share})")
    total = sum(shares.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ValueError(f"shares must sum to 1 (got {total:.6f})")


class PowerLaw(StrictModel):
    """Continuous power law p(x) ∝ x^-alpha on [xmin, xmax], rounded down to integers by the generator."""

    kind: Literal["power_law"] = "power_law"
    alpha: float = Field(gt=1.0, le=100.0, description="exponent of the density; must be > 1")
    xmin: float = Field(ge=1.0, le=MAX_VALUE)
    xmax: float | None = Field(default=None, le=MAX_VALUE, description="upper cut-off; None: derived from the totals")

    @model_validator(mode="after")
    def _bounds(self) -> PowerLaw:
        if self.xmax is not None and self.xmax <= self.xmin:
            raise ValueError(f"xmax must be > xmin (got xmax={self.xmax}, xmin={self.xmin})")
        return self


class LogNormal(StrictModel):
    """Log-normal with log-mean ``mu`` and log-sd ``sigma``, clipped to [min, max]."""

    kind: Literal["lognormal"] = "lognormal"
    mu: float = Field(ge=-100.0, le=100.0)
    sigma: float = Field(ge=0.0, le=100.0)
    min: float = Field(ge=0.0, le=MAX_VALUE)
    max: float = Field(le=MAX_VALUE)

    @model_validator(mode="after")
    def _bounds(self) -> LogNormal:
        if self.max < self.min:
            raise ValueError(f"max must be >= min (got max={self.max}, min={self.min})")
        return self


class Geometric(StrictModel):
    """Geometric number of trials ``min + k`` with success probability ``p``, clipped to ``max``."""

    kind: Literal["geometric"] = "geometric"
    p: float = Field(gt=0.0, le=1.0)
    min: int = Field(ge=0, le=MAX_COUNT)
    max: int = Field(le=MAX_COUNT)

    @model_validator(mode="after")
    def _bounds(self) -> Geometric:
        if self.max < self.min:
            raise ValueError(f"max must be >= min (got max={self.max}, min={self.min})")
        return self


class Histogram(StrictModel):
    """Piecewise-uniform distribution over bins ``[edges[i], edges[i+1])`` with relative ``weights``."""

    kind: Literal["histogram"] = "histogram"
    edges: list[float] = Field(min_length=2, max_length=10_001)
    weights: list[float] = Field(min_length=1, max_length=10_000)

    @model_validator(mode="after")
    def _shape(self) -> Histogram:
        if len(self.weights) != len(self.edges) - 1:
            raise ValueError(f"needs len(edges) - 1 weights (got {len(self.weights)} for {len(self.edges)} edges)")
        if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            raise ValueError(f"edges must be strictly increasing (got {self.edges})")
        if abs(self.edges[0]) > MAX_VALUE or abs(self.edges[-1]) > MAX_VALUE:
            raise ValueError(f"edges must lie within ±{MAX_VALUE:.0f} (got {self.edges[0]} .. {self.edges[-1]})")
        if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
            raise ValueError(f"weights must be >= 0 with a positive sum (got {self.weights})")
        return self


class Binned(StrictModel):
    """Empirical binned law: a mass per bin, uniform inside it, and a power-law tail in the open top bin.

    Bin i is ``[edges[i], edges[i+1])`` with mass ``weights[i]``; the top bin ``x >= edges[-1]`` is a power law with
    exponent ``tail_alpha`` truncated at ``max``. Calibration builds it from a published histogram (suppressed bins
    conditioned out) when it fits the bins better than a parametric family; the tail extrapolates to larger bands.
    """

    kind: Literal["binned"] = "binned"
    edges: list[float] = Field(min_length=1, description="lower edges; the last bin is open above")
    weights: list[float] = Field(min_length=1, description="relative mass per bin")
    tail_alpha: float = Field(gt=1.0, description="density exponent of the open top bin")
    max: float = Field(description="largest value drawn (the tail is truncated here)")

    @model_validator(mode="after")
    def _shape(self) -> Binned:
        if len(self.weights) != len(self.edges):
            raise ValueError(f"needs one weight per edge (got {len(self.weights)} for {len(self.edges)} edges)")
        if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            raise ValueError(f"edges must be strictly increasing (got {self.edges})")
        if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
            raise ValueError(f"weights must be >= 0 with a positive sum (got {self.weights})")
        if self.edges[-1] <= 0:
            raise ValueError(f"the last edge starts the power-law tail and must be > 0 (got {self.edges[-1]})")
        if self.max <= self.edges[-1]:
            raise ValueError(f"max must be > the last edge (got max={self.max}, last edge {self.edges[-1]})")
        return self


Distribution = Annotated[PowerLaw | LogNormal | Geometric | Histogram | Binned, Field(discriminator="kind")]
CountLaw = Annotated[PowerLaw | Binned, Field(discriminator="kind")]


def check_upper(dist: PowerLaw | LogNormal | Geometric | Histogram | Binned, name: str, limit: float) -> None:
    """Require the largest value ``dist`` can draw to be set and at most ``limit``.

    Raises:
        ValueError: a power law without ``xmax``, or an upper end above ``limit``.
    """
    if isinstance(dist, PowerLaw):
        upper = dist.xmax
    elif isinstance(dist, Histogram):
        upper = dist.edges[-1]
    else:
        upper = dist.max
    if upper is None:
        raise ValueError(f"{name}: a power law here needs an xmax")
    if upper > limit:
        raise ValueError(f"{name}: the largest value must be at most {limit:g} (got {upper:g})")


class Shares(StrictModel):
    """Named shares summing to 1; subclasses fix the labels."""

    @model_validator(mode="after")
    def _sum(self) -> Shares:
        _check_shares(self.model_dump())
        return self


class ConversationMix(Shares):
    """Conversation kinds: DIRECT (2 members), small and large GROUPs."""

    direct: float = Field(ge=0)
    small_group: float = Field(ge=0)
    large_group: float = Field(ge=0)


class MediaMix(Shares):
    """Types of the non-TEXT messages."""

    IMAGE: float = Field(ge=0)
    VIDEO: float = Field(ge=0)
    DOCUMENT: float = Field(ge=0)
    AUDIO: float = Field(ge=0)


class DeviceMix(Shares):
    """Users' device types."""

    ios: float = Field(ge=0)
    android: float = Field(ge=0)
    web: float = Field(ge=0)
    desktop: float = Field(ge=0)


class ProfileCompleteness(StrictModel):
    """Share of users with each optional profile field set."""

    display_name: float = Field(ge=0, le=1)
    avatar_url: float = Field(ge=0, le=1)
    bio: float = Field(ge=0, le=1)
    phone_number: float = Field(ge=0, le=1)
    last_seen: float = Field(ge=0, le=1)


class UsersSpec(StrictModel):
    """Users: names, profiles, devices and how unevenly active they are."""

    username_length: Distribution
    profile: ProfileCompleteness
    device_mix: DeviceMix
    activity: PowerLaw = Field(description="relative activity weight per user (membership and sending)")

    @model_validator(mode="after")
    def _bounded(self) -> UsersSpec:
        check_upper(self.username_length, "username_length", MAX_USERNAME_CHARS)
        return self


class ConversationsSpec(StrictModel):
    """Conversation kinds and member counts."""

    type_mix: ConversationMix
    small_group_members: Distribution
    large_group_members: Distribution
    inactive_member_share: float = Field(ge=0, le=1, description="share of group members who left")

    @model_validator(mode="after")
    def _bounded(self) -> ConversationsSpec:
        check_upper(self.small_group_members, "small_group_members", MAX_VALUE)
        check_upper(self.large_group_members, "large_group_members", MAX_VALUE)
        return self


class HeavyRooms(StrictModel):
    """A separate component of very busy rooms."""

    conversation_share: float = Field(ge=0, le=1)
    message_share: float = Field(ge=0, lt=1)
    min_messages: int = Field(ge=1, le=MAX_COUNT)


class MessagesSpec(StrictModel):
    """Messages: how many per conversation, how long, which types."""

    per_conversation: CountLaw = Field(description="messages per conversation of the body (non-heavy rooms)")
    heavy_rooms: HeavyRooms
    content_length: Distribution
    media_share: float = Field(ge=0, le=1)
    media_mix: MediaMix
    reply_share: float = Field(ge=0, le=1)
    edited_share: float = Field(ge=0, le=1)
    deleted_share: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _bounded(self) -> MessagesSpec:
        check_upper(self.content_length, "content_length", MAX_CONTENT_CHARS)
        return self


class AttachmentsSpec(StrictModel):
    """Per-media-type MIME shares and file sizes (bytes)."""

    mime_types: dict[str, dict[str, float]]
    size_bytes: dict[str, LogNormal]

    @model_validator(mode="after")
    def _types(self) -> AttachmentsSpec:
        for name, table in (("mime_types", self.mime_types), ("size_bytes", self.size_bytes)):
            if sorted(table) != sorted(MEDIA_TYPES):
                raise ValueError(f"{name} must have exactly the keys {', '.join(MEDIA_TYPES)} (got {sorted(table)})")
        for media, shares in self.mime_types.items():
            try:
                _check_shares(shares, MIME_TYPES[media])
            except ValueError as exc:
                raise ValueError(f"mime_types.{media}: {exc}") from None
        return self


class GapClass(StrictModel):
    """Gaps (seconds) between consecutive messages of conversations in one size class.

    The class holds conversations with at least ``min_messages`` messages and fewer than the next class's minimum.
    """

    min_messages: int = Field(ge=2)
    gaps_s: Binned


class Sessions(StrictModel):
    """Conversations as sessions: a gap longer than ``break_s`` starts a new session.

    Gaps are drawn per conversation size class. Session starts are placed on the hour-of-day × weekday profile
    (between-session gaps are spent in the profile's operational time); gaps inside a session are real time.
    A conversation's lifetime (first to last message) is the sum of its gaps, so most conversations live for
    a short stretch of the window; one whose gaps would not fit the window has its between-session gaps shrunk.
    """

    break_s: float = Field(gt=0, le=MAX_DELAY_S, description="a gap longer than this many seconds starts a new session")
    by_size: list[GapClass] = Field(min_length=1, description="size classes, smallest first; the first starts at 2")

    @model_validator(mode="after")
    def _classes(self) -> Sessions:
        mins = [c.min_messages for c in self.by_size]
        if mins[0] != 2 or any(b <= a for a, b in itertools.pairwise(mins)):
            raise ValueError(f"min_messages must start at 2 and increase strictly (got {mins})")
        return self


class TimeSpec(StrictModel):
    """The time window and the activity profile over it."""

    window_end: AwareDatetime
    window_days: int = Field(ge=1, le=MAX_WINDOW_DAYS)
    hour_profile: list[float] = Field(min_length=24, max_length=24, description="relative intensity, UTC hours")
    weekday_profile: list[float] = Field(min_length=7, max_length=7, description="relative intensity, Monday first")
    sessions: Sessions

    @model_validator(mode="after")
    def _profiles(self) -> TimeSpec:
        for name in ("hour_profile", "weekday_profile"):
            values = getattr(self, name)
            if any(v <= 0 or not math.isfinite(v) for v in values):
                raise ValueError(f"{name}: every intensity must be > 0 (got {values})")
        if not EARLIEST_WINDOW_START + timedelta(days=self.window_days) <= self.window_end <= LATEST_WINDOW_END:
            raise ValueError(
                f"the window must lie between {EARLIEST_WINDOW_START:%Y-%m-%d} and {LATEST_WINDOW_END:%Y-%m-%d}"
                f" (got {self.window_days} days up to {self.window_end.isoformat()})"
            )
        return self

    @property
    def window_start(self) -> datetime:
        """Start of the window."""
        return self.window_end - timedelta(days=self.window_days)


class ReadDelay(StrictModel):
    """Read delay mixture: fast (uniform up to fast_max_s), medium (exponential, capped at 1 h), slow (log-normal)."""

    fast_share: float = Field(ge=0, le=1)
    fast_max_s: float = Field(gt=0, le=MAX_DELAY_S)
    medium_share: float = Field(ge=0, le=1)
    medium_mean_s: float = Field(gt=0, le=MAX_DELAY_S)
    slow: LogNormal

    @model_validator(mode="after")
    def _shares(self) -> ReadDelay:
        if self.fast_share + self.medium_share > 1 + SHARE_TOLERANCE:
            raise ValueError(f"fast_share + medium_share must be <= 1 (got {self.fast_share + self.medium_share})")
        check_upper(self.slow, "slow", MAX_DELAY_S)
        return self


class ReadReceiptsSpec(StrictModel):
    """Who reads what, and how soon."""

    direct_read_probability: float = Field(ge=0, le=1)
    group_readers: Distribution
    delay: ReadDelay

    @model_validator(mode="after")
    def _bounded(self) -> ReadReceiptsSpec:
        check_upper(self.group_readers, "group_readers", MAX_VALUE)
        return self


class BlockLayout(StrictModel):
    """Fixed block sizes: the unit of keyed randomness. A property of the spec, never of a run."""

    conversations_per_block: int = Field(ge=1, le=1_000_000)
    users_per_block: int = Field(ge=1, le=10_000_000)


class DistributionSpec(StrictModel):
    """Everything the generator needs besides the counts and the seed."""

    spec_version: Literal[1]
    blocks: BlockLayout
    time: TimeSpec
    users: UsersSpec
    conversations: ConversationsSpec
    messages: MessagesSpec
    attachments: AttachmentsSpec
    read_receipts: ReadReceiptsSpec
