"""The dataset's statistics, computed by DuckDB: one named SQL definition per metric, aggregates out.

``stage_dataset`` copies the columns the metrics need into DuckDB temporary tables once (one scan of each
source table, which matters when the source is PostgreSQL), plus each message's gap after the one before it in its
conversation (one window pass, shared by every gap and session metric); every metric then runs against those. Only
aggregates leave DuckDB: bin counts, quantiles, category counts and shares.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import duckdb
import numpy as np
from numpy.typing import NDArray

from synthcore.errors import InputError
from synthcore.fidelity.source import quote_ident
from synthcore.spec.distribution import MEDIA_TYPES
from synthcore.spec.metrics_pack import SESSION_BREAK_S, SMALL_GROUP_MAX_MEMBERS

US_PER_HOUR = 3_600_000_000
US_PER_DAY = 24 * US_PER_HOUR

STAGE_SQL = (
    """CREATE OR REPLACE TEMP TABLE s_conversations AS
       SELECT c.id, c.type, count(cu."userId") AS members
       FROM conversations c LEFT JOIN conversation_users cu ON cu."conversationId" = c.id GROUP BY c.id, c.type""",
    """CREATE OR REPLACE TEMP TABLE s_messages AS
       SELECT m.id, m."conversationId" AS conv, m."senderId" AS sender, m.type, c.type AS conv_type,
              c.members AS conv_members,
              CASE WHEN m.type = 'TEXT' AND length(m.content) > 0 THEN length(m.content) END AS content_length,
              epoch_us(m."createdAt") AS created_us, m."replyToId" IS NOT NULL AS is_reply,
              m."editedAt" IS NOT NULL AS is_edited, m."isDeleted" AS is_deleted
       FROM messages m JOIN s_conversations c ON c.id = m."conversationId" """,
    # each message's gap after the one before it in its conversation (NULL for the first), microseconds
    """CREATE OR REPLACE TEMP TABLE s_gaps AS
       SELECT conv, created_us - lag(created_us) OVER (PARTITION BY conv ORDER BY created_us) AS gap_us
       FROM s_messages""",
    """CREATE OR REPLACE TEMP TABLE s_receipts AS
       SELECT r."messageId" AS message, r."userId" AS reader, (epoch_us(r."readAt") - m.created_us) / 1e6 AS delay_s,
              r."userId" <> m.sender AS by_other, m.conv_type
       FROM read_receipts r JOIN s_messages m ON m.id = r."messageId" """,
    """CREATE OR REPLACE TEMP TABLE s_users AS
       SELECT id, length(username) AS username_length,
              CASE WHEN "deviceType" IN ('ios', 'android', 'web', 'desktop') THEN "deviceType" ELSE 'other' END
                  AS device_type,
              coalesce("displayName", '') <> '' AS has_display_name, coalesce("avatarUrl", '') <> '' AS has_avatar_url,
              coalesce(bio, '') <> '' AS has_bio, coalesce("phoneNumber", '') <> '' AS has_phone_number,
              "lastSeenAt" IS NOT NULL AS has_last_seen
       FROM users""",
    """CREATE OR REPLACE TEMP TABLE s_per_conversation AS
       SELECT c.id, c.type, c.members, count(m.id) AS messages
       FROM s_conversations c LEFT JOIN s_messages m ON m.conv = c.id GROUP BY c.id, c.type, c.members""",
)

# Per-unit values of each numeric metric, as column ``x``; the comment names the unit. The definitions match
# the metrics pack's (synthcore.spec.metrics_pack) so a pack and a dataset are compared like for like.
NUMERIC_SQL: dict[str, str] = {
    # per conversation, including any without messages
    "messages_per_conversation": "SELECT messages AS x FROM s_per_conversation",
    # per GROUP conversation: every membership row, active or not
    "group_members": "SELECT members AS x FROM s_per_conversation WHERE type = 'GROUP'",
    # per TEXT message with non-empty content, in characters
    "content_length": "SELECT content_length AS x FROM s_messages WHERE content_length IS NOT NULL",
    # per consecutive pair of messages in one conversation (the staged gap_us), seconds
    "inter_arrival_s": "SELECT gap_us / 1e6 AS x FROM s_gaps WHERE gap_us IS NOT NULL",
    # per consecutive pair inside a session (gap below the session break) / between sessions, seconds
    "within_session_gap_s": f"SELECT gap_us / 1e6 AS x FROM s_gaps WHERE gap_us / 1e6 < {SESSION_BREAK_S}",
    "between_session_gap_s": f"SELECT gap_us / 1e6 AS x FROM s_gaps WHERE gap_us / 1e6 >= {SESSION_BREAK_S}",
    # per conversation with a message: sessions (a gap above the break starts one) and first-to-last span, seconds
    "sessions_per_conversation": f"""SELECT 1 + count(*) FILTER (WHERE gap_us > {SESSION_BREAK_S} * 1e6) AS x
                                     FROM s_gaps GROUP BY conv""",
    "active_span_s": "SELECT (max(created_us) - min(created_us)) / 1e6 AS x FROM s_messages GROUP BY conv",
    # per user: messages sent, including users who sent none
    "messages_per_user": """SELECT count(m.sender) AS x FROM s_users u LEFT JOIN s_messages m ON m.sender = u.id
                            GROUP BY u.id""",
    # per GROUP message: receipts by members other than the sender
    "group_readers": """SELECT count(r.message) AS x FROM s_messages m
                        LEFT JOIN s_receipts r ON r.message = m.id AND r.by_other
                        WHERE m.conv_type = 'GROUP' GROUP BY m.id""",
    # per receipt: seconds from the message to its reading
    "read_delay_s": "SELECT delay_s AS x FROM s_receipts",
    # per user, characters
    "username_length": "SELECT username_length AS x FROM s_users",
} | {
    # per attachment of one media type, bytes
    f"size_bytes.{media}": f"SELECT \"fileSize\" AS x FROM attachments WHERE type = '{media}'"
    for media in MEDIA_TYPES
}

# Category label and unit count of each categorical metric.
CATEGORY_SQL: dict[str, str] = {
    "message_type": "SELECT type AS label, count(*) AS n FROM s_messages GROUP BY 1",
    "media_type": "SELECT type AS label, count(*) AS n FROM s_messages WHERE type <> 'TEXT' GROUP BY 1",
    # UTC hour and weekday (Monday = 0; 1970-01-01 was a Thursday) by integer arithmetic on epoch microseconds
    "hour_of_day": f"SELECT ((created_us // {US_PER_HOUR}) % 24)::VARCHAR AS label, count(*) AS n FROM s_messages"
    " GROUP BY 1",
    "day_of_week": f"SELECT ((created_us // {US_PER_DAY} + 3) % 7)::VARCHAR AS label, count(*) AS n FROM s_messages"
    " GROUP BY 1",
    "device_type": "SELECT device_type AS label, count(*) AS n FROM s_users GROUP BY 1",
    "conversation_kind": f"""SELECT CASE WHEN type = 'DIRECT' THEN 'direct'
                                     WHEN members <= {SMALL_GROUP_MAX_MEMBERS} THEN 'small_group'
                                     ELSE 'large_group' END AS label, count(*) AS n
                             FROM s_conversations GROUP BY 1""",
    # observed member count of the conversation of each GROUP message (the condition for group_readers)
    "group_message_sizes": "SELECT conv_members::VARCHAR AS label, count(*) AS n FROM s_messages"
    " WHERE conv_type = 'GROUP' GROUP BY 1",
} | {
    f"mime_type.{media}": f"""SELECT "mimeType" AS label, count(*) AS n FROM attachments WHERE type = '{media}'
                              GROUP BY 1"""
    for media in MEDIA_TYPES
}

# Units of a dataset that are independent draws, for the sampling noise of a check (synthcore.stats.noise).
UNITS_SQL: dict[str, str] = {
    "messages": "SELECT count(*) FROM s_messages",
    "direct_messages": "SELECT count(*) FROM s_messages WHERE conv_type = 'DIRECT'",
    "users": "SELECT count(*) FROM s_users",
    "conversations": "SELECT count(*) FROM s_conversations",
    # a session starts at a conversation's first message and after every gap longer than the session break
    "sessions": f"SELECT count(*) FROM s_gaps WHERE gap_us IS NULL OR gap_us > {SESSION_BREAK_S} * 1e6",
    # the sessions of one conversation cluster in days: its (conversation, day) pairs are the weekday's draws
    "conversation_days": f"SELECT count(*) FROM (SELECT DISTINCT conv, created_us // {US_PER_DAY} FROM s_messages)",
}
# The independent units of the shares that are plain means of one draw per unit (``SHARE_CLUSTERS_SQL`` has the
# rest); heavy-room traffic moves by whole conversations.
SCALAR_UNITS = {"heavy_room_message_share": "conversations"} | {
    f"profile.{f}": "users" for f in ("display_name", "avatar_url", "bio", "phone_number", "last_seen")
}
# A direct message read by its other member (a semi-join: each message counts once, however many receipts it has).
READ_BY_OTHER = "id IN (SELECT message FROM s_receipts WHERE by_other AND conv_type = 'DIRECT')"
# Message-level shares as ratios of per-conversation sums (``num`` over ``den``, one row per conversation). The
# messages of one conversation share its members and readers, so they are not independent draws (a group message
# has as many receipts as readers): the conversation is the sampling unit, and the noise comes from these clusters.
SHARE_CLUSTERS_SQL: dict[str, str] = {
    "read_rate": """SELECT p.messages AS den, coalesce(r.n, 0) AS num FROM s_per_conversation p
                    LEFT JOIN (SELECT m.conv, count(*) AS n FROM s_receipts r JOIN s_messages m ON m.id = r.message
                               GROUP BY m.conv) r ON r.conv = p.id
                    WHERE p.messages > 0""",
    "direct_read_rate": f"""SELECT count(*) AS den, count_if({READ_BY_OTHER}) AS num FROM s_messages
                            WHERE conv_type = 'DIRECT' GROUP BY conv""",
    "reply_share": "SELECT count(*) AS den, count_if(is_reply) AS num FROM s_messages GROUP BY conv",
    "edited_share": "SELECT count(*) AS den, count_if(is_edited) AS num FROM s_messages GROUP BY conv",
    "deleted_share": "SELECT count(*) AS den, count_if(is_deleted) AS num FROM s_messages GROUP BY conv",
}

# Scalar shares; ``$min_messages`` is the heavy-room threshold.
SCALAR_SQL: dict[str, str] = {
    "heavy_room_message_share": """SELECT coalesce(sum(messages) FILTER (WHERE messages >= $min_messages), 0)
                                   / sum(messages) FROM s_per_conversation""",
    "read_rate": "SELECT (SELECT count(*) FROM s_receipts) / count(*) FROM s_messages",
    "direct_read_rate": f"SELECT count_if({READ_BY_OTHER}) / count(*) FROM s_messages WHERE conv_type = 'DIRECT'",
    "reply_share": "SELECT avg(is_reply::INT) FROM s_messages",
    "edited_share": "SELECT avg(is_edited::INT) FROM s_messages",
    "deleted_share": "SELECT avg(is_deleted::INT) FROM s_messages",
    "profile.display_name": "SELECT avg(has_display_name::INT) FROM s_users",
    "profile.avatar_url": "SELECT avg(has_avatar_url::INT) FROM s_users",
    "profile.bio": "SELECT avg(has_bio::INT) FROM s_users",
    "profile.phone_number": "SELECT avg(has_phone_number::INT) FROM s_users",
    "profile.last_seen": "SELECT avg(has_last_seen::INT) FROM s_users",
}


ENTITIES = ("users", "conversations", "messages")


def stage_dataset(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Copy the needed columns of the source views into temporary tables; return the entity counts.

    Raises:
        InputError: the dataset has no messages, users or conversations.
    """
    for statement in STAGE_SQL:
        con.execute(statement)
    counts = {name: int(_scalar(con, f"SELECT count(*) FROM s_{name}") or 0) for name in ENTITIES}
    empty = [name for name, n in counts.items() if n == 0]
    if empty:
        raise InputError(f"the dataset has no rows in: {', '.join(empty)}")
    return counts


