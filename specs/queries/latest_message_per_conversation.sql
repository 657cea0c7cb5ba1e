-- The latest message of each of a user's active conversations (conversation list previews).
-- subjects: heavy_user, typical_user
SELECT cu."conversationId", last.id, last."senderId", last.content, last."createdAt"
FROM conversation_users cu
CROSS JOIN LATERAL (
    SELECT m.id, m."senderId", m.content, m."createdAt"
    FROM messages m
    WHERE m."conversationId" = cu."conversationId"
    ORDER BY m."createdAt" DESC
    LIMIT 1
) AS last
WHERE cu."userId" = %(user_id)s AND cu."isActive"
