"""A realistic stand-in production chat database, built with numpy alone (never synthcore's generator).

Its shape is deliberately not one the generator's default laws describe, so that a round trip through sample →
calibrate → generate cannot succeed by recovering the generator's own parameters:

- session-structured timing: messages come in sessions (geometric length, gaps of seconds, log-normal around
  25 s), sessions are hours to days apart (log-normal around 10 h), session starts follow a strong diurnal profile,
  and conversations start anywhere in (or before) the window and live for a small part of it;
- messages per conversation with a second mode: many short conversations plus a log-normal mode of medium ones
  and a few busy rooms;
- content lengths from a mixture of two gamma laws (an exponential tail, lighter than a log-normal's);
- users of Pareto activity who join conversations and send in proportion to it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from synthcore import pg
from synthcore.spec.io import SPECS_DIR

WINDOW_END = datetime(2026, 6, 30, tzinfo=UTC)
WINDOW_DAYS = 60
US = 1_000_000
DAY_US = 86_400 * US
HOUR_PROFILE = 1.0 + 0.8 * np.sin((np.arange(24) - 9) / 24 * 2 * np.pi)  # peak mid-afternoon UTC, trough at night


@dataclass(frozen=True)
class StandIn:
    """Sizes of the stand-in and the window it was measured in."""

    users: int
    conversations: int
    messages: int


def _uuid(prefix: int, index: np.ndarray) -> list[str]:
    return [f"{prefix:08x}-0000-4000-8000-{i:012x}" for i in index.tolist()]


def _diurnal_shift(rng: np.random.Generator, t_us: np.ndarray) -> np.ndarray:
    """Move each time forward to an hour accepted with probability profile / max (thinning), vectorised."""
    out = t_us.copy()
    pending = np.arange(out.size)
    accept = HOUR_PROFILE / HOUR_PROFILE.max()
    while pending.size:
        hours = (out[pending] // (3600 * US)) % 24
        ok = rng.random(pending.size) < accept[hours]
        pending = pending[~ok]
        out[pending] += (rng.exponential(2 * 3600, pending.size) * US).astype(np.int64)
    return out


def build(seed: int = 7, users: int = 4000, conversations: int = 6000) -> dict[str, pa.Table]:
    """Every table of the stand-in as Arrow tables (columns named as in specs/schema.sql)."""
    rng = np.random.default_rng(seed)
    end_us = int(WINDOW_END.timestamp()) * US
    start_us = end_us - WINDOW_DAYS * DAY_US

    weight = rng.pareto(1.6, users) + 1.0
    group = rng.random(conversations) < 0.25
    size = np.where(group, np.minimum(3 + rng.geometric(0.3, conversations) - 1, 20), 2)
    kind = rng.random(conversations)
    count = np.where(
        kind < 0.6,
        rng.geometric(0.25, conversations),  # short exchanges, mean 4
        np.where(
            kind < 0.99,
            np.round(rng.lognormal(np.log(40), 0.6, conversations)),  # a second mode of medium conversations
            np.round(rng.lognormal(np.log(800), 0.5, conversations)),  # a few busy rooms
        ),
    ).astype(np.int64)
    count = np.maximum(count, 1)

    # members: distinct users drawn by weight (a loop over conversations: test set-up, not a hot path)
    p = weight / weight.sum()
    member_user = [rng.choice(users, size=s, replace=False, p=p) for s in size]

    # sessions: geometric lengths (mean 6), in-session gaps ~ log-normal(25 s), between sessions ~ log-normal(10 h)
    conv_of = np.repeat(np.arange(conversations), count)
    n = conv_of.size
    first = np.r_[True, conv_of[1:] != conv_of[:-1]]
    new_session = first | (rng.random(n) < 1 / 6)
    within = rng.lognormal(np.log(25), 1.0, n) * US
    between = rng.lognormal(np.log(10 * 3600), 1.2, n) * US
    gap = np.where(first, 0.0, np.where(new_session, between, within)).astype(np.int64)
    session = np.cumsum(new_session) - 1
    session_rows = np.flatnonzero(new_session)
    # conversations start uniformly from 20 days before the window to its end; session starts are thinned onto the
    # diurnal profile, messages inside a session follow their session start by real gaps
    conv_start = start_us - 20 * DAY_US + (rng.random(conversations) * (WINDOW_DAYS + 20) * DAY_US).astype(np.int64)
    elapsed = np.cumsum(gap)
    raw_start = conv_start[conv_of[session_rows]] + elapsed[session_rows] - elapsed[first][conv_of[session_rows]]
    session_start = _diurnal_shift(rng, raw_start)  # sessions that now overlap interleave (sorted below)
    in_session = np.where(new_session, 0, gap)
    csum = np.cumsum(in_session)
    offset = csum - csum[session_rows][session]
    created = session_start[session] + offset + np.arange(n) % 997  # distinct microseconds within a conversation
    keep = (created >= start_us) & (created < end_us)
    conv_of, created = conv_of[keep], created[keep]
    used = np.unique(conv_of)
    remap = np.full(conversations, -1)
    remap[used] = np.arange(used.size)
    conv_of = remap[conv_of]
    order = np.lexsort((created, conv_of))
    conv_of, created = conv_of[order], created[order]
    size, member_user = size[used], [member_user[i] for i in used]
    n, n_conv = conv_of.size, used.size

    # senders in proportion to weight among the conversation's members
    offsets = np.r_[0, np.cumsum(size)]
    members_flat = np.concatenate(member_user)
    mw = weight[members_flat]
    cum = np.cumsum(mw)
    lo = np.r_[0.0, cum][offsets[:-1]]
    hi = cum[offsets[1:] - 1]
    target = lo[conv_of] + rng.random(n) * (hi - lo)[conv_of]
    sender_row = np.clip(np.searchsorted(cum, target, side="right"), offsets[conv_of], offsets[conv_of + 1] - 1)
    sender = members_flat[sender_row]

    media = rng.random(n) < 0.1
    mtype = np.where(media, np.array(["IMAGE", "VIDEO", "DOCUMENT", "AUDIO"])[rng.integers(0, 4, n)], "TEXT")
    short = rng.random(n) < 0.55
    length = np.where(short, rng.gamma(2.0, 8.0, n), rng.gamma(4.0, 20.0, n))
    length = np.clip(np.ceil(length), 1, 1000).astype(np.int64)
    deleted = rng.random(n) < 0.01
    text = (mtype == "TEXT") & ~deleted
    alphabet = "abcdefghij klmnopqrstu vwxyz"
    pool = "".join(rng.choice(list(alphabet), 4000))
    content = [pool[i % 2000 : i % 2000 + L] if t else None for i, L, t in zip(range(n), length, text, strict=True)]
    position = np.arange(n) - np.r_[0, np.cumsum(np.bincount(conv_of, minlength=n_conv))][conv_of]
    reply = (rng.random(n) < 0.12) & (position > 0)
    msg_ids = _uuid(3, np.arange(n))
    reply_to = [msg_ids[i - 1] if r else None for i, r in enumerate(reply.tolist())]
    edited = (rng.random(n) < 0.04) & ~deleted

    def ts(values: np.ndarray) -> pa.Array:
        return pa.array(values, pa.timestamp("us", tz="UTC"))

    user_ids = _uuid(1, np.arange(users))
    conv_ids = _uuid(2, np.arange(n_conv))
    first_msg = created[np.r_[0, np.cumsum(np.bincount(conv_of, minlength=n_conv))][:-1]]
    last_msg = created[np.cumsum(np.bincount(conv_of, minlength=n_conv)) - 1]
    member_conv = np.repeat(np.arange(n_conv), size)
    receipts_mask = (rng.random(n) < 0.8) & (size[conv_of] == 2)
    receipt_msg = np.flatnonzero(receipts_mask)
    other = np.where(
        members_flat[offsets[conv_of[receipt_msg]]] == sender[receipt_msg],
        members_flat[offsets[conv_of[receipt_msg]] + 1],
        members_flat[offsets[conv_of[receipt_msg]]],
    )
    media_rows = np.flatnonzero(media)
    mime = {"IMAGE": "image/jpeg", "VIDEO": "video/mp4", "DOCUMENT": "application/pdf", "AUDIO": "audio/ogg"}
    return {
        "users": pa.table(
            {
                "id": user_ids,
                "email": [f"user{i}@example.invalid" for i in range(users)],
                "username": [f"user_{i:05d}" for i in range(users)],
                "displayName": [None] * users,
                "phoneNumber": [None] * users,
                "avatarUrl": [None] * users,
                "bio": [None] * users,
                "deviceType": np.array(["ios", "android", "web"])[np.arange(users) % 3],
                "createdAt": ts(np.full(users, start_us - 100 * DAY_US)),
                "updatedAt": ts(np.full(users, start_us - 100 * DAY_US)),
                "lastSeenAt": ts(np.full(users, end_us - DAY_US)),
            }
        ),
        "conversations": pa.table(
            {
                "id": conv_ids,
                "type": np.where(size > 2, "GROUP", "DIRECT"),
                "name": [None] * n_conv,
                "createdById": [user_ids[u[0]] for u in member_user],
                "createdAt": ts(first_msg - US),
                "updatedAt": ts(last_msg),
                "lastMessageAt": ts(last_msg),
            }
        ),
        "conversation_users": pa.table(
            {
                "conversationId": [conv_ids[c] for c in member_conv],
                "userId": [user_ids[u] for u in members_flat],
                "role": np.where(np.arange(members_flat.size) == offsets[member_conv], "OWNER", "MEMBER"),
                "isActive": np.ones(members_flat.size, dtype=bool),
                "joinedAt": ts(first_msg[member_conv] - US),
                "leftAt": pa.nulls(members_flat.size, pa.timestamp("us", tz="UTC")),
                "lastReadAt": ts(last_msg[member_conv]),
            }
        ),
        "messages": pa.table(
            {
                "id": msg_ids,
                "conversationId": [conv_ids[c] for c in conv_of],
                "senderId": [user_ids[u] for u in sender],
                "type": mtype,
                "content": pa.array(content, pa.string()),
                "replyToId": pa.array(reply_to, pa.string()),
                "isDeleted": deleted,
                "createdAt": ts(created),
                "updatedAt": ts(created),
                "editedAt": pa.array(
                    np.where(edited, created + 60 * US, 0), pa.timestamp("us", tz="UTC"), mask=~edited
                ),
            }
        ),
        "attachments": pa.table(
            {
                "id": _uuid(4, media_rows),
                "messageId": [msg_ids[i] for i in media_rows],
                "type": mtype[media_rows],
                "mimeType": [mime[t] for t in mtype[media_rows]],
                "fileSize": np.round(rng.lognormal(12.0, 1.0, media_rows.size)).astype(np.int64),
                "url": [f"https://files.example.invalid/{i}" for i in media_rows],
                "createdAt": ts(created[media_rows]),
            }
        ),
        "read_receipts": pa.table(
            {
                "messageId": [msg_ids[i] for i in receipt_msg],
                "userId": [user_ids[u] for u in other],
                "readAt": ts(
                    created[receipt_msg] + (rng.lognormal(np.log(120), 1.5, receipt_msg.size) * US).astype(np.int64) + 1
                ),
            }
        ),
    }


def seed(dsn: str, schema: str, tables: dict[str, pa.Table]) -> StandIn:
    """Create ``schema`` at ``dsn`` with the chat tables and copy ``tables`` into it."""
    with pg.connect(dsn, application_name="test-standin") as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}"')
        conn.execute((SPECS_DIR / "schema.sql").read_text())
        for name, table in tables.items():
            buffer = io.BytesIO()
            pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False))
            columns = ", ".join(f'"{c}"' for c in table.column_names)
            with conn.cursor().copy(f'COPY "{name}" ({columns}) FROM STDIN (FORMAT csv)') as copy:
                copy.write(buffer.getvalue())
        conn.execute("ANALYZE")
        conn.commit()
    return StandIn(tables["users"].num_rows, tables["conversations"].num_rows, tables["messages"].num_rows)
