"""Fit the users' activity exponent by simulation: messages per user have no closed form in the spec.

A user's messages follow from activity weights twice over (who joins which conversation, and who sends within
it), so the exponent is found by simulating the generator's own member and sender draws
(``synthcore.fidelity.simulated``) for candidate exponents and keeping the one whose messages-per-user histogram
is closest (KS over the published bins) to the pack's. Every candidate uses the same seed (common random
numbers), so the search does not chase noise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from synthcore.fidelity.simulated import simulate_shape
from synthcore.spec.bands import Counts
from synthcore.spec.distribution import DistributionSpec
from synthcore.stats.distances import bin_masses, ks_distance

COARSE = np.round(np.arange(1.2, 3.41, 0.2), 2)
FINE = np.round(np.arange(-0.15, 0.151, 0.05), 2)
# Messages per user vary a lot from one dataset to the next at small sizes (who lands in the busiest rooms), so
# each candidate pools this many simulated datasets.
SEEDS = 3
# Each simulated dataset has the pack's counts scaled down to at most this many messages (scaling changes the heavy
# rooms a little); 19 candidates x 3 seeds at 1M messages is about 20 s here.
SIMULATED_MESSAGES = 1_000_000


def _with_alpha(spec: DistributionSpec, alpha: float) -> DistributionSpec:
    activity = spec.users.activity.model_copy(update={"alpha": float(alpha)})
    return spec.model_copy(update={"users": spec.users.model_copy(update={"activity": activity})})


def fit_activity_alpha(
    spec: DistributionSpec, counts: Counts, lower_edges: Sequence[float], observed: NDArray[np.float64]
) -> tuple[float, float]:
    """Return the activity exponent (and its KS distance) that best reproduces ``observed`` users per bin.

    ``observed`` holds NaN for suppressed bins; only published bins are compared.
    """
    published = np.isfinite(observed)
    edges = [*lower_edges, np.inf]

    def distance(alpha: float) -> float:
        candidate = _with_alpha(spec, alpha)
        simulated = np.zeros(len(edges) - 1)
        for i in range(SEEDS):
            sent = simulate_shape(
                candidate, counts, SIMULATED_MESSAGES, seed=f"calibrate-activity-{i}"
            ).messages_per_user
            simulated += bin_masses(sent, np.ones(sent.size), edges)
        return ks_distance(simulated[published], observed[published])

    coarse = {float(a): distance(a) for a in COARSE}
    best = min(coarse, key=coarse.__getitem__)
    scores = coarse | {float(best + d): distance(best + d) for d in FINE if d and best + d > 1.0}
    alpha = min(scores, key=scores.__getitem__)
    return alpha, scores[alpha]
