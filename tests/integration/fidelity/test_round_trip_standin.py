"""The production-faithful round trip: a stand-in production built without synthcore's generator (numpy, session
timing, bimodal conversation sizes, gamma content lengths) → sample → calibrate from the pack alone → generate at the
production counts → load; then shape distances computed here, in SQL and scipy (not by synthcore's fidelity module),
over both schemas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from synthcore import pg
from synthcore.calibrate import calibrate_spec
from synthcore.generate import generate_dataset
from synthcore.load import load_dataset
from synthcore.sample import SampleOptions, sample_shape
from synthcore.sample.keyed_ids import AnonymizationKey
from synthcore.spec.bands import Band, Counts
from synthcore.spec.distribution import Binned, DistributionSpec
from synthcore.spec.io import DEFAULT_SPEC_PATH, load_model
from tests.integration.fidelity import standin_production as standin

PROD, SYNTH = "prod", "synth"
KEY = AnonymizationKey(b"standin-round-trip-key-0123456789abcdef")
ROUND_TRIP_BOUND = 0.05
"""The issue's largest distance between production and the data of its calibrated spec."""

# Per-unit values of each shape statistic, for one schema; the window is the whole of both datasets.
VALUES_SQL = {
    "messages_per_conversation": 'SELECT count(*) FROM "{s}".messages GROUP BY "conversationId"',
    "content_length": """SELECT char_length(content) FROM "{s}".messages
                         WHERE type = 'TEXT' AND content IS NOT NULL AND content <> ''""",
    "within_conversation_gap_s": """SELECT g FROM (
        SELECT extract(epoch FROM "createdAt" - lag("createdAt") OVER (PARTITION BY "conversationId"
                                                                       ORDER BY "createdAt"))::float8 AS g
        FROM "{s}".messages) x WHERE g IS NOT NULL""",
    "messages_per_user": """SELECT count(m.id) FROM "{s}".users u LEFT JOIN "{s}".messages m ON m."senderId" = u.id
                            GROUP BY u.id""",
}
HOURS_SQL = """SELECT extract(hour FROM "createdAt" AT TIME ZONE 'UTC')::int, count(*) FROM "{s}".messages
               GROUP BY 1"""


def _values(conn: object, name: str, schema: str) -> np.ndarray:
    rows = conn.execute(VALUES_SQL[name].format(s=schema)).fetchall()  # type: ignore[attr-defined]
    return np.array([float(r[0]) for r in rows])


def _hours(conn: object, schema: str) -> np.ndarray:
    counts = np.zeros(24)
    for hour, n in conn.execute(HOURS_SQL.format(s=schema)).fetchall():  # type: ignore[attr-defined]
        counts[hour] = n
    return counts / counts.sum()


def distances(dsn: str, schema: str) -> dict[str, float]:
    """Two-sample KS distance of each shape statistic and TV distance of hours: production vs ``schema``."""
    out: dict[str, float] = {}
    with pg.connect(dsn, application_name="test-distances") as conn:
        for name in VALUES_SQL:
            ks = stats.ks_2samp(_values(conn, name, PROD), _values(conn, name, schema)).statistic
            out[f"{name}.ks"] = float(ks)
        out["hour_of_day.tv"] = float(0.5 * np.abs(_hours(conn, PROD) - _hours(conn, schema)).sum())
    return out


@pytest.fixture(scope="module")
def production(pg_server, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Counts]:  # type: ignore[no-untyped-def]
    dsn: str = pg_server.create_database("standin")
    size = standin.seed(dsn, PROD, standin.build())
    return dsn, Counts(users=size.users, conversations=size.conversations, messages=size.messages)


@pytest.fixture(scope="module")
def round_trip(production: tuple[str, Counts], tmp_path_factory: pytest.TempPathFactory) -> dict[str, float]:
    dsn, counts = production
    root = tmp_path_factory.mktemp("standin")
    options = SampleOptions(window_days=standin.WINDOW_DAYS, window_end=standin.WINDOW_END, schema=PROD)
    pack = sample_shape(dsn, KEY, options).pack
    spec, report = calibrate_spec(pack, load_model(DistributionSpec, DEFAULT_SPEC_PATH))
    scale = report.production_counts
    assert scale is not None and abs(scale.messages - counts.messages) <= 5  # counts are rounded to 5
    assert isinstance(spec.messages.per_conversation, Binned)  # the second mode is not a power law
    generate_dataset(root / "synth", band=Band.CI, seed="standin", spec=spec, counts=scale, workers=1)
    load_dataset(dsn, root / "synth", schema=SYNTH, runs_dir=root / "runs")
    found = distances(dsn, SYNTH)
    print("stand-in round trip distances:", {k: round(v, 4) for k, v in found.items()})
    return found


@pytest.mark.parametrize(
    "name",
    [
        "messages_per_conversation.ks",
        "content_length.ks",
        "within_conversation_gap_s.ks",
        "messages_per_user.ks",
        "hour_of_day.tv",
    ],
)
def test_the_calibrated_data_has_production_shape(round_trip: dict[str, float], name: str) -> None:
    assert round_trip[name] <= ROUND_TRIP_BOUND, round_trip


def test_the_default_spec_is_far_from_the_stand_in(production: tuple[str, Counts], tmp_path: Path) -> None:
    """The distances can fail: the default spec (not calibrated) at the same counts is off the bound on timing and
    sizes."""
    dsn, counts = production
    generate_dataset(tmp_path / "default", band=Band.CI, seed="default", counts=counts, workers=1)
    load_dataset(dsn, tmp_path / "default", schema="synth_default", runs_dir=tmp_path / "runs")
    found = distances(dsn, "synth_default")
    assert found["within_conversation_gap_s.ks"] > ROUND_TRIP_BOUND, found
    assert found["messages_per_conversation.ks"] > 2 * ROUND_TRIP_BOUND, found
