"""Generated data against the spec: KS for lengths and room sizes, shares, member counts, hourly profile."""

import numpy as np
import pytest
from scipy import stats

from synthcore.generate.plan import build_plan
from synthcore.spec.bands import Band, resolve_counts
from synthcore.spec.distribution import MEDIA_TYPES, DistributionSpec
from synthcore.spec.io import DEFAULT_SPEC_PATH, load_model

SPEC = load_model(DistributionSpec, DEFAULT_SPEC_PATH)


def _column(db, sql: str) -> np.ndarray:
    return db.execute(sql).fetchnumpy()[db.execute(sql).description[0][0]]


def test_content_length_matches_lognormal(ci_db):
    lengths = _column(ci_db, "SELECT length(content) AS n FROM messages WHERE content IS NOT NULL")
    d = SPEC.messages.content_length
    jittered = lengths + np.random.default_rng(0).random(lengths.size)  # integer part of a continuous draw
    clipped = stats.lognorm(s=d.sigma, scale=np.exp(d.mu))
    inside = (jittered >= d.min + 1) & (jittered < d.max)  # away from the clipping masses
    cdf = lambda x: (clipped.cdf(x) - clipped.cdf(d.min + 1)) / (clipped.cdf(d.max) - clipped.cdf(d.min + 1))  # noqa: E731
    ks = stats.kstest(jittered[inside], cdf).statistic
    assert ks < 0.02
    assert np.median(lengths) == pytest.approx(np.exp(d.mu), rel=0.05)


def test_messages_per_conversation_match_power_law(ci_db):
    plan = build_plan(SPEC, resolve_counts(Band.CI), "s1")
    eff = plan.effective
    counts = _column(ci_db, 'SELECT count(*) AS n FROM messages GROUP BY "conversationId"')
    body = np.sort(counts)[: counts.size - int(eff["heavy_rooms"])]
    a, xmin, xmax = eff["body_alpha"] - 1, eff["body_xmin"], eff["body_xmax"]
    scaled = (body + np.random.default_rng(0).random(body.size) - 0.5) / eff["body_scale"]
    cdf = lambda x: np.clip((1 - (xmin / np.maximum(x, xmin)) ** a) / (1 - (xmin / xmax) ** a), 0, 1)  # noqa: E731
    assert stats.kstest(scaled, cdf).statistic < 0.06
    assert counts.sum() == 50_000 and (np.sort(counts)[-int(eff["heavy_rooms"]) :] >= 10_000).all()


def test_type_and_media_shares(ci_db):
    rows = dict(ci_db.execute("SELECT type, count(*) FROM messages GROUP BY type").fetchall())
    total = sum(rows.values())
    media = total - rows["TEXT"]
    assert media / total == pytest.approx(SPEC.messages.media_share, abs=0.01)
    for media_type in MEDIA_TYPES:
        assert rows[media_type] / media == pytest.approx(getattr(SPEC.messages.media_mix, media_type), abs=0.02)


def test_member_counts_by_kind(ci_db):
    sizes = ci_db.execute("""SELECT c.type, count(*) AS n FROM conversation_users cu
        JOIN conversations c ON c.id = cu."conversationId" GROUP BY c.id, c.type""").fetchall()
    groups = np.array([n for t, n in sizes if t == "GROUP"])
    direct = [n for t, n in sizes if t == "DIRECT"]
    mix = SPEC.conversations.type_mix
    assert len(direct) / len(sizes) == pytest.approx(mix.direct, abs=0.03)
    assert set(direct) == {2} and groups.min() >= 3 and groups.max() <= 256
    large_share = (groups >= 21).mean()
    assert large_share == pytest.approx(mix.large_group / (mix.small_group + mix.large_group), abs=0.05)
    small = groups[groups <= 20]
    g = SPEC.conversations.small_group_members
    expected = g.min + (1 - g.p) / g.p - ((1 - g.p) ** (g.max - g.min + 1)) / g.p  # mean of the clipped geometric
    assert small.mean() == pytest.approx(expected, rel=0.08)


def test_hourly_profile(ci_db):
    hours = dict(
        ci_db.execute("""SELECT hour("createdAt" AT TIME ZONE 'UTC') AS h, count(*) FROM messages
        GROUP BY h""").fetchall()
    )
    observed = np.array([hours.get(h, 0) for h in range(24)], dtype=float)
    expected = np.asarray(SPEC.time.hour_profile)
    tv = 0.5 * np.abs(observed / observed.sum() - expected / expected.sum()).sum()
    assert tv < 0.05
    peak, trough = observed[[9, 10, 11, 18, 19, 20]].mean(), observed[[2, 3, 4]].mean()
    assert 2.0 < peak / trough < 3.1


def test_direct_read_rate(ci_db):
    rate = ci_db.execute("""SELECT count(rr."messageId") / count(DISTINCT m.id) FROM messages m
        JOIN conversations c ON c.id = m."conversationId" AND c.type = 'DIRECT'
        LEFT JOIN read_receipts rr ON rr."messageId" = m.id""").fetchone()[0]
    assert rate == pytest.approx(SPEC.read_receipts.direct_read_probability, abs=0.02)
