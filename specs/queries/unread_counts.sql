-- Unread counts per conversation for a user: others' messages newer than the user's lastReadAt.
-- subjects: heavy_user, typical_user
SELECT cu."conversationId", count(m.id) AS unread
FROM conversation_users cu
JOIN messages m ON m."conversationId" = cu."conversationId"
    AND m."createdAt" > coalesce(cu."lastReadAt", '-infinity')
    AND m."senderId" <> cu."userId"
WHERE cu."userId" = %(user_id)s AND cu."isActive"
GROUP BY cu."conversationId"
