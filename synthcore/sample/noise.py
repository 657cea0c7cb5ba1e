"""Optional differential privacy for the pack's counts (OpenDP discrete Laplace) with an epsilon ledger.

The budget ``epsilon`` is split evenly over every released count vector (sequential composition). Each vector
gets integer Laplace noise with scale ``sensitivity / epsilon_i``, where the sensitivity is the L1 change one row
of one table can cause in that vector. The unit of privacy is therefore one row (event-level DP); the ledger
says so. Under DP the pack publishes no percentile, no burstiness and no per-bin message sums.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from synthcore.errors import InputError
from synthcore.spec.metrics_pack import round_significant

MAX_EPSILON = 100.0


def check_epsilon(epsilon: float) -> None:
    """Refuse a total epsilon outside (0, MAX_EPSILON].

    Raises:
        InputError: naming the value.
    """
    if not 0 < epsilon <= MAX_EPSILON:
        raise InputError(f"epsilon must be > 0 and <= {MAX_EPSILON} (got {epsilon})")


@dataclass(frozen=True)
class LedgerEntry:
    """One noised release: where it is in the pack, the epsilon it spent and its L1 sensitivity."""

    metric: str
    epsilon: float
    sensitivity: int


@dataclass
class EpsilonLedger:
    """Splits ``epsilon`` evenly over ``releases`` vectors and records what each spent."""

    epsilon: float
    releases: int
    entries: list[LedgerEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_epsilon(self.epsilon)

    @property
    def per_release(self) -> float:
        """Epsilon available to each release."""
        return self.epsilon / self.releases

    @property
    def spent(self) -> float:
        """Total epsilon spent so far (sum over entries; sequential composition)."""
        return round_significant(sum(e.epsilon for e in self.entries))

    def noise(self, metric: str, counts: np.ndarray, sensitivity: int) -> np.ndarray:
        """Return ``counts`` with discrete Laplace noise for this release's share of epsilon; record the spend.

        Raises:
            InputError: the budget is exhausted (more releases than planned).
        """
        if len(self.entries) >= self.releases:
            raise InputError(f"epsilon budget exhausted: {self.releases} releases planned, {metric} is one more")
        import opendp.prelude as dp

        dp.enable_features("contrib")
        measurement = dp.m.make_laplace(
            dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=sensitivity / self.per_release
        )
        spent = float(measurement.map(sensitivity))
        self.entries.append(LedgerEntry(metric, spent, sensitivity))
        return np.asarray(measurement([int(v) for v in np.rint(counts)]), dtype=np.float64)
