"""The sampler's SQL: one named query per metric family, computed entirely inside PostgreSQL.

Every query returns rows ``(metric text, label text, bin int, n float8, users bigint)``: a count (or a sum) ``n``
for one cell, and ``users``, the number of distinct users contributing to that cell, which disclosure control
compares with k. ``metric`` is a constant of the query; ``label`` is a constant or a value the query has
already mapped onto a fixed list passed as a parameter; ``bin`` is an index into a fixed edge array passed as a
parameter. Rows per query are bounded by the number of bins, so client memory is constant in the data size.

Message-level queries first aggregate per (sender, cell) with a hash aggregate, then count distinct senders over
that much smaller set. Parameters: ``start``/``end`` (the window, timestamptz) and the edge and label arrays named
in each query.
"""

from __future__ import annotations

from typing import LiteralString

WINDOW = 'm."createdAt" >= %(start)s AND m."createdAt" < %(end)s'


def _bin(expr: LiteralString, edges: LiteralString) -> LiteralString:
    """SQL for the 0-based bin of ``expr`` in the edge array parameter ``edges`` (values below edge 0 go to 0)."""
    return f"greatest(width_bucket(({expr})::float8, %({edges})s::float8[]) - 1, 0)"


ENTITIES = f"""
WITH per_sender AS (
    SELECT m."senderId", count(*) AS n, count(*) FILTER (WHERE {WINDOW}) AS n_window
    FROM messages m GROUP BY m."senderId"
)
SELECT 'users', '', 0, count(*)::float8, count(*) FROM users
UNION ALL
SELECT 'conversations', '', 0, (SELECT count(*) FROM conversations)::float8, count(DISTINCT "userId")
FROM conversation_users
UNION ALL
SELECT 'conversation_users', '', 0, count(*)::float8, count(DISTINCT "userId") FROM conversation_users
UNION ALL
SELECT 'messages', '', 0, sum(n)::float8, count(*) FROM per_sender
UNION ALL
SELECT 'messages_in_window', '', 0, sum(n_window)::float8, count(*) FILTER (WHERE n_window > 0) FROM per_sender
UNION ALL
SELECT 'senders_in_window', '', 0, count(*) FILTER (WHERE n_window > 0)::float8, count(*) FILTER (WHERE n_window > 0)
FROM per_sender
UNION ALL
SELECT 'attachments', '', 0, sum(n)::float8, count(*)
FROM (SELECT m."senderId", count(*) AS n FROM attachments a JOIN messages m ON m.id = a."messageId" GROUP BY 1) s
UNION ALL
SELECT 'read_receipts', '', 0, sum(n)::float8, count(*)
FROM (SELECT "userId", count(*) AS n FROM read_receipts GROUP BY 1) s
"""

CONVERSATIONS = f"""
WITH per_conversation AS MATERIALIZED (
    SELECT c.id, c.type, count(cu."userId") AS members
    FROM conversations c LEFT JOIN conversation_users cu ON cu."conversationId" = c.id
    GROUP BY c.id, c.type
), classified AS MATERIALIZED (
    SELECT id, type,
           CASE WHEN type = 'DIRECT' THEN 'direct' WHEN members <= 20 THEN 'small_group' ELSE 'large_group' END
               AS kind,
           {_bin("members", "member_edges")} AS bin
    FROM per_conversation
)
SELECT 'kind', k.kind, 0, count(DISTINCT k.id)::float8, count(DISTINCT cu."userId")
FROM classified k LEFT JOIN conversation_users cu ON cu."conversationId" = k.id
GROUP BY k.kind
UNION ALL
SELECT 'group_members', '', k.bin, count(DISTINCT k.id)::float8, count(DISTINCT cu."userId")
FROM classified k LEFT JOIN conversation_users cu ON cu."conversationId" = k.id
WHERE k.type = 'GROUP'
GROUP BY k.bin
UNION ALL
SELECT CASE WHEN cu."isActive" THEN 'active_group_memberships' ELSE 'inactive_group_memberships' END, '', 0,
       count(*)::float8, count(DISTINCT cu."userId")
FROM conversation_users cu JOIN conversations c ON c.id = cu."conversationId"
WHERE c.type = 'GROUP'
GROUP BY 1
"""

