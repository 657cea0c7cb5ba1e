"""Monte Carlo expectations for the metrics the spec has no closed form for: messages per user, gaps, active spans.

A user's messages follow from activity weights twice over (who joins which conversation, who sends within it);
gaps between sessions are warped by the daily profile (and shrunk where a conversation must fit the window), and
a conversation's active span is the sum of its gaps. Both are simulated with the
generator's own member, sender and arrival draws (no tables are built), at the dataset's counts scaled down to at
most ``max_messages`` messages; scaling users, conversations and messages together keeps their ratios.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from synthcore.generate.plan import build_plan
from synthcore.generate.tables.conversations import draw_conversations
from synthcore.generate.tables.members import draw_members
from synthcore.generate.tables.messages import draw_messages
from synthcore.generate.timeline import US_PER_S, Timeline
from synthcore.spec.bands import Counts
from synthcore.spec.distribution import DistributionSpec

# Default size of a simulated dataset; about 0.04 s of draws per 100k messages on one core here.
MAX_SIMULATED_MESSAGES = 100_000
SIMULATION_SEED = "fidelity-simulation"


@dataclass(frozen=True)
class SimulatedShape:
    """Per-user messages sent, per-pair gaps (seconds) and per-conversation active spans of one simulated dataset."""

    counts: Counts
    messages_per_user: NDArray[np.float64]
    gaps_s: NDArray[np.float64]
    spans_s: NDArray[np.float64]


def scaled_counts(counts: Counts, max_messages: int = MAX_SIMULATED_MESSAGES) -> Counts:
    """``counts`` scaled down together so that messages are at most ``max_messages``."""
    f = min(1.0, max_messages / counts.messages)
    conversations = max(1, round(counts.conversations * f))
    return Counts(
        users=max(2, round(counts.users * f)),
        conversations=conversations,
        messages=max(conversations, round(counts.messages * f)),
    )


def simulate_shape(
    spec: DistributionSpec, counts: Counts, max_messages: int = MAX_SIMULATED_MESSAGES, seed: str = SIMULATION_SEED
) -> SimulatedShape:
    """Simulate who sends how many messages and the gaps between them, for ``spec`` at (scaled) ``counts``."""
    small = scaled_counts(counts, max_messages)
    plan = build_plan(spec, small, seed)
    timeline = Timeline.from_spec(spec.time)
    sent = np.zeros(small.users)
    gaps: list[NDArray[np.float64]] = []
    spans: list[NDArray[np.float64]] = []
    for block in range(plan.conversation_blocks):
        conv = draw_conversations(plan, block, timeline)
        members = draw_members(plan, block, conv)
        msgs = draw_messages(plan, block, conv, members)
        sent += np.bincount(members.user[msgs.sender], minlength=small.users)
        same = msgs.conv[1:] == msgs.conv[:-1]
        gaps.append(np.diff(msgs.created_us)[same] / US_PER_S)
        spans.append((msgs.created_us[msgs.offsets[1:] - 1] - msgs.created_us[msgs.offsets[:-1]]) / US_PER_S)
    return SimulatedShape(small, sent, np.concatenate(gaps), np.concatenate(spans))
