"""Conversations of one block: kind, creation time and active span in operational time, and the table."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthcore.generate.plan import DIRECT, DatasetPlan
from synthcore.generate.seeding import IdSpace, Purpose, keyed_uuids, stream
from synthcore.generate.tables.columns import labels, timestamps
from synthcore.generate.text import gibberish
from synthcore.generate.timeline import Timeline
from synthcore.spec.tables import TABLE_SCHEMAS

# Conversations start early more often than late (Beta(1, 2) over the first 95 % of the window), and stay active
# for 60–100 % of the rest of it.
_START_BETA = (1.0, 2.0)
_START_LAST = 0.95
_ACTIVE_SHARE = (0.6, 1.0)


@dataclass(frozen=True)
class ConversationBlock:
    """Per-conversation arrays of one block (local position i = global index ``index[i]``)."""

    index: np.ndarray
    kinds: np.ndarray
    members: np.ndarray
    messages: np.ndarray
    u_start: np.ndarray  # operational time of creation
    u_end: np.ndarray  # operational time of the last message
    created_us: np.ndarray
    ids: pa.Array  # keyed UUID per conversation


def draw_conversations(plan: DatasetPlan, block: int, timeline: Timeline) -> ConversationBlock:
    """Slice the plan for ``block`` and draw each conversation's creation time and active span."""
    per = plan.spec.blocks.conversations_per_block
    index = np.arange(block * per, min((block + 1) * per, plan.counts.conversations), dtype=np.int64)
    rng = stream(Purpose.CONVERSATIONS, block, plan.root)
    u_start = rng.beta(*_START_BETA, index.size) * _START_LAST
    u_end = u_start + (1.0 - u_start) * rng.uniform(*_ACTIVE_SHARE, index.size)
    return ConversationBlock(
        index=index,
        kinds=plan.kinds[index],
        members=plan.members[index],
        messages=plan.messages[index],
        u_start=u_start,
        u_end=u_end,
        created_us=timeline.to_us(u_start),
        ids=keyed_uuids(IdSpace.CONVERSATIONS, index, plan.root),
    )


def conversations_table(
    plan: DatasetPlan, block: int, conv: ConversationBlock, creator_ids: pa.Array, last_message_us: np.ndarray
) -> pa.Table:
    """The conversations rows: groups get a gibberish name; updatedAt is the last message's time."""
    rng = stream(Purpose.CONVERSATION_NAMES, block, plan.root)
    is_group = conv.kinds != DIRECT
    name = pc.utf8_title(pc.utf8_trim_whitespace(gibberish(rng, rng.integers(5, 28, conv.index.size), is_group)))
    columns = [
        conv.ids,
        labels(is_group.astype(np.int32), ("DIRECT", "GROUP")),
        name,
        creator_ids,
        timestamps(conv.created_us),
        timestamps(last_message_us),
        timestamps(last_message_us),
    ]
    return pa.Table.from_arrays(columns, schema=TABLE_SCHEMAS["conversations"])
