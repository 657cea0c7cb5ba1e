"""Messages of one block, and the attachment row of every non-TEXT message.

Types, senders, content, replies and edits are drawn per block, vectorised (times come from the sessions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from synthcore.generate.draws import draw, draw_choice, draw_int
from synthcore.generate.plan import DatasetPlan
from synthcore.generate.seeding import IdSpace, Purpose, keyed_uuids, stream
from synthcore.generate.tables.columns import bools, integers, joined, labels, numbers, take, timestamps
from synthcore.generate.tables.conversations import ConversationBlock
from synthcore.generate.tables.members import MemberBlock
from synthcore.generate.text import gibberish
from synthcore.generate.timeline import US_PER_S
from synthcore.spec.distribution import MEDIA_TYPES, MESSAGE_TYPES, MIME_TYPES
from synthcore.spec.tables import TABLE_SCHEMAS

FILES_PREFIX = "https://files.example.invalid/a"
EDIT_DELAY_MEAN_S = 300.0
REPLY_DISTANCE_P = 0.3  # geometric: replies mostly answer one of the last few messages


@dataclass(frozen=True)
class MessageBlock:
    """Per-message arrays of a block, grouped by conversation."""

    index: np.ndarray  # global message index
    conv: np.ndarray  # local conversation position
    offsets: np.ndarray  # local start of each conversation's messages (length conversations + 1)
    type_code: np.ndarray  # index into MESSAGE_TYPES
    sender: np.ndarray  # member row (index into the block's MemberBlock)
    created_us: np.ndarray
    ids: pa.Array  # keyed UUID per message


def draw_messages(
    plan: DatasetPlan,
    block: int,
    conv: ConversationBlock,
    members: MemberBlock,
) -> MessageBlock:
    """Types, senders (weighted by member activity) and arrival times of the block's messages."""
    spec = plan.spec.messages
    rng = stream(Purpose.MESSAGES, block, plan.root)
    offsets = np.concatenate([[0], np.cumsum(conv.messages)])
    total = int(offsets[-1])
    msg_conv = np.repeat(np.arange(conv.index.size, dtype=np.int64), conv.messages)
    index = plan.message_offsets[conv.index[0]] + np.arange(total, dtype=np.int64)

    mix = np.array([getattr(spec.media_mix, t) for t in MEDIA_TYPES])
    media = rng.random(total) < spec.media_share
    type_code = np.where(media, 1 + draw_choice(rng, mix, total), 0)

    cum_weight = np.cumsum(members.weight)
    seg_lo = np.concatenate([[0.0], cum_weight])[members.offsets[:-1]]
    seg_hi = cum_weight[members.offsets[1:] - 1]
    target = seg_lo[msg_conv] + rng.random(total) * (seg_hi - seg_lo)[msg_conv]
    sender = np.searchsorted(cum_weight, target, side="right")
    sender = np.clip(sender, members.offsets[msg_conv], members.offsets[msg_conv + 1] - 1)

    ids = keyed_uuids(IdSpace.MESSAGES, index, plan.root)
    return MessageBlock(index, msg_conv, offsets, type_code, sender, conv.message_us, ids)


def messages_table(
    plan: DatasetPlan, block: int, conv: ConversationBlock, members: MemberBlock, msgs: MessageBlock
) -> pa.Table:
    """Build the messages rows: TEXT content is gibberish of the spec's length; replies point to an earlier message."""
    spec = plan.spec.messages
    rng = stream(Purpose.CONTENT, block, plan.root)
    n = msgs.index.size
    deleted = rng.random(n) < spec.deleted_share
    has_content = (msgs.type_code == 0) & ~deleted
    lengths = np.zeros(n, dtype=np.int64)
    lengths[has_content] = draw_int(spec.content_length, rng, int(has_content.sum()))
    content = gibberish(rng, lengths, has_content)

    # Draws below are sized by the rows they apply to; those sizes come from this stream's earlier draws.
    position = np.arange(n) - msgs.offsets[msgs.conv]
    is_reply = (rng.random(n) < spec.reply_share) & (position > 0)
    replies = np.flatnonzero(is_reply)
    reply_to = np.zeros(n, dtype=np.int64)
    reply_to[replies] = replies - np.minimum(rng.geometric(REPLY_DISTANCE_P, replies.size), position[replies])
    edited = (rng.random(n) < spec.edited_share) & ~deleted
    edited_at = msgs.created_us.copy()
    edited_at[edited] += 1 + (rng.exponential(EDIT_DELAY_MEAN_S, int(edited.sum())) * US_PER_S).astype(np.int64)
    columns = [
        msgs.ids,
        take(conv.ids, msgs.conv),
        take(members.user_ids, msgs.sender),
        labels(msgs.type_code, MESSAGE_TYPES),
        content,
        take(msgs.ids, reply_to, is_reply),
        bools(deleted),
        timestamps(msgs.created_us),
        timestamps(edited_at),
        timestamps(edited_at, edited),
    ]
    return pa.Table.from_arrays(columns, schema=TABLE_SCHEMAS["messages"])


def attachments_table(plan: DatasetPlan, block: int, msgs: MessageBlock) -> pa.Table:
    """One attachment per non-TEXT message: MIME type and size drawn per media type."""
    spec = plan.spec.attachments
    rng = stream(Purpose.ATTACHMENTS, block, plan.root)
    media = np.flatnonzero(msgs.type_code > 0)
    media_type = msgs.type_code[media] - 1
    mime_names: list[str] = []  # every (type, MIME) label in the spec, in order; codes index it
    mime = np.zeros(media.size, dtype=np.int64)
    size = np.zeros(media.size, dtype=np.int64)
    for t, name in enumerate(MEDIA_TYPES):  # four media types: a loop over categories, not rows
        rows = np.flatnonzero(media_type == t)
        shares = spec.mime_types[name]
        labels_t = [m for m in MIME_TYPES[name] if m in shares]
        mime[rows] = len(mime_names) + draw_choice(rng, np.array([shares[m] for m in labels_t]), rows.size)
        mime_names.extend(labels_t)
        size[rows] = draw(spec.size_bytes[name], rng, rows.size).astype(np.int64)
    extensions = ["." + m.split("/")[1] for m in mime_names]
    index = msgs.index[media]
    columns = [
        keyed_uuids(IdSpace.ATTACHMENTS, index, plan.root),
        take(msgs.ids, media),
        labels(media_type, MEDIA_TYPES),
        labels(mime, mime_names),
        integers(size),
        joined(FILES_PREFIX, numbers(index), labels(mime, extensions)),
        timestamps(msgs.created_us[media]),
    ]
    return pa.Table.from_arrays(columns, schema=TABLE_SCHEMAS["attachments"])
