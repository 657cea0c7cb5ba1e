-- Message history: the newest page (50) of a conversation, newest first.
-- subjects: heavy_room, median_room
SELECT id, "senderId", type, content, "replyToId", "isDeleted", "createdAt", "editedAt"
FROM messages
WHERE "conversationId" = %(conversation_id)s
ORDER BY "createdAt" DESC
LIMIT 50