def _scalar(con: duckdb.DuckDBPyConnection, query: str, params: dict[str, int] | None = None) -> float | None:
    row = con.execute(query, params or {}).fetchone()
    if row is None or row[0] is None or not np.isfinite(float(row[0])):
        return None  # no units (DuckDB's 0 / 0 is NaN): the share is undefined
    return float(row[0])


def _metric_table(con: duckdb.DuckDBPyConnection, metric: str) -> str:
    if metric not in NUMERIC_SQL:
        raise InputError(f"unknown numeric metric {metric!r}; known: {', '.join(NUMERIC_SQL)}")
    table = f"x_{metric}"
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {quote_ident(table)} AS {NUMERIC_SQL[metric]}")
    return table


def observe_histogram(
    con: duckdb.DuckDBPyConnection, metric: str, lower_edges: Sequence[float]
) -> tuple[NDArray[np.float64], int]:
    """Count a numeric metric's units in bins ``[lower_edges[i], lower_edges[i+1])``, the last bin open-ended.

    Units below the first edge are counted in the first bin. Returns the counts and the number of units.
    """
    table = _metric_table(con, metric)
    edges = np.asarray(lower_edges, dtype=np.float64)
    # histogram() puts v in the first boundary >= v; on -x with boundaries -edges that is the largest edge <= x.
    row = con.execute(
        f"SELECT histogram(-x, $b) FROM {quote_ident(table)}", {"b": sorted((-edges).tolist())}
    ).fetchone()
    counts = np.zeros(edges.size)
    if row is not None and row[0]:
        position = {float(e): i for i, e in enumerate(edges)}
        for boundary, n in row[0].items():
            counts[position.get(-float(boundary), 0)] += n
    return counts, int(counts.sum())


