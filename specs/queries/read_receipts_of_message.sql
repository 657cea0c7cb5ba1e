-- Read receipts of one message: who read it and when, in reading order.
-- subjects: heavy_room, median_room
SELECT r."userId", r."readAt"
FROM read_receipts r
WHERE r."messageId" = %(message_id)s
ORDER BY r."readAt"
