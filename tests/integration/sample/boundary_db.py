"""A stand-in production whose cells sit exactly at a known number of distinct users, each with many rows.

Two groups of users, A (11 users, just at the default k) and B (10 users, just below it), never share a cell they
are designed for: A talks in one GROUP conversation on a Monday at 05:00 (TEXT of 20 characters, replies, VIDEO
attachments of 5,000 bytes, read by every other member after 5 s, gaps of 10 s); B talks in five DIRECT conversations
on the Tuesday at 03:00 (IMAGE attachments of 50,000 bytes, edited TEXT of 200 characters, read after 600 s, gaps of
60 s). Every designed cell has far more rows than users, so a rule that counted rows instead of users would publish
B's cells. ``CELLS`` lists each designed cell: its pack path, distinct users, and rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import psycopg

from synthcore import pg
from synthcore.spec import metrics_pack as mp
from synthcore.spec.io import SPECS_DIR

WINDOW_END = datetime(2026, 6, 30, tzinfo=UTC)
MONDAY, TUESDAY = date(2026, 6, 22), date(2026, 6, 23)
A_USERS, B_USERS = 11, 10
A_TEXT, A_VIDEO = 20, 3  # messages per A user
B_IMAGE, B_TEXT = 10, 6  # messages per B user
A_MESSAGES = A_USERS * (A_TEXT + A_VIDEO)
B_MESSAGES = B_USERS * (B_IMAGE + B_TEXT)
B_CONVERSATIONS = B_USERS // 2

SEED_SQL = """
INSERT INTO users
SELECT md5('user-' || g || i)::uuid, g || i || '@example.invalid',
       CASE g WHEN 'a' THEN 'user_a_' || lpad(i::text, 5, '0') ELSE 'user_bb_' || lpad(i::text, 6, '0') END,
       NULL, NULL, NULL, NULL, CASE g WHEN 'a' THEN 'ios' ELSE 'android' END,
       %(end)s::timestamptz - interval '100 days', %(end)s::timestamptz - interval '100 days', NULL
FROM (VALUES ('a', %(a_users)s), ('b', %(b_users)s)) AS grp(g, n), generate_series(1, n) AS i;

INSERT INTO conversations VALUES (md5('conv-a')::uuid, 'GROUP', NULL, md5('user-a1')::uuid,
    %(end)s::timestamptz - interval '100 days', %(end)s::timestamptz - interval '100 days', NULL);
INSERT INTO conversations
SELECT md5('conv-b' || p)::uuid, 'DIRECT', NULL, md5('user-b' || (2 * p - 1))::uuid,
       %(end)s::timestamptz - interval '100 days', %(end)s::timestamptz - interval '100 days', NULL
FROM generate_series(1, %(b_conversations)s) AS p;
INSERT INTO conversation_users
SELECT md5('conv-a')::uuid, md5('user-a' || i)::uuid, 'MEMBER', true, %(end)s::timestamptz - interval '100 days',
       NULL, NULL
FROM generate_series(1, %(a_users)s) AS i;
INSERT INTO conversation_users
SELECT md5('conv-b' || p)::uuid, md5('user-b' || (2 * p - 1 + j))::uuid, 'MEMBER', true,
       %(end)s::timestamptz - interval '100 days', NULL, NULL
FROM generate_series(1, %(b_conversations)s) AS p, generate_series(0, 1) AS j;

INSERT INTO messages
SELECT md5('msg-a' || n)::uuid, md5('conv-a')::uuid, md5('user-a' || (1 + n %% %(a_users)s))::uuid,
       CASE WHEN n < %(a_text)s THEN 'TEXT' ELSE 'VIDEO' END,
       CASE WHEN n < %(a_text)s THEN repeat('x', 20) END,
       CASE WHEN n BETWEEN 1 AND %(a_text)s - 1 THEN md5('msg-a0')::uuid END, false,
       %(monday)s::timestamptz + interval '5 hours' + n * interval '10 seconds',
       %(monday)s::timestamptz + interval '5 hours' + n * interval '10 seconds', NULL
FROM generate_series(0, %(a_messages)s - 1) AS n;
INSERT INTO messages
SELECT md5('msg-b' || p || '-' || n)::uuid, md5('conv-b' || p)::uuid, md5('user-b' || (2 * p - 1 + n %% 2))::uuid,
       CASE WHEN n < %(b_image_per_conv)s THEN 'IMAGE' ELSE 'TEXT' END,
       CASE WHEN n >= %(b_image_per_conv)s THEN repeat('y', 200) END, NULL, false,
       %(tuesday)s::timestamptz + interval '3 hours' + n * interval '60 seconds',
       %(tuesday)s::timestamptz + interval '3 hours' + n * interval '60 seconds',
       CASE WHEN n >= %(b_image_per_conv)s THEN %(tuesday)s::timestamptz + interval '4 hours' END
FROM generate_series(1, %(b_conversations)s) AS p, generate_series(0, %(b_per_conv)s - 1) AS n;

INSERT INTO attachments
SELECT md5('att-' || m.id)::uuid, m.id, m.type, CASE m.type WHEN 'VIDEO' THEN 'video/mp4' ELSE 'image/png' END,
       CASE m.type WHEN 'VIDEO' THEN 5000 ELSE 50000 END, 'https://files.example.invalid/a', m."createdAt"
FROM messages m WHERE m.type <> 'TEXT';

INSERT INTO read_receipts
SELECT m.id, cu."userId",
       m."createdAt" + CASE c.type WHEN 'GROUP' THEN interval '5 seconds' ELSE interval '600 seconds' END
