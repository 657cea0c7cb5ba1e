"""One conversation block end to end: conversations, members, messages, attachments and read receipts.

The tables depend on each other (senders are members, receipts follow messages, lastReadAt follows receipts), so a
block is built in one pass; every draw comes from the block's own keyed streams.
"""

from __future__ import annotations

import pyarrow as pa

from synthcore.generate.plan import DatasetPlan
from synthcore.generate.tables.columns import take
from synthcore.generate.tables.conversations import conversations_table, draw_conversations
from synthcore.generate.tables.members import draw_members, members_table
from synthcore.generate.tables.messages import attachments_table, draw_messages, messages_table
from synthcore.generate.tables.read_receipts import draw_receipts, last_read_per_member, receipts_table
from synthcore.generate.timeline import Timeline


def build_conversation_block(plan: DatasetPlan, block: int, timeline: Timeline) -> dict[str, pa.Table]:
    """Every conversation-side table's rows for ``block``."""
    conv = draw_conversations(plan, block, timeline)
    members = draw_members(plan, block, conv)
    msgs = draw_messages(plan, block, conv, members)
    receipts = draw_receipts(plan, block, conv, members, msgs)
    first_msg = msgs.created_us[msgs.offsets[:-1]]
    last_msg = msgs.created_us[msgs.offsets[1:] - 1]
    last_read = last_read_per_member(receipts, members.user.size)
    creator = take(members.user_ids, members.offsets[:-1])
    return {
        "conversations": conversations_table(plan, block, conv, creator, last_msg),
        "conversation_users": members_table(plan, block, conv, members, first_msg, last_msg, last_read),
        "messages": messages_table(plan, block, conv, members, msgs),
        "attachments": attachments_table(plan, block, msgs),
        "read_receipts": receipts_table(plan, members, msgs, receipts),
    }
