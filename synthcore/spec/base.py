"""The base model every contract derives from: closed (no extra keys), frozen, finite numbers only."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A closed, immutable model: unknown keys, NaN and Infinity are rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
