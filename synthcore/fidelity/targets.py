"""What a dataset is compared with: expected distributions, category shares and scalar shares per metric.

A target comes from a DistributionSpec (``spec_targets``: closed forms of what the generator draws) or from a
MetricsPack (``pack_targets``: the pack's own bins and counts). Both produce the same ``Targets`` shape, so the
comparison code does not care where the expectation came from. Metrics a target cannot express are listed in
``not_checked`` with the reason, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

ScalarKind = Literal["absolute_error", "relative_error"]


@dataclass(frozen=True)
class NumericTarget:
    """Expected masses of a numeric metric over lower-inclusive bins (last bin open-ended).

    ``stat`` is ``ks`` for a distribution, ``tv`` for a few coarse buckets. ``quantiles`` maps a level (0.5,
    0.95, ...) to its expected value.
    """

    name: str
    metric: str
    lower_edges: NDArray[np.float64]
    expected: NDArray[np.float64]
    stat: Literal["ks", "tv"] = "ks"
    quantiles: dict[float, float] = field(default_factory=dict)
    units: float | None = None
    """Units behind ``expected`` (pack counts, simulated values): two-sample noise; None for a closed form."""
    observed_units: str | None = None
    """Observed independent units (``observe.UNITS_SQL``) when not the values themselves: gaps cluster by
    conversation (a conversation's gaps come from one size class and one session rhythm)."""


@dataclass(frozen=True)
class CategoryTarget:
    """Expected shares of a categorical metric's labels."""

    name: str
    metric: str
    expected: dict[str, float]
    units: float | None = None
    """Units behind ``expected``; None for a closed form."""
    observed_units: str | None = None
    """Observed units that are independent draws (``observe.UNITS_SQL``), when not the labelled units themselves:
    messages of one session share its hour, so the hour profile's noise follows the number of sessions."""


@dataclass(frozen=True)
class ScalarTarget:
    """An expected share or rate, compared by absolute or relative error."""

    name: str
    metric: str
    expected: float
    kind: ScalarKind = "absolute_error"
    min_messages: int | None = None
    units: float | None = None
    """Units behind ``expected``; None for a spec value."""


@dataclass(frozen=True)
class Targets:
    """Everything one target asks of a dataset."""

    kind: Literal["spec", "metrics_pack"]
    sha256: str
    numeric: list[NumericTarget]
    categories: list[CategoryTarget]
    scalars: list[ScalarTarget]
    not_checked: dict[str, str]
    simulated: list[str] = field(default_factory=list)
    """Spec targets with no closed form, simulated with the generator's own draws (so partly circular)."""
    bent: dict[str, str] = field(default_factory=dict)
    """Spec targets the counts bend, and how: the target is what the generator draws at these counts."""
