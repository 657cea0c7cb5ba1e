"""Fit the users' activity exponent by simulation: messages per user have no closed form in the spec.

A user's messages follow from activity weights twice over (who joins which conversation, and who sends within
it), so the exponent is found by running the generator's own member and sender draws for candidate exponents
and keeping the one whose messages-per-user histogram is closest (KS over the published bins) to the pack's.
Draws use one fixed seed for every candidate (common random numbers), so the search is not chasing noise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from synthcore.fidelity.stats import bin_masses, ks_distance
from synthcore.generate.plan import build_plan
from synthcore.generate.tables.conversations import draw_conversations
from synthcore.generate.tables.members import draw_members
from synthcore.generate.tables.messages import draw_messages
from synthcore.generate.timeline import Timeline, burst_probability
from synthcore.spec.bands import Counts
from synthcore.spec.distribution import DistributionSpec

# Simulate at most this many messages (counts scaled down together, which keeps messages and conversations per
# user): about 0.1 s per candidate on one core.
MAX_SIMULATED_MESSAGES = 100_000
COARSE = np.round(np.arange(1.2, 3.51, 0.1), 2)
FINE_STEP = 0.02
_SEED = "calibrate-activity"


def scaled_counts(counts: Counts, max_messages: int = MAX_SIMULATED_MESSAGES) -> Counts:
    """``counts`` scaled down so that messages are at most ``max_messages``."""
    f = min(1.0, max_messages / counts.messages)
    conversations = max(1, round(counts.conversations * f))
    return Counts(
        users=max(2, round(counts.users * f)),
        conversations=conversations,
        messages=max(conversations, round(counts.messages * f)),
    )


def simulated_messages_per_user(
    spec: DistributionSpec, counts: Counts, lower_edges: Sequence[float]
) -> NDArray[np.float64]:
    """Users per bin of messages sent, from the generator's member and sender draws (no tables are built)."""
    plan = build_plan(spec, counts, _SEED)
    timeline = Timeline.from_spec(spec.time)
    burst = spec.time.burstiness
    burst_p = burst_probability(burst.cv, burst.burst_mean_ratio)
    sent = np.zeros(counts.users)
    for block in range(plan.conversation_blocks):
        conv = draw_conversations(plan, block, timeline)
        members = draw_members(plan, block, conv)
        msgs = draw_messages(plan, block, conv, members, timeline, burst_p)
        sent += np.bincount(members.user[msgs.sender], minlength=counts.users)
    return bin_masses(sent, np.ones(sent.size), [*lower_edges, np.inf])


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
    small = scaled_counts(counts)

    def distance(alpha: float) -> float:
        simulated = simulated_messages_per_user(_with_alpha(spec, alpha), small, lower_edges)
        return ks_distance(simulated[published], observed[published])

    coarse = {float(a): distance(a) for a in COARSE}
    best = min(coarse, key=coarse.__getitem__)
    fine = np.round(np.arange(best - 0.08, best + 0.081, FINE_STEP), 2)
    scores = coarse | {float(a): distance(a) for a in fine if a > 1.0}
    alpha = min(scores, key=scores.__getitem__)
    return alpha, scores[alpha]