MESSAGES_PER_CONVERSATION = f"""
WITH per_conversation AS MATERIALIZED (
    SELECT c.id, coalesce(w.n, 0) AS n, {_bin("coalesce(w.n, 0)", "edges")} AS bin
    FROM conversations c
    LEFT JOIN (SELECT m."conversationId", count(*) AS n FROM messages m WHERE {WINDOW} GROUP BY 1) w
        ON w."conversationId" = c.id
), per_bin AS (
    SELECT bin, count(*) AS conversations, sum(n) AS messages FROM per_conversation GROUP BY bin
), bin_users AS (
    SELECT p.bin, count(DISTINCT cu."userId") AS users
    FROM per_conversation p JOIN conversation_users cu ON cu."conversationId" = p.id
    GROUP BY p.bin
)
SELECT 'conversations', '', b.bin, b.conversations::float8, coalesce(u.users, 0)
FROM per_bin b LEFT JOIN bin_users u USING (bin)
UNION ALL
SELECT 'messages', '', b.bin, b.messages::float8, coalesce(u.users, 0)
FROM per_bin b LEFT JOIN bin_users u USING (bin)
UNION ALL
SELECT 'percentile', '', (t.i - 1)::int, t.v, NULL
FROM unnest((SELECT percentile_cont(%(quantiles)s::float8[]) WITHIN GROUP (ORDER BY n) FROM per_conversation))
    WITH ORDINALITY AS t(v, i)
"""

MESSAGE_FACTS = f"""
WITH facts AS MATERIALIZED (
    -- One scan of the window's messages, three per-sender aggregates (hash grouping sets).
    SELECT grouping(type, hour_of_week, len) AS grouping_id, "senderId", type, hour_of_week, len, count(*) AS n,
           count(*) FILTER (WHERE reply) AS replies, count(*) FILTER (WHERE edited) AS edited,
           count(*) FILTER (WHERE deleted) AS deleted
    FROM (
        SELECT m."senderId", m.type, m."replyToId" IS NOT NULL AS reply, m."editedAt" IS NOT NULL AS edited,
               m."isDeleted" AS deleted,
               -- hour of the week since the epoch (a Thursday): one extract per row, the rest is integer arithmetic
               (floor(extract(epoch FROM m."createdAt") / 3600)::bigint %% 168)::int AS hour_of_week,
               CASE WHEN m.type = 'TEXT' THEN coalesce(char_length(m.content), 0) END AS len
        FROM messages m WHERE {WINDOW}
    ) rows
    GROUP BY GROUPING SETS (("senderId", type), ("senderId", hour_of_week), ("senderId", len))
), by_type AS (
    SELECT * FROM facts WHERE grouping_id = 3
), by_hour AS (
    SELECT * FROM facts WHERE grouping_id = 5
), by_length AS (
    SELECT * FROM facts WHERE grouping_id = 6 AND len IS NOT NULL
), per_length AS (
    SELECT len, sum(n) AS n, sum(sum(n)) OVER (ORDER BY len) AS running, sum(sum(n)) OVER () AS total
    FROM by_length WHERE len > 0 GROUP BY len
)
SELECT 'type', type, 0, sum(n)::float8, count(DISTINCT "senderId") FROM by_type
WHERE type = ANY(%(types)s::text[]) GROUP BY type
UNION ALL
SELECT 'flag', 'replies', 0, sum(replies)::float8, count(DISTINCT "senderId") FILTER (WHERE replies > 0) FROM by_type
UNION ALL
SELECT 'flag', 'edited', 0, sum(edited)::float8, count(DISTINCT "senderId") FILTER (WHERE edited > 0) FROM by_type
UNION ALL
SELECT 'flag', 'deleted', 0, sum(deleted)::float8, count(DISTINCT "senderId") FILTER (WHERE deleted > 0) FROM by_type
UNION ALL
SELECT 'hour', '', hour_of_week %% 24, sum(n)::float8, count(DISTINCT "senderId") FROM by_hour GROUP BY 3
UNION ALL
SELECT 'weekday', '', (hour_of_week / 24 + 3) %% 7, sum(n)::float8, count(DISTINCT "senderId")
FROM by_hour GROUP BY 3
UNION ALL
SELECT 'length', '', {_bin("len", "length_edges")}, sum(n)::float8, count(DISTINCT "senderId")
FROM by_length WHERE len > 0 GROUP BY 3
UNION ALL
SELECT 'empty', '', 0, coalesce(sum(n), 0)::float8, count(DISTINCT "senderId") FROM by_length WHERE len = 0
UNION ALL
SELECT 'percentile', '', (q.i - 1)::int, (SELECT min(len) FROM per_length WHERE running >= q.v * total)::float8, NULL
FROM unnest(%(quantiles)s::float8[]) WITH ORDINALITY AS q(v, i)
"""