FROM messages m JOIN conversation_users cu ON cu."conversationId" = m."conversationId"
JOIN conversations c ON c.id = m."conversationId"
WHERE cu."userId" <> m."senderId";
ANALYZE;
"""


def seed_boundaries(dsn: str) -> None:
    """Create the chat schema at ``dsn`` and fill it with the two user groups."""
    params = {
        "end": WINDOW_END,
        "monday": MONDAY,
        "tuesday": TUESDAY,
        "a_users": A_USERS,
        "b_users": B_USERS,
        "b_conversations": B_CONVERSATIONS,
        "a_text": A_USERS * A_TEXT,
        "a_messages": A_MESSAGES,
        "b_per_conv": B_MESSAGES // B_CONVERSATIONS,
        "b_image_per_conv": 2 * B_IMAGE,
    }
    with pg.connect(dsn, application_name="test-seed") as conn:
        conn.execute((SPECS_DIR / "schema.sql").read_text())
        with psycopg.ClientCursor(conn) as cur:
            cur.execute(SEED_SQL, params)
        conn.commit()


def _bin(edges: tuple[float, ...], value: float) -> int:
    return int(np.searchsorted(np.asarray(edges), value, side="right")) - 1


@dataclass(frozen=True)
class Cell:
    """One designed cell: its path in the pack, its distinct users, its rows.

    ``sole`` is False for a cell whose vector has fewer than two other suppressed cells at k = users, so secondary
    suppression may hide it even when it passes the k rule (only its suppression below k is asserted).
    """

    path: str
    users: int
    rows: int
    sole: bool = True


A, B = A_USERS, B_USERS
A_GAPS, B_GAPS = A_MESSAGES - 1, B_MESSAGES - B_CONVERSATIONS
A_READS, B_READS = A_MESSAGES * (A_USERS - 1), B_MESSAGES
CELLS = [
    Cell("timing.hour_of_day[5]", A, A_MESSAGES),
    Cell("timing.hour_of_day[3]", B, B_MESSAGES),
    Cell(f"timing.day_of_week[{MONDAY.weekday()}]", A, A_MESSAGES),
    Cell(f"timing.day_of_week[{TUESDAY.weekday()}]", B, B_MESSAGES),
    Cell(f"timing.interarrival.counts[{_bin(mp.TIME_EDGES_S, 10)}]", A, A_GAPS),
    Cell(f"timing.interarrival.counts[{_bin(mp.TIME_EDGES_S, 60)}]", B, B_GAPS),
    Cell("messages.types.TEXT", A + B, A * A_TEXT + B * B_TEXT),
    Cell("messages.types.VIDEO", A, A * A_VIDEO),
    Cell("messages.types.IMAGE", B, B * B_IMAGE),
    Cell("messages.flags.replies", A, A * A_TEXT - 1, sole=False),
    Cell("messages.flags.edited", B, B * B_TEXT, sole=False),
    Cell(f"messages.content_length.histogram.counts[{_bin(mp.CONTENT_LENGTH_EDGES, 20)}]", A, A * A_TEXT),
    Cell(f"messages.content_length.histogram.counts[{_bin(mp.CONTENT_LENGTH_EDGES, 200)}]", B, B * B_TEXT),
    Cell(f"messages.per_conversation.conversations.counts[{_bin(mp.MESSAGES_PER_CONVERSATION_EDGES, 253)}]", A, 1),
    Cell(f"messages.per_conversation.conversations.counts[{_bin(mp.MESSAGES_PER_CONVERSATION_EDGES, 32)}]", B, 5),
    Cell(f"conversations.group_members.counts[{_bin(mp.GROUP_MEMBER_EDGES, A)}]", A, 1),
    Cell("conversations.kinds.small_group", A, 1, sole=False),
    Cell("conversations.kinds.direct", B, B_CONVERSATIONS, sole=False),
    Cell(f"read_receipts.group_readers.counts[{_bin(mp.READERS_PER_MESSAGE_EDGES, A - 1)}]", A, A_MESSAGES),
    Cell(f"read_receipts.delay.counts[{_bin(mp.TIME_EDGES_S, 5)}]", A, A_READS),
    Cell(f"read_receipts.delay.counts[{_bin(mp.TIME_EDGES_S, 600)}]", B, B_READS),
    Cell("read_receipts.delay_buckets.within_30s", A, A_READS, sole=False),
    Cell("read_receipts.delay_buckets.within_1h", B, B_READS, sole=False),
    Cell("read_receipts.direct_messages", B, B_MESSAGES, sole=False),
    Cell("attachments.types.VIDEO", A, A * A_VIDEO),
    Cell("attachments.types.IMAGE", B, B * B_IMAGE),
    Cell("attachments.mime_types.VIDEO.video/mp4", A, A * A_VIDEO),
    Cell("attachments.mime_types.IMAGE.image/png", B, B * B_IMAGE),
    Cell(f"attachments.size_bytes.VIDEO.counts[{_bin(mp.SIZE_BYTES_EDGES, 5000)}]", A, A * A_VIDEO),
    Cell(f"attachments.size_bytes.IMAGE.counts[{_bin(mp.SIZE_BYTES_EDGES, 50000)}]", B, B * B_IMAGE),
    Cell(f"users.messages_sent.counts[{_bin(mp.ACTIVITY_EDGES, A_TEXT + A_VIDEO)}]", A, A),
    Cell(f"users.messages_sent.counts[{_bin(mp.ACTIVITY_EDGES, B_IMAGE + B_TEXT)}]", B, B),
    Cell("users.devices.ios", A, A),
    Cell("users.devices.android", B, B),
]
BURSTINESS_USERS = A + B
"""Every user sends in a conversation with at least 10 gaps, so the burstiness CV rests on A + B users."""
