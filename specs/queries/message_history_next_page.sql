-- Message history, next page by keyset: the 50 messages older than the last one shown.
-- subjects: heavy_room, median_room
SELECT id, "senderId", type, content, "replyToId", "isDeleted", "createdAt", "editedAt"
FROM messages
WHERE "conversationId" = %(conversation_id)s AND "createdAt" < %(cursor_created_at)s
ORDER BY "createdAt" DESC
LIMIT 50
