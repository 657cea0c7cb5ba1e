"""Band presets: named dataset sizes (users, conversations, messages)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, ValidationError, model_validator

from synthcore.errors import InputError, UnknownBand
from synthcore.spec.base import StrictModel

# Message counts are shared out over conversations in float64 arithmetic (synthcore.generate.draws.allocate_exact),
# exact up to 2**53; no count may exceed that. What the machine can hold is checked by the generator.
MAX_COUNT = 2**53


class Band(StrEnum):
    """A named dataset size."""

    CI = "ci"
    DEV = "dev"
    STAGING = "staging"
    PERF = "perf"


class Counts(StrictModel):
    """Entity counts a run generates; members, attachments and receipts follow from the spec."""

    users: int = Field(ge=2, le=MAX_COUNT, description="at least 2: a conversation has two members")
    conversations: int = Field(ge=1, le=MAX_COUNT)
    messages: int = Field(ge=1, le=MAX_COUNT)

    @model_validator(mode="after")
    def _every_conversation_has_a_message(self) -> Counts:
        if self.messages < self.conversations:
            raise ValueError(
                f"messages ({self.messages}) must be at least conversations ({self.conversations}):"
                " every conversation has a message"
            )
        return self


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
        InputError: a count is out of range (users 2.., conversations and messages 1..2**53), or there are fewer
            messages than conversations; every problem is named with its option.
    """
    base = BAND_COUNTS[band]
    try:
        return Counts(
            users=base.users if users is None else users,
            conversations=base.conversations if conversations is None else conversations,
            messages=base.messages if messages is None else messages,
        )
    except ValidationError as exc:
        problems = [
            (f"--{e['loc'][0]} {e['input']}: " if e["loc"] else "") + e["msg"].removeprefix("Value error, ")
            for e in exc.errors()
        ]
        raise InputError("invalid counts: " + "; ".join(problems)) from None
