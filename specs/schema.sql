-- The chat application's production schema, as its Prisma app creates it: quoted camelCase columns, UUID keys.
-- Holds only the baseline indexes production has before tuning (primary keys and the unique email);
-- the tuning candidates are in indexes/phase-2.sql. Foreign keys as Prisma declares them.
-- Sections ("-- keys", "-- foreign keys") let a bulk loader create tables first and keys after the data.

CREATE TABLE users (
    id uuid NOT NULL,
    email text NOT NULL,
    username text NOT NULL,
    "displayName" text,
    "phoneNumber" text,
    "avatarUrl" text,
    bio text,
    "deviceType" text,
    "createdAt" timestamptz NOT NULL,
    "updatedAt" timestamptz NOT NULL,
    "lastSeenAt" timestamptz
);

CREATE TABLE conversations (
    id uuid NOT NULL,
    type text NOT NULL,
    name text,
    "createdById" uuid,
    "createdAt" timestamptz NOT NULL,
    "updatedAt" timestamptz NOT NULL,
    "lastMessageAt" timestamptz,
    CONSTRAINT conversations_type_check CHECK (type IN ('DIRECT', 'GROUP'))
);

CREATE TABLE conversation_users (
    "conversationId" uuid NOT NULL,
    "userId" uuid NOT NULL,
    role text NOT NULL,
    "isActive" boolean NOT NULL,
    "joinedAt" timestamptz NOT NULL,
    "leftAt" timestamptz,
    "lastReadAt" timestamptz,
    CONSTRAINT conversation_users_role_check CHECK (role IN ('OWNER', 'ADMIN', 'MEMBER'))
);

CREATE TABLE messages (
    id uuid NOT NULL,
    "conversationId" uuid NOT NULL,
    "senderId" uuid NOT NULL,
    type text NOT NULL,
    content text,
    "replyToId" uuid,
    "isDeleted" boolean NOT NULL,
    "createdAt" timestamptz NOT NULL,
    "updatedAt" timestamptz NOT NULL,
    "editedAt" timestamptz,
    CONSTRAINT messages_type_check CHECK (type IN ('TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'AUDIO'))
);

CREATE TABLE attachments (
    id uuid NOT NULL,
    "messageId" uuid NOT NULL,
    type text NOT NULL,
    "mimeType" text NOT NULL,
    "fileSize" bigint NOT NULL,
    url text NOT NULL,
    "createdAt" timestamptz NOT NULL
);

CREATE TABLE read_receipts (
    "messageId" uuid NOT NULL,
    "userId" uuid NOT NULL,
    "readAt" timestamptz NOT NULL
);

-- keys
ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY (id);
CREATE UNIQUE INDEX users_email_key ON users (email);
ALTER TABLE conversations ADD CONSTRAINT conversations_pkey PRIMARY KEY (id);
ALTER TABLE conversation_users ADD CONSTRAINT conversation_users_pkey PRIMARY KEY ("conversationId", "userId");
ALTER TABLE messages ADD CONSTRAINT messages_pkey PRIMARY KEY (id);
ALTER TABLE attachments ADD CONSTRAINT attachments_pkey PRIMARY KEY (id);
ALTER TABLE read_receipts ADD CONSTRAINT read_receipts_pkey PRIMARY KEY ("messageId", "userId");

-- foreign keys
ALTER TABLE conversations ADD CONSTRAINT "conversations_createdById_fkey"
    FOREIGN KEY ("createdById") REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE conversation_users ADD CONSTRAINT "conversation_users_conversationId_fkey"
    FOREIGN KEY ("conversationId") REFERENCES conversations (id) ON DELETE CASCADE;
ALTER TABLE conversation_users ADD CONSTRAINT "conversation_users_userId_fkey"
    FOREIGN KEY ("userId") REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE messages ADD CONSTRAINT "messages_conversationId_fkey"
    FOREIGN KEY ("conversationId") REFERENCES conversations (id) ON DELETE CASCADE;
ALTER TABLE messages ADD CONSTRAINT "messages_senderId_fkey"
    FOREIGN KEY ("senderId") REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE messages ADD CONSTRAINT "messages_replyToId_fkey"
    FOREIGN KEY ("replyToId") REFERENCES messages (id) ON DELETE SET NULL;
ALTER TABLE attachments ADD CONSTRAINT "attachments_messageId_fkey"
    FOREIGN KEY ("messageId") REFERENCES messages (id) ON DELETE CASCADE;
ALTER TABLE read_receipts ADD CONSTRAINT "read_receipts_messageId_fkey"
    FOREIGN KEY ("messageId") REFERENCES messages (id) ON DELETE CASCADE;
ALTER TABLE read_receipts ADD CONSTRAINT "read_receipts_userId_fkey"
    FOREIGN KEY ("userId") REFERENCES users (id) ON DELETE CASCADE;
