"""The dataset plan: per-conversation kinds, member and message counts, per-user activity, and chunk layout.

The plan is computed from (spec, counts, seed) alone, identically in every chunk: it is O(conversations + users)
and cheap even for the perf band. Blocks are fixed groups of conversations (and of users); a chunk is a
contiguous range of whole blocks, so any chunk count covers the same blocks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from synthcore.errors import ChunkOutOfRange, InputError
from synthcore.generate.draws import (
    allocate_exact,
    allocation_scale,
    binned_quantile,
    draw_choice,
    draw_int,
    draw_power_law_stratified,
    power_law_quantile,
    solve_power_law_xmax,
    stratum_midpoints,
)
from synthcore.generate.seeding import Purpose, root_entropy, stream
from synthcore.spec.bands import Counts
from synthcore.spec.distribution import Binned, DistributionSpec

DIRECT, SMALL_GROUP, LARGE_GROUP = 0, 1, 2
# Heavy rooms get a mean size of at least this multiple of their minimum, so they form a spread-out tail rather than
# a spike at exactly min_messages; fewer heavy rooms are made when the band cannot hold that many.
HEAVY_MEAN_OVER_MIN = 1.5
# The largest ordinary (non-heavy) room, as a multiple of the heavy-room minimum. It bounds a block's memory; when the
# body's mean cannot be reached below it, the body is scaled up and the scale is reported (``body_scale``).
BODY_CAP_OVER_HEAVY_MIN = 100
# Default chunking: about this many messages per chunk (a unit of parallel work and one Parquet file per table);
# the dev band gets 4 chunks, which 2 workers finish together (3 chunks left one running alone: 7.4 s vs 4.4-5.6 s).
MESSAGES_PER_CHUNK = 1_250_000


@dataclass(frozen=True)
class DatasetPlan:
    """Global per-entity counts and the block layout; every array is indexed by entity number."""

    spec: DistributionSpec
    counts: Counts
    root: int
    kinds: np.ndarray  # per conversation: DIRECT, SMALL_GROUP or LARGE_GROUP
    members: np.ndarray  # per conversation: number of members
    messages: np.ndarray  # per conversation: number of messages
    heavy: np.ndarray  # per conversation: part of the heavy-room component
    activity: np.ndarray  # per user: relative activity weight
    activity_cdf: np.ndarray  # cumulative activity, for weighted user draws
    message_offsets: np.ndarray  # global index of each conversation's first message (length conversations + 1)
    effective: dict[str, float] = field(default_factory=dict)

    @property
    def conversation_blocks(self) -> int:
        """Number of conversation blocks."""
        return math.ceil(self.counts.conversations / self.spec.blocks.conversations_per_block)

    @property
    def user_blocks(self) -> int:
        """Number of user blocks."""
        return math.ceil(self.counts.users / self.spec.blocks.users_per_block)

    def default_chunks(self) -> int:
        """Chunk count used when none is given: about MESSAGES_PER_CHUNK messages each."""
        return max(1, min(self.conversation_blocks, math.ceil(self.counts.messages / MESSAGES_PER_CHUNK)))

    def chunk_blocks(self, chunk: int, chunks: int) -> tuple[range, range]:
        """Conversation blocks and user blocks of ``chunk`` (of ``chunks``), balanced by message count.

        Raises:
            InputError: more chunks than conversation blocks.
            ChunkOutOfRange: ``chunk`` is not in ``0 .. chunks-1``.
        """
        if not 1 <= chunks <= self.conversation_blocks:
            raise InputError(
                f"--chunks must be between 1 and {self.conversation_blocks} for {self.counts.conversations}"
                f" conversations (one block is {self.spec.blocks.conversations_per_block}); got {chunks}"
            )
        if not 0 <= chunk < chunks:
            raise ChunkOutOfRange(chunk, chunks)
        per = self.spec.blocks.conversations_per_block
        starts = np.minimum(np.arange(self.conversation_blocks + 1) * per, self.counts.conversations)
        cum = self.message_offsets[starts]  # messages before each block boundary
        targets = np.arange(chunks + 1) * (cum[-1] / chunks)
        bounds = np.searchsorted(cum, targets, side="left")
        steps = np.arange(chunks + 1)
        bounds = np.maximum.accumulate(bounds - steps) + steps  # every chunk gets at least one block
        bounds = np.minimum(bounds, self.conversation_blocks - chunks + steps)
        ub = self.user_blocks
        return range(int(bounds[chunk]), int(bounds[chunk + 1])), range(
            chunk * ub // chunks, (chunk + 1) * ub // chunks
        )


def build_plan(spec: DistributionSpec, counts: Counts, seed: str) -> DatasetPlan:
    """Draw the global plan for (spec, counts, seed)."""
    root = root_entropy(seed)
    n_conv, n_users = counts.conversations, counts.users
    mix = spec.conversations.type_mix
    kinds = draw_choice(
        stream(Purpose.PLAN_KINDS, 0, root), np.array([mix.direct, mix.small_group, mix.large_group]), n_conv
    ).astype(np.int8)
    members = _member_counts(spec, kinds, n_users, root)
    messages, heavy, effective = _message_counts(spec, counts, root)
    act = spec.users.activity
    activity = draw_power_law_stratified(
        stream(Purpose.PLAN_ACTIVITY, 0, root), act.alpha, act.xmin, act.xmax or 1000 * act.xmin, n_users
    )
    offsets = np.concatenate([[0], np.cumsum(messages)])
    return DatasetPlan(
        spec, counts, root, kinds, members, messages, heavy, activity, np.cumsum(activity), offsets, effective
    )


def _member_counts(spec: DistributionSpec, kinds: np.ndarray, n_users: int, root: int) -> np.ndarray:
    rng = stream(Purpose.PLAN_MEMBERS, 0, root)
    small = draw_int(spec.conversations.small_group_members, rng, kinds.size)
    large = draw_int(spec.conversations.large_group_members, rng, kinds.size)
    members = np.where(kinds == DIRECT, 2, np.where(kinds == SMALL_GROUP, small, large))
    return np.minimum(members, n_users).astype(np.int64)


def heavy_alpha(spec: DistributionSpec) -> float:
    """Power-law exponent of the heavy-room sizes: the body's (its tail's, for a binned body)."""
    body = spec.messages.per_conversation
    return body.tail_alpha if isinstance(body, Binned) else body.alpha


def message_sizes(spec: DistributionSpec, counts: Counts) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """Messages per conversation of the body and of the heavy rooms, ascending, and the effective parameters.

    Each component is its law's quantiles at the stratum midpoints (``stratum_midpoints``) shared out to the
    component's exact total, so the set of sizes depends on (spec, counts) only; the plan deals them out to
    conversations by seed. Sharing out stretches the law by ``body_scale`` (``heavy_scale``): 1 when the band
    holds the law's mean, else the band bends the law and the generation and fidelity reports say so.
    """
    n_conv, n_msg = counts.conversations, counts.messages
    hr, body = spec.messages.heavy_rooms, spec.messages.per_conversation
    heavy_msgs = round(hr.message_share * n_msg)
    n_heavy = min(round(hr.conversation_share * n_conv), int(heavy_msgs // (HEAVY_MEAN_OVER_MIN * hr.min_messages)))
    if n_heavy < 1 or n_msg - heavy_msgs < n_conv - n_heavy:
        n_heavy, heavy_msgs = 0, 0
    effective: dict[str, float] = {"heavy_rooms": n_heavy, "heavy_messages": heavy_msgs}
    heavy = np.zeros(0, dtype=np.int64)
    if n_heavy:
        tail, lo = heavy_alpha(spec), float(hr.min_messages)
        xmax = max(
            solve_power_law_xmax(tail, lo, heavy_msgs / n_heavy, cap=float(heavy_msgs)) or heavy_msgs / n_heavy,
            lo + 1.0,
        )
        weights = power_law_quantile(stratum_midpoints(n_heavy), tail, lo, xmax)
        heavy = allocate_exact(heavy_msgs, weights, minimum=hr.min_messages)
        effective |= {"heavy_xmax": xmax, "heavy_scale": allocation_scale(heavy_msgs, weights, hr.min_messages)}
    n_body, body_msgs = n_conv - n_heavy, n_msg - heavy_msgs
    u = stratum_midpoints(n_body)
    if isinstance(body, Binned):
        # integer sizes, so that a band whose mean matches the law's (scale 1) reproduces its bins exactly
        weights = np.floor(binned_quantile(body, u))
    else:
        if body.xmax is not None:
            xmax = body.xmax
        else:
            cap = float(max(BODY_CAP_OVER_HEAVY_MIN * hr.min_messages, 2 * body.xmin))
            xmax = solve_power_law_xmax(body.alpha, body.xmin, body_msgs / n_body, cap=cap) or cap
        weights = power_law_quantile(u, body.alpha, body.xmin, xmax)
        effective |= {"body_alpha": body.alpha, "body_xmin": body.xmin, "body_xmax": xmax}
    effective["body_scale"] = allocation_scale(body_msgs, weights, 1)
    return allocate_exact(body_msgs, weights, minimum=1), heavy, effective


def _message_counts(
    spec: DistributionSpec, counts: Counts, root: int
) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """Per-conversation message counts: ``message_sizes`` dealt out, heavy rooms to conversations drawn by seed."""
    body, heavy_sizes, effective = message_sizes(spec, counts)
    heavy = np.zeros(counts.conversations, dtype=bool)
    messages = np.empty(counts.conversations, dtype=np.int64)
    if heavy_sizes.size:
        rng = stream(Purpose.PLAN_HEAVY, 0, root)
        heavy[rng.choice(counts.conversations, size=heavy_sizes.size, replace=False)] = True
        messages[heavy] = rng.permutation(heavy_sizes)
    messages[~heavy] = stream(Purpose.PLAN_MESSAGES, 0, root).permutation(body)
    return messages, heavy, effective
