"""Read receipts of one block: who read each message (never its sender) and after what delay."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from synthcore.generate.draws import draw, draw_int
from synthcore.generate.plan import DIRECT, DatasetPlan
from synthcore.generate.seeding import Purpose, stream
from synthcore.generate.tables.columns import take, timestamps
from synthcore.generate.tables.conversations import ConversationBlock
from synthcore.generate.tables.members import MemberBlock
from synthcore.generate.tables.messages import MessageBlock
from synthcore.generate.timeline import US_PER_S, ranges
from synthcore.spec.tables import TABLE_SCHEMAS

MIN_DELAY_S = 0.1
MEDIUM_CAP_S = 3600.0


@dataclass(frozen=True)
class ReceiptBlock:
    """Receipt rows: the message (local index), the reading member row and the read time."""

    message: np.ndarray
    reader: np.ndarray
    read_us: np.ndarray


def draw_receipts(
    plan: DatasetPlan, block: int, conv: ConversationBlock, members: MemberBlock, msgs: MessageBlock
) -> ReceiptBlock:
    """DIRECT: the other member reads with the spec's probability; groups: a drawn number of other members."""
    spec = plan.spec.read_receipts
    rng = stream(Purpose.RECEIPTS, block, plan.root)
    n = msgs.index.size
    size = conv.members[msgs.conv]
    is_direct = conv.kinds[msgs.conv] == DIRECT
    direct, group = np.flatnonzero(is_direct), np.flatnonzero(~is_direct)
    readers = np.zeros(n, dtype=np.int64)
    readers[direct] = rng.random(direct.size) < spec.direct_read_probability
    readers[group] = draw_int(spec.group_readers, rng, group.size)
    readers = np.minimum(readers, size - 1)
    first = 1 + np.floor(rng.random(n) * (size - readers)).astype(np.int64)

    message = np.repeat(np.arange(n, dtype=np.int64), readers)
    start = members.offsets[msgs.conv]  # per message: its conversation's first member row
    # a message's i-th reader sits ``first + i`` places after its sender, round the conversation's members
    places = ranges(msgs.sender - start + first, readers)
    reader = start[message] + places % size[message]
    return ReceiptBlock(message, reader, msgs.created_us[message] + _delays_us(plan, rng, message.size))


def _delays_us(plan: DatasetPlan, rng: np.random.Generator, n: int) -> np.ndarray:
    delay = plan.spec.read_receipts.delay
    phase = rng.random(n)
    fast = np.flatnonzero(phase < delay.fast_share)
    medium = np.flatnonzero((phase >= delay.fast_share) & (phase < delay.fast_share + delay.medium_share))
    slow = np.flatnonzero(phase >= delay.fast_share + delay.medium_share)
    seconds = np.empty(n)
    seconds[fast] = MIN_DELAY_S + rng.random(fast.size) * (delay.fast_max_s - MIN_DELAY_S)
    tail = 1.0 - np.exp(-MEDIUM_CAP_S / delay.medium_mean_s)  # exponential truncated at one hour
    seconds[medium] = np.maximum(-delay.medium_mean_s * np.log1p(-rng.random(medium.size) * tail), MIN_DELAY_S)
    seconds[slow] = draw(delay.slow, rng, slow.size)
    return (seconds * US_PER_S).astype(np.int64)


def last_read_per_member(receipts: ReceiptBlock, n_members: int) -> np.ndarray:
    """Latest read time per member row, -1 where the member read nothing."""
    last = np.full(n_members, -1, dtype=np.int64)
    np.maximum.at(last, receipts.reader, receipts.read_us)
    return last


def receipts_table(plan: DatasetPlan, members: MemberBlock, msgs: MessageBlock, receipts: ReceiptBlock) -> pa.Table:
    """Build the read_receipts rows."""
    columns = [
        take(msgs.ids, receipts.message),
        take(members.user_ids, receipts.reader),
        timestamps(receipts.read_us),
    ]
    return pa.Table.from_arrays(columns, schema=TABLE_SCHEMAS["read_receipts"])
