"""Band presets: named dataset sizes (users, conversations, messages)."""

from __future__ import annotations

from enum import StrEnum

from synthcore.errors import UnknownBand
from synthcore.spec.base import StrictModel


class Band(StrEnum):
    """A named dataset size."""

    CI = "ci"
    DEV = "dev"
    STAGING = "staging"
    PERF = "perf"


class Counts(StrictModel):
    """Entity counts a run generates; members, attachments and receipts follow from the spec."""

    users: int
    conversations: int
    messages: int


BAND_COUNTS: dict[Band, Counts] = {
    Band.CI: Counts(users=1_000, conversations=1_500, messages=50_000),
    Band.DEV: Counts(users=5_000, conversations=8_000, messages=5_000_000),
    Band.STAGING: Counts(users=150_000, conversations=300_000, messages=100_000_000),
    Band.PERF: Counts(users=250_000, conversations=600_000, messages=300_000_000),
}


def parse_band(value: str) -> Band:
    """Return the band named ``value``.

    Raises:
        UnknownBand: ``value`` is not a preset name.
    """
    try:
        return Band(value)
    except ValueError:
        raise UnknownBand(value, [b.value for b in Band]) from None


def resolve_counts(
    band: Band, users: int | None = None, conversations: int | None = None, messages: int | None = None
) -> Counts:
    """Return the band's counts with any explicit count overriding it.

    Raises:
        InputError: a count is not positive, or there are fewer messages than conversations.
    """
    from synthcore.errors import InputError

    base = BAND_COUNTS[band]
    counts = Counts(
        users=base.users if users is None else users,
        conversations=base.conversations if conversations is None else conversations,
        messages=base.messages if messages is None else messages,
    )
    for name in ("users", "conversations", "messages"):
        if getattr(counts, name) < 1:
            raise InputError(f"--{name} must be at least 1 (got {getattr(counts, name)})")
    if counts.users < 2:
        raise InputError(f"--users must be at least 2, a conversation has two members (got {counts.users})")
    if counts.messages < counts.conversations:
        raise InputError(
            f"--messages ({counts.messages}) must be at least --conversations ({counts.conversations}):"
            " every conversation has a message"
        )
    return counts
