"""Users of one user block: gibberish names, unroutable emails/phones/URLs, profile completeness, devices."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthcore.generate.draws import draw_choice, draw_int
from synthcore.generate.plan import DatasetPlan
from synthcore.generate.seeding import IdSpace, Purpose, keyed_uuids, stream
from synthcore.generate.tables.columns import bools, joined, labels, numbers, timestamps
from synthcore.generate.text import gibberish
from synthcore.generate.timeline import US_PER_S
from synthcore.spec.distribution import DEVICE_TYPES
from synthcore.spec.tables import TABLE_SCHEMAS

# Reserved, unroutable forms: RFC 2606 ".invalid" domains; phone numbers from ranges set aside for fiction
# (North American 555-0100..0199 and UK Ofcom 07700 900000..900999).
EMAIL_DOMAIN = "@example.invalid"
AVATAR_PREFIX = "https://avatars.example.invalid/u"
PHONE_FORMATS = (("+1 555 01", 100, 2), ("+44 7700 900", 1000, 3))
ACCOUNT_AGE_BEFORE_WINDOW_S = 365 * 86400


def build_users(plan: DatasetPlan, block: int) -> pa.Table:
    """The users table rows of ``block``."""
    spec, users = plan.spec, plan.spec.users
    per = spec.blocks.users_per_block
    index = np.arange(block * per, min((block + 1) * per, plan.counts.users), dtype=np.int64)
    n = index.size
    rng = stream(Purpose.USERS, block, plan.root)
    profile = users.profile
    has = {name: rng.random(n) < getattr(profile, name) for name in type(profile).model_fields}

    username = gibberish(rng, np.maximum(draw_int(users.username_length, rng, n), 3), spaces=False)
    display = pc.utf8_title(pc.utf8_trim_whitespace(gibberish(rng, rng.integers(6, 22, n), has["display_name"])))
    phone_format = rng.integers(0, 2, n)
    phone_number = np.where(phone_format == 0, rng.integers(0, 100, n), rng.integers(0, 1000, n))
    phone = pc.if_else(
        bools(phone_format == 0),
        joined(PHONE_FORMATS[0][0], pc.utf8_lpad(numbers(phone_number), 2, "0")),
        joined(PHONE_FORMATS[1][0], pc.utf8_lpad(numbers(phone_number), 3, "0")),
    )
    phone = pc.if_else(bools(has["phone_number"]), phone, pa.scalar(None, pa.string()))
    avatar = pc.if_else(
        bools(has["avatar_url"]), joined(AVATAR_PREFIX, numbers(index), ".png"), pa.scalar(None, pa.string())
    )
    bio = gibberish(rng, np.clip(rng.lognormal(3.8, 0.7, n), 5, 280).astype(np.int64), has["bio"])
    dm = users.device_mix
    device = labels(draw_choice(rng, np.array([getattr(dm, d) for d in DEVICE_TYPES]), n), DEVICE_TYPES)

    tl_start = int(spec.time.window_start.timestamp()) * US_PER_S
    tl_end = int(spec.time.window_end.timestamp()) * US_PER_S
    created = tl_start - (rng.random(n) * ACCOUNT_AGE_BEFORE_WINDOW_S * US_PER_S).astype(np.int64)
    updated = created + (rng.random(n) * (tl_end - created)).astype(np.int64)
    last_seen = tl_start + (rng.random(n) * (tl_end - tl_start)).astype(np.int64)

    columns = [
        keyed_uuids(IdSpace.USERS, index, plan.root),
        joined(username, ".", numbers(index), EMAIL_DOMAIN),
        username,
        display,
        phone,
        avatar,
        bio,
        device,
        timestamps(created),
        timestamps(updated),
        timestamps(last_seen, has["last_seen"]),
    ]
    return pa.Table.from_arrays(columns, schema=TABLE_SCHEMAS["users"])
