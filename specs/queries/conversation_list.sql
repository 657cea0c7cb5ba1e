-- A user's conversation list: active memberships, most recently updated first.
-- subjects: heavy_user, typical_user
SELECT c.id, c.type, c.name, c."updatedAt", c."lastMessageAt"
FROM conversation_users cu
JOIN conversations c ON c.id = cu."conversationId"
WHERE cu."userId" = %(user_id)s AND cu."isActive"
ORDER BY c."updatedAt" DESC
LIMIT 50