def observe_quantiles(con: duckdb.DuckDBPyConnection, metric: str, qs: Sequence[float]) -> list[float]:
    """Return exact quantiles of a numeric metric (``quantile_disc``: observed values, as integers stay integers).

    Raises:
        InputError: the metric has no units.
    """
    table = _metric_table(con, metric)
    row = con.execute(f"SELECT quantile_disc(x, $q) FROM {quote_ident(table)}", {"q": list(qs)}).fetchone()
    if row is None or row[0] is None:
        raise InputError(f"metric {metric!r} has no values in this dataset")
    return [float(v) for v in row[0]]


def observe_categories(con: duckdb.DuckDBPyConnection, metric: str) -> dict[str, int]:
    """Return the unit count of each category label of a categorical metric, in label order.

    A GROUP BY returns its groups in any order; a fixed one keeps every sum over them bit for bit the same, so the
    same data gives the same report.
    """
    if metric not in CATEGORY_SQL:
        raise InputError(f"unknown categorical metric {metric!r}; known: {', '.join(CATEGORY_SQL)}")
    counts = {str(label): int(n) for label, n in con.execute(CATEGORY_SQL[metric]).fetchall()}
    return dict(sorted(counts.items()))


def observe_units(con: duckdb.DuckDBPyConnection, units: str) -> int:
    """Number of independent units of a kind (``UNITS_SQL``) in the dataset."""
    if units not in UNITS_SQL:
        raise InputError(f"unknown units {units!r}; known: {', '.join(UNITS_SQL)}")
    return int(_scalar(con, UNITS_SQL[units]) or 0)


