-- Phase-2 tuning candidates: composite indexes for the hot-path queries in specs/queries/.
-- Applied after the "before" baseline; the "after" baseline measures what they change.
CREATE INDEX "messages_conversationId_createdAt_idx" ON messages ("conversationId", "createdAt" DESC);
CREATE INDEX "conversation_users_userId_isActive_idx" ON conversation_users ("userId", "isActive") INCLUDE ("conversationId");
CREATE INDEX "conversations_updatedAt_idx" ON conversations ("updatedAt" DESC);
