"""FidelityReport: how close a dataset is to its target, check by check, with an overall GO/NO-GO.

The report holds aggregates only (bin masses, quantiles, shares), never row data, so it can be shared
and plotted without access to the dataset.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from synthcore.spec.base import StrictModel


class Tolerance(StrEnum):
    """A named tolerance preset: the largest distance or error a check accepts."""

    STRICT = "strict"
    NORMAL = "normal"
    RELAXED = "relaxed"


CheckKind = Literal["ks", "tv", "relative_error", "absolute_error"]

# A check's threshold is the sampling noise expected at the observed counts (synthcore.stats.noise) plus this
# practical tolerance: how far from its target a dataset may be and still count as the same shape. A quantile's
# noise (relative error) is how far the observed quantiles move over its order-statistic band.
TOLERANCE_PRESETS: dict[Tolerance, dict[str, float]] = {
    Tolerance.STRICT: {"ks": 0.01, "tv": 0.01, "absolute_error": 0.005, "relative_error": 0.05},
    Tolerance.NORMAL: {"ks": 0.03, "tv": 0.03, "absolute_error": 0.02, "relative_error": 0.15},
    Tolerance.RELAXED: {"ks": 0.08, "tv": 0.08, "absolute_error": 0.05, "relative_error": 0.30},
}


class Comparison(StrictModel):
    """Observed and expected masses of one metric over shared bins (numeric edges or category labels).

    ``expected`` is None where the target suppressed the cell; such cells are left out of the statistic and
    both sides are renormalised over the rest.
    """

    metric: str
    lower_edges: list[float] | None = Field(
        default=None, description="numeric bins [lower_edges[i], lower_edges[i+1]); the last bin is open-ended"
    )
    labels: list[str] | None = Field(default=None, description="category labels, one per mass")
    observed: list[float]
    expected: list[float | None]
    observed_total: float = Field(description="units observed (rows, conversations, users)")


class CheckResult(StrictModel):
    """One check: its statistic, the threshold it had to meet and whether it did."""

    name: str
    metric: str
    kind: CheckKind
    value: float | None = Field(description="None when the statistic could not be computed (the check fails)")
    threshold: float = Field(description="noise + the preset's practical tolerance for this kind, or the override")
    noise: float | None = Field(
        default=None, description="the part of the threshold that is sampling noise at the observed counts"
    )
    passed: bool
    observed: float | None = None
    expected: float | None = None
    reason: str = Field(default="", description="why it failed, or what was compared")


class FidelityReport(StrictModel):
    """The fidelity gate's verdict for one dataset against one target."""

    report_version: Literal[1] = 1
    target_kind: Literal["spec", "metrics_pack"]
    target_sha256: str
    source: str = Field(description="'parquet' or 'postgres:<schema>'; never a connection string")
    tolerance: Tolerance
    practical_tolerance: dict[str, float] = Field(description="the preset's tolerance per check kind, beyond noise")
    overrides: dict[str, float]
    verdict: Literal["GO", "NO-GO"]
    reasons: list[str]
    checks: list[CheckResult]
    comparisons: list[Comparison]
    not_checked: dict[str, str] = Field(description="metrics the target cannot express, with the reason")
    simulated_targets: list[str] = Field(
        default_factory=list,
        description="spec targets without a closed form, simulated with the generator's own draws: these checks "
        "test the generator against itself, not against an independent expectation",
    )
    bent_targets: dict[str, str] = Field(
        default_factory=dict,
        description="spec targets the dataset's counts bend (a law stretched to totals the band cannot hold at the"
        " law's own mean): the target is the bent law, as generated, and this says how and why",
    )
    seconds: float
