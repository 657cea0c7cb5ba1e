"""Members of one block's conversations: distinct users drawn by activity weight, roles, join/leave times."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from synthcore.generate.plan import DIRECT, DatasetPlan
from synthcore.generate.seeding import IdSpace, Purpose, keyed_uuids, stream
from synthcore.generate.tables.columns import bools, labels, take, timestamps
from synthcore.generate.tables.conversations import ConversationBlock
from synthcore.spec.tables import TABLE_SCHEMAS

ROLES = ("OWNER", "ADMIN", "MEMBER")
ADMIN_SHARE = 0.1
LEAVE_DELAY_MEAN_S = 86400.0
WEIGHTED_REDRAWS = 10


@dataclass(frozen=True)
class MemberBlock:
    """Member rows of a block, grouped by conversation (``offsets[i]`` is conversation i's first member)."""

    user: np.ndarray  # global user index per member row
    conv: np.ndarray  # local conversation position per member row
    offsets: np.ndarray  # length conversations + 1
    weight: np.ndarray  # activity weight per member row
    user_ids: pa.Array  # keyed UUID of each member row's user


def draw_members(plan: DatasetPlan, block: int, conv: ConversationBlock) -> MemberBlock:
    """Distinct members per conversation, drawn by user activity.

    Duplicates are redrawn by activity too, then uniformly after WEIGHTED_REDRAWS rounds (so that a conversation of
    many members always completes).
    """
    rng = stream(Purpose.MEMBERS, block, plan.root)
    offsets = np.concatenate([[0], np.cumsum(conv.members)])
    total = int(offsets[-1])
    member_conv = np.repeat(np.arange(conv.index.size, dtype=np.int64), conv.members)
    cdf = plan.activity_cdf
    user = np.minimum(np.searchsorted(cdf, rng.random(total) * cdf[-1], side="right"), plan.counts.users - 1)
    dedup = stream(Purpose.MEMBER_DEDUP, block, plan.root)
    for round_ in itertools.count():  # rounds depend only on the block's data, so they are deterministic
        order = np.lexsort((user, member_conv))
        dup = np.zeros(total, dtype=bool)
        dup[order[1:]] = (member_conv[order[1:]] == member_conv[order[:-1]]) & (user[order[1:]] == user[order[:-1]])
        if not dup.any():
            break
        if round_ < WEIGHTED_REDRAWS:
            redrawn = np.searchsorted(cdf, dedup.random(int(dup.sum())) * cdf[-1], side="right")
            user[dup] = np.minimum(redrawn, plan.counts.users - 1)
        else:
            user[dup] = dedup.integers(0, plan.counts.users, int(dup.sum()))
    return MemberBlock(
        user=user,
        conv=member_conv,
        offsets=offsets,
        weight=plan.activity[user],
        user_ids=keyed_uuids(IdSpace.USERS, user, plan.root),
    )


def members_table(
    plan: DatasetPlan,
    block: int,
    conv: ConversationBlock,
    members: MemberBlock,
    first_message_us: np.ndarray,
    last_message_us: np.ndarray,
    last_read_us: np.ndarray,
) -> pa.Table:
    """Build conversation_users rows: joinedAt ≤ first message; leavers leave after their last read."""
    rng = stream(Purpose.MEMBER_ROLES, block, plan.root)
    n = members.user.size
    position = np.arange(n) - members.offsets[members.conv]
    is_group = conv.kinds[members.conv] != DIRECT
    role = np.where(position == 0, 0, np.where(is_group & (rng.random(n) < ADMIN_SHARE), 1, 2))
    created = conv.created_us[members.conv]
    joined = created + (rng.random(n) * (first_message_us[members.conv] - created)).astype(np.int64)
    joined = np.where(position == 0, created, joined)
    left = is_group & (position > 0) & (rng.random(n) < plan.spec.conversations.inactive_member_share)
    has_read = last_read_us >= 0
    settled = np.maximum(last_message_us[members.conv], np.where(has_read, last_read_us, 0))
    left_at = settled + 1 + (rng.exponential(LEAVE_DELAY_MEAN_S, n) * 1e6).astype(np.int64)
    columns = [
        take(conv.ids, members.conv),
        members.user_ids,
        labels(role, ROLES),
        bools(~left),
        timestamps(joined),
        timestamps(left_at, left),
        timestamps(last_read_us, has_read),
    ]
    return pa.Table.from_arrays(columns, schema=TABLE_SCHEMAS["conversation_users"])