# Burstiness: each gap is divided by its conversation's mean gap, so the pooled CV describes the shape of the
# arrival process rather than the spread of activity between conversations; 10 gaps is the least for a stable mean.
# Sessions: gaps per conversation size class (``size_edges``: messages in the window; the label is the class index),
# and per conversation its sessions (a gap above ``session_break`` starts one) and its active span (first to last
# message in the window, seconds), with the distinct senders of the conversations in each bin.
INTERARRIVAL = f"""
WITH gaps AS MATERIALIZED (
    SELECT m."conversationId" AS c, m."senderId" AS u,
           extract(epoch FROM m."createdAt" - lag(m."createdAt") OVER w)::float8 AS gap,
           count(*) OVER (PARTITION BY m."conversationId") AS size
    FROM messages m WHERE {WINDOW}
    WINDOW w AS (PARTITION BY m."conversationId" ORDER BY m."createdAt")
), sums AS MATERIALIZED (
    -- grouping_id 1: per (conversation, sender); 3: per (sender, bin); 2: per (sender, size class, bin)
    SELECT grouping(c, size_class) AS grouping_id, c, u, size_class, bin, count(*) AS n, sum(gap) AS s1,
           sum(gap * gap) AS s2
    FROM (SELECT c, u, gap, {_bin("size", "size_edges")} AS size_class, {_bin("gap", "edges")} AS bin
          FROM gaps WHERE gap IS NOT NULL) g
    GROUP BY GROUPING SETS ((c, u), (u, bin), (u, size_class, bin))
), per_conversation AS (
    -- sum over a conversation's gaps of (gap / mean - 1)^2 = s2 * n^2 / s1^2 - n
    SELECT c, sum(s2) * sum(n) ^ 2 / sum(s1) ^ 2 - sum(n) AS sq, sum(n) AS n
    FROM sums WHERE grouping_id = 1 GROUP BY c HAVING sum(n) >= 10 AND sum(s1) > 0
), lifetimes AS MATERIALIZED (
    SELECT c, {_bin("1 + count(*) FILTER (WHERE gap > %(session_break)s)", "session_edges")} AS sessions_bin,
           {_bin("coalesce(sum(gap), 0)", "edges")} AS span_bin
    FROM gaps GROUP BY c
), lifetime_senders AS MATERIALIZED (
    SELECT l.c, l.sessions_bin, l.span_bin, s.u FROM lifetimes l JOIN (SELECT DISTINCT c, u FROM gaps) s USING (c)
)
SELECT 'gap', '', bin, sum(n)::float8, count(*) FROM sums WHERE grouping_id = 3 GROUP BY bin
UNION ALL
SELECT 'gap_by_size', size_class::text, bin, sum(n)::float8, count(*) FROM sums WHERE grouping_id = 2
GROUP BY size_class, bin
UNION ALL
SELECT 'sessions', '', sessions_bin, count(DISTINCT c)::float8, count(DISTINCT u) FROM lifetime_senders
GROUP BY sessions_bin
UNION ALL
SELECT 'active_span', '', span_bin, count(DISTINCT c)::float8, count(DISTINCT u) FROM lifetime_senders
GROUP BY span_bin
UNION ALL
SELECT 'cv_sum_sq', '', 0, coalesce((SELECT sum(sq) FROM per_conversation), 0)::float8,
       (SELECT count(DISTINCT s.u) FROM sums s JOIN per_conversation p USING (c) WHERE s.grouping_id = 1)
UNION ALL
SELECT 'cv_gaps', '', 0, coalesce((SELECT sum(n) FROM per_conversation), 0)::float8,
       (SELECT count(DISTINCT s.u) FROM sums s JOIN per_conversation p USING (c) WHERE s.grouping_id = 1)
"""

