"""Conversations of one block: kind, message times (sessions), creation just before the first message, the table."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthcore.generate.plan import DIRECT, DatasetPlan
from synthcore.generate.seeding import IdSpace, Purpose, keyed_uuids, stream
from synthcore.generate.tables.columns import labels, timestamps
from synthcore.generate.text import gibberish
from synthcore.generate.timeline import US_PER_S, Timeline, session_times
from synthcore.spec.tables import TABLE_SCHEMAS

CREATION_LEAD_MEAN_S = 60.0
"""A conversation is created this long (exponential mean) before its first message."""


@dataclass(frozen=True)
class ConversationBlock:
    """Per-conversation arrays of one block (local position i = global index ``index[i]``)."""

    index: np.ndarray
    kinds: np.ndarray
    members: np.ndarray
    messages: np.ndarray
    message_us: np.ndarray  # creation time of every message, conversations concatenated, increasing within each
    created_us: np.ndarray
    ids: pa.Array  # keyed UUID per conversation


def draw_conversations(plan: DatasetPlan, block: int, timeline: Timeline) -> ConversationBlock:
    """Slice the plan for ``block`` and draw its message times and each conversation's creation time."""
    per = plan.spec.blocks.conversations_per_block
    index = np.arange(block * per, min((block + 1) * per, plan.counts.conversations), dtype=np.int64)
    messages = plan.messages[index]
    message_us = session_times(stream(Purpose.TIMELINE, block, plan.root), messages, plan.spec.time.sessions, timeline)
    rng = stream(Purpose.CONVERSATIONS, block, plan.root)
    lead = 1 + (rng.exponential(CREATION_LEAD_MEAN_S, index.size) * US_PER_S).astype(np.int64)
    return ConversationBlock(
        index=index,
        kinds=plan.kinds[index],
        members=plan.members[index],
        messages=messages,
        message_us=message_us,
        created_us=message_us[np.cumsum(messages) - messages] - lead,
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
