"""A 'production' chat database full of fake personal data and unique canary strings, built with SQL only.

Independent of the generator: every row comes from generate_series and a seeded random(), so the sampler is
tested against data whose personal fields (emails, names, phones, addresses, message text, ids, URLs) are all
distinct canaries that must never reach the pack or the manifest.
"""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg

from synthcore import pg
from synthcore.spec.io import SPECS_DIR

WINDOW_END = datetime(2026, 6, 30, tzinfo=UTC)
USERS = 400
CONVERSATIONS = 160
MESSAGES = 24_000

SEED_SQL = """
SELECT setseed(0.42);
INSERT INTO users
SELECT md5('user' || i)::uuid,
       'canary.mail' || i || '@example-canary.com',
       'cnry_user_' || i,
       CASE WHEN i %% 7 <> 0
            THEN (ARRAY['Alice', 'Bruno', 'Chiara', 'Dmitri', 'Emeka'])[1 + i %% 5] || ' Canaryson' || i END,
       CASE WHEN i %% 3 = 0 THEN '+44 7700 9' || lpad(i::text, 5, '0') END,
       CASE WHEN i %% 2 = 0 THEN 'https://cdn.example-canary.com/avatar/' || i || '.png' END,
       CASE WHEN i %% 4 = 0 THEN 'Lives at ' || i || ' Canary Street, Springfield; IBAN GB82WEST12345698765432' END,
       (ARRAY['ios', 'android', 'web', 'desktop', 'toaster-' || i])[1 + i %% 5],
       %(end)s::timestamptz - interval '400 days' + i * interval '1 hour',
       %(end)s::timestamptz - interval '10 days',
       CASE WHEN i %% 10 <> 0 THEN %(end)s::timestamptz - i * interval '1 minute' END
FROM generate_series(1, %(users)s) AS i;

INSERT INTO conversations
SELECT md5('conv' || i)::uuid,
       CASE WHEN i %% 3 = 0 THEN 'GROUP' ELSE 'DIRECT' END,
       CASE WHEN i %% 3 = 0 THEN 'Canary group ' || i || ' of jane.canary@example-canary.com' END,
       md5('user' || (1 + i %% %(users)s))::uuid,
       %(end)s::timestamptz - interval '300 days',
       %(end)s::timestamptz - interval '1 day',
       %(end)s::timestamptz - interval '1 hour'
FROM generate_series(1, %(conversations)s) AS i;

-- DIRECT: 2 members; GROUP: 3..40 members (every 9th conversation is a large group of 30..40).
INSERT INTO conversation_users
SELECT md5('conv' || c)::uuid, md5('user' || (1 + (c * 37 + j * 11) %% %(users)s))::uuid,
       CASE WHEN j = 0 THEN 'OWNER' ELSE 'MEMBER' END, j %% 13 <> 12,
       %(end)s::timestamptz - interval '300 days', NULL, %(end)s::timestamptz - interval '2 hours'
FROM generate_series(1, %(conversations)s) AS c,
     generate_series(0, CASE WHEN c %% 3 <> 0 THEN 1 WHEN c %% 9 = 0 THEN 29 + c %% 11 ELSE 2 + c %% 8 END) AS j;

CREATE TEMP TABLE member_list AS
SELECT "conversationId", array_agg("userId" ORDER BY "userId") AS members FROM conversation_users GROUP BY 1;

INSERT INTO messages
SELECT md5('msg' || i)::uuid, ml."conversationId", ml.members[1 + (i * 7) %% cardinality(ml.members)],
       (ARRAY['TEXT', 'TEXT', 'TEXT', 'TEXT', 'TEXT', 'TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'AUDIO'])[1 + i %% 10],
       CASE WHEN i %% 10 < 6 THEN 'canary secret message ' || i || ' call me at +1 415 555 ' || lpad(i::text, 4, '0')
            || repeat(' blah', (i * 13) %% 60) END,
       NULL, i %% 97 = 0,
       %(end)s::timestamptz - (random() * 40) * interval '1 day',
       %(end)s::timestamptz, CASE WHEN i %% 31 = 0 THEN %(end)s::timestamptz END
FROM (SELECT i, 1 + floor(%(conversations)s * power(random(), 2))::int AS rn
      FROM generate_series(1, %(messages)s) AS i) AS g
JOIN (SELECT "conversationId", members, row_number() OVER (ORDER BY "conversationId") AS rn FROM member_list) ml
  ON ml.rn = g.rn;

INSERT INTO attachments
SELECT md5('att' || m.id)::uuid, m.id, m.type,
       CASE m.type
            WHEN 'IMAGE' THEN (ARRAY['image/jpeg', 'image/png', 'image/x-canary'])[1 + abs(hashtext(m.id::text)) %% 3]
                   WHEN 'VIDEO' THEN 'video/mp4' WHEN 'DOCUMENT' THEN 'application/pdf' ELSE 'audio/ogg' END,
       (1000 + abs(hashtext(m.id::text)) %% 5000000)::bigint,
       'https://files.example-canary.com/' || m.id || '/passport-scan.jpg',
       m."createdAt"
FROM messages m WHERE m.type <> 'TEXT';

INSERT INTO read_receipts
SELECT m.id, cu."userId", m."createdAt" + (random() * random() * 7200) * interval '1 second'
FROM messages m JOIN conversation_users cu ON cu."conversationId" = m."conversationId"
WHERE cu."userId" <> m."senderId" AND random() < 0.7;
ANALYZE;
"""

CANARY_SQL = """
SELECT v FROM (
    SELECT id::text AS v FROM users UNION ALL SELECT email FROM users UNION ALL SELECT username FROM users
    UNION ALL SELECT "displayName" FROM users UNION ALL SELECT "phoneNumber" FROM users
    UNION ALL SELECT "avatarUrl" FROM users UNION ALL SELECT bio FROM users UNION ALL SELECT "deviceType" FROM users
    UNION ALL SELECT id::text FROM conversations UNION ALL SELECT name FROM conversations
    UNION ALL SELECT id::text FROM messages UNION ALL SELECT content FROM messages
    UNION ALL SELECT id::text FROM attachments UNION ALL SELECT url FROM attachments
    UNION ALL SELECT "mimeType" FROM attachments
) s WHERE v IS NOT NULL AND v NOT IN ('ios', 'android', 'web', 'desktop', 'image/jpeg', 'image/png',
                                       'video/mp4', 'application/pdf', 'audio/ogg')
"""


def seed_production(dsn: str) -> list[str]:
    """Create the chat schema at ``dsn``, fill it with fake personal data, and return every canary string."""
    params = {"end": WINDOW_END, "users": USERS, "conversations": CONVERSATIONS, "messages": MESSAGES}
    with pg.connect(dsn, application_name="test-seed") as conn:
        conn.execute((SPECS_DIR / "schema.sql").read_text())
        with psycopg.ClientCursor(conn) as cur:  # client-side binding: one script, many statements
            cur.execute(SEED_SQL, params)
        conn.commit()
        return [row[0] for row in conn.execute(CANARY_SQL).fetchall()]