READ_RECEIPTS = f"""
WITH reads AS MATERIALIZED (
    SELECT r."messageId", r."userId", m."senderId", m."conversationId",
           greatest(extract(epoch FROM r."readAt" - m."createdAt"), 0)::float8 AS delay
    FROM read_receipts r JOIN messages m ON m.id = r."messageId"
    WHERE {WINDOW} AND r."userId" <> m."senderId"
), read_messages AS (
    SELECT "senderId", "conversationId", count(*) AS readers FROM reads GROUP BY "messageId", 1, 2
), per_sender AS MATERIALIZED (
    -- messages with at least one reader, by readers bin ...
    SELECT rm."senderId", c.type, {_bin("rm.readers", "reader_edges")} AS bin, count(*) AS n
    FROM read_messages rm JOIN conversations c ON c.id = rm."conversationId" GROUP BY 1, 2, 3
), sent AS (
    SELECT m."senderId", c.type, count(*) AS n
    FROM messages m JOIN conversations c ON c.id = m."conversationId" WHERE {WINDOW} GROUP BY 1, 2
), unread AS (
    -- ... and the rest, without a reader (bin 0)
    SELECT s."senderId", s.type, s.n - coalesce(r.n, 0) AS n
    FROM sent s
    LEFT JOIN (SELECT "senderId", type, sum(n) AS n FROM per_sender GROUP BY 1, 2) r USING ("senderId", type)
), per_reader AS MATERIALIZED (
    SELECT "userId", {_bin("delay", "delay_edges")} AS bin,
           CASE WHEN delay <= 30 THEN 'within_30s' WHEN delay <= 3600 THEN 'within_1h' ELSE 'longer' END AS bucket,
           count(*) AS n
    FROM reads GROUP BY 1, 2, 3
)
SELECT 'direct', 'messages', 0, coalesce((SELECT sum(n) FROM sent WHERE type = 'DIRECT'), 0)::float8,
       (SELECT count(DISTINCT "senderId") FROM sent WHERE type = 'DIRECT')
UNION ALL
SELECT 'direct', 'read', 0, coalesce(sum(n), 0)::float8, count(DISTINCT "senderId")
FROM per_sender WHERE type = 'DIRECT'
UNION ALL
SELECT 'group_readers', '', bin, sum(n)::float8, count(DISTINCT "senderId") FROM (
    SELECT "senderId", bin, n FROM per_sender WHERE type = 'GROUP'
    UNION ALL
    SELECT "senderId", 0, n FROM unread WHERE type = 'GROUP' AND n > 0
) g GROUP BY bin
UNION ALL
SELECT 'delay', '', bin, sum(n)::float8, count(DISTINCT "userId") FROM per_reader GROUP BY bin
UNION ALL
SELECT 'delay_bucket', bucket, 0, sum(n)::float8, count(DISTINCT "userId") FROM per_reader GROUP BY bucket
"""

