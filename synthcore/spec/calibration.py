"""CalibrationReport: which spec parameter was fitted from which pack metric, how, and how well."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from synthcore.spec.bands import Counts
from synthcore.spec.base import StrictModel


class FittedParameter(StrictModel):
    """One calibrated spec parameter."""

    name: str = Field(description="dotted path in the spec, e.g. messages.per_conversation.alpha")
    value: float | list[float]
    source: str = Field(description="dotted path of the metrics-pack field it came from")
    method: str
    goodness_ks: float | None = Field(
        default=None, description="KS distance between the fitted model and the pack's published bins (fits only)"
    )
    units: float | None = Field(default=None, description="published units the estimate used")
    candidates: dict[str, float] | None = Field(
        default=None, description="for a chosen law: KS distance of each candidate law to the published bins"
    )


class CalibrationReport(StrictModel):
    """The fit report written beside a calibrated spec."""

    report_version: Literal[1] = 1
    pack_sha256: str
    base_sha256: str
    spec_sha256: str
    window_days: int
    production_counts: Counts | None = Field(
        description="users, conversations and messages in the window: generate with these to reproduce production"
    )
    parameters: list[FittedParameter]
    kept_from_base: dict[str, str] = Field(description="parameters the pack could not inform, with the reason")
