-- Parameter pickers for the hot-path query catalog: each named block returns one row whose columns are the
-- parameters (%(name)s) of the queries that list the subject. Picks are deterministic (ties broken by id).

-- subject: heavy_room
-- The conversation with the most messages; the cursor is its 50th newest message, the message its most-read one.
-- The room's messages are read once (a materialized CTE) for both.
WITH sizes AS (SELECT "conversationId" AS id, count(*) AS n FROM messages GROUP BY 1),
     room AS (SELECT id, n FROM sizes ORDER BY n DESC, id LIMIT 1),
     room_messages AS MATERIALIZED (SELECT m.id, m."createdAt" FROM messages m JOIN room ON m."conversationId" = room.id)
SELECT room.id AS conversation_id,
       (SELECT "createdAt" FROM room_messages ORDER BY "createdAt" DESC OFFSET least(49, room.n - 1) LIMIT 1)
           AS cursor_created_at,
       (SELECT r."messageId" FROM read_receipts r JOIN room_messages m ON m.id = r."messageId"
        GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1) AS message_id
FROM room;

-- subject: median_room
-- The conversation at the median message count; cursor and message chosen as for heavy_room (its newest message
-- when none of its messages was read).
WITH sizes AS (SELECT "conversationId" AS id, count(*) AS n FROM messages GROUP BY 1),
     room AS (SELECT id, n FROM sizes ORDER BY n, id OFFSET (SELECT count(*) / 2 FROM sizes) LIMIT 1),
     room_messages AS MATERIALIZED (SELECT m.id, m."createdAt" FROM messages m JOIN room ON m."conversationId" = room.id)
SELECT room.id AS conversation_id,
       (SELECT "createdAt" FROM room_messages ORDER BY "createdAt" DESC OFFSET least(49, room.n - 1) LIMIT 1)
           AS cursor_created_at,
       coalesce(
           (SELECT r."messageId" FROM read_receipts r JOIN room_messages m ON m.id = r."messageId"
            GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1),
           (SELECT id FROM room_messages ORDER BY "createdAt" DESC, id LIMIT 1)) AS message_id
FROM room;

-- subject: heavy_user
-- The user with the most active conversations.
SELECT "userId" AS user_id FROM conversation_users WHERE "isActive"
GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1;

-- subject: typical_user
-- The user at the median number of active conversations.
WITH sizes AS (SELECT "userId" AS id, count(*) AS n FROM conversation_users WHERE "isActive" GROUP BY 1)
SELECT id AS user_id FROM sizes ORDER BY n, id OFFSET (SELECT count(*) / 2 FROM sizes) LIMIT 1;