ATTACHMENTS = f"""
WITH per_sender AS MATERIALIZED (
    SELECT m."senderId", a.type,
           CASE WHEN a.type || ' ' || a."mimeType" = ANY(%(type_mimes)s::text[]) THEN a."mimeType" ELSE 'other' END
               AS mime,
           {_bin('greatest(a."fileSize", 0)', "edges")} AS bin,
           count(*) AS n
    FROM attachments a JOIN messages m ON m.id = a."messageId"
    WHERE {WINDOW} AND a.type = ANY(%(media)s::text[])
    GROUP BY 1, 2, 3, 4
)
SELECT 'type', type, 0, sum(n)::float8, count(DISTINCT "senderId") FROM per_sender GROUP BY type
UNION ALL
SELECT 'mime:' || type, mime, 0, sum(n)::float8, count(DISTINCT "senderId") FROM per_sender GROUP BY type, mime
UNION ALL
SELECT 'size:' || type, '', bin, sum(n)::float8, count(DISTINCT "senderId") FROM per_sender GROUP BY type, bin
"""

USERS = f"""
WITH sent AS (
    SELECT m."senderId" AS id, count(*) AS n FROM messages m WHERE {WINDOW} GROUP BY 1
), joined AS (
    SELECT "userId" AS id, count(*) AS n FROM conversation_users GROUP BY 1
), per_user AS MATERIALIZED (
    SELECT {_bin("coalesce(s.n, 0)", "activity_edges")} AS sent_bin,
           {_bin("coalesce(j.n, 0)", "activity_edges")} AS joined_bin,
           {_bin("char_length(u.username)", "username_edges")} AS username_bin,
           coalesce(u."displayName", '') <> '' AS display_name,
           coalesce(u."avatarUrl", '') <> '' AS avatar_url,
           coalesce(u.bio, '') <> '' AS bio,
           coalesce(u."phoneNumber", '') <> '' AS phone_number,
           u."lastSeenAt" IS NOT NULL AS last_seen,
           CASE WHEN u."deviceType" = ANY(%(devices)s::text[]) THEN u."deviceType" ELSE 'other' END AS device
    FROM users u LEFT JOIN sent s ON s.id = u.id LEFT JOIN joined j ON j.id = u.id
)
SELECT 'messages_sent', '', sent_bin, count(*)::float8, count(*) FROM per_user GROUP BY sent_bin
UNION ALL
SELECT 'conversations_joined', '', joined_bin, count(*)::float8, count(*) FROM per_user GROUP BY joined_bin
UNION ALL
SELECT 'username_length', '', username_bin, count(*)::float8, count(*) FROM per_user GROUP BY username_bin
UNION ALL
SELECT 'device', device, 0, count(*)::float8, count(*) FROM per_user GROUP BY device
UNION ALL
SELECT 'profile', f.label, 0, f.n::float8, f.n
FROM (SELECT count(*) FILTER (WHERE display_name) AS display_name, count(*) FILTER (WHERE avatar_url) AS avatar_url,
             count(*) FILTER (WHERE bio) AS bio, count(*) FILTER (WHERE phone_number) AS phone_number,
             count(*) FILTER (WHERE last_seen) AS last_seen FROM per_user) p
CROSS JOIN LATERAL (VALUES ('display_name', p.display_name), ('avatar_url', p.avatar_url), ('bio', p.bio),
                           ('phone_number', p.phone_number), ('last_seen', p.last_seen)) AS f(label, n)
"""

QUERIES: dict[str, LiteralString] = {
    "read_receipts": READ_RECEIPTS,
    "interarrival": INTERARRIVAL,
    "messages": MESSAGE_FACTS,
    "entities": ENTITIES,
    "attachments": ATTACHMENTS,
    "messages_per_conversation": MESSAGES_PER_CONVERSATION,
    "users": USERS,
    "conversations": CONVERSATIONS,
}
"""Every query the sampler runs, by metric family, heaviest first (so parallel connections finish together)."""