def observe_scalar(con: duckdb.DuckDBPyConnection, metric: str, min_messages: int | None = None) -> float | None:
    """Return a scalar share (None when it is undefined, e.g. no messages)."""
    if metric not in SCALAR_SQL:
        raise InputError(f"unknown scalar metric {metric!r}; known: {', '.join(SCALAR_SQL)}")
    params = None
    if "$min_messages" in SCALAR_SQL[metric]:
        if min_messages is None:
            raise InputError(f"metric {metric!r} needs the heavy-room threshold min_messages")
        params = {"min_messages": min_messages}
    return _scalar(con, SCALAR_SQL[metric], params)


def observe_share_spread(con: duckdb.DuckDBPyConnection, metric: str) -> tuple[float, int, float]:
    """Standard error of a message-level share clustered by conversation, the conversations, the effective ones.

    The effective conversations are how many carry the share (Kish: ``(sum den)^2 / sum den^2``; a few heavy rooms
    make it small). The ratio estimator's linearised variance: ``k / (k - 1) * sum((num - R * den)^2) / (sum den)^2``,
    expanded into integer sums that DuckDB adds exactly, so the same data gives the same bits whatever the order of
    its groups.
    """
    if metric not in SHARE_CLUSTERS_SQL:
        raise InputError(f"unknown clustered share {metric!r}; known: {', '.join(SHARE_CLUSTERS_SQL)}")
    row = con.execute(
        f"""WITH c AS (SELECT num::HUGEINT AS num, den::HUGEINT AS den FROM ({SHARE_CLUSTERS_SQL[metric]})
                       WHERE den > 0)
            SELECT count(*), sum(num), sum(den), sum(num * num), sum(num * den), sum(den * den) FROM c"""
    ).fetchone()
    k, n, d, nn, nd, dd = (int(v or 0) for v in row) if row else (0, 0, 0, 0, 0, 0)
    if k < 2:
        return float("nan"), k, 0.0
    # d^2 * sum((num - R * den)^2) with R = n / d, in integers
    squares = nn * d * d - 2 * n * nd * d + n * n * dd
    return math.sqrt(Fraction(squares * k, k - 1)) / (d * d), k, float(Fraction(d * d, dd))
