"""Privacy end to end on a stand-in production built for it (boundary_db): the pack suppresses exactly the cells
with fewer than k distinct users, whatever their row counts; nothing is written when the pack or the manifest is dirty;
parallel workers see one snapshot while a writer commits.
"""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from synthcore.errors import InputError, PrivacyViolation
from synthcore.sample import DisclosurePolicy, SampleOptions, export_pack, publish, sample_shape
from synthcore.sample.keyed_ids import AnonymizationKey
from synthcore.sample.publish import OPERATOR_ENV
from synthcore.spec.metrics_pack import MetricsPack
from tests.integration.sample.boundary_db import BURSTINESS_USERS, CELLS, WINDOW_END, seed_boundaries

SECRET = "boundary-test-hmac-key-0123456789-abcdefghij"
KEY = AnonymizationKey(SECRET.encode())
K_VALUES = sorted({c.users + d for c in CELLS for d in (0, 1)} | {BURSTINESS_USERS, BURSTINESS_USERS + 1})


@pytest.fixture(scope="module")
def production(pg_server) -> str:
    dsn = pg_server.create_database(f"production_boundaries_{uuid.uuid4().hex[:8]}")  # a fixture may run twice
    seed_boundaries(dsn)
    return dsn


@pytest.fixture(scope="module")
def packs(production: str) -> dict[int, MetricsPack]:
    """The pack at every k on either side of a designed cell's user count."""
    return {
        k: sample_shape(production, KEY, SampleOptions(window_end=WINDOW_END, policy=DisclosurePolicy(k=k))).pack
        for k in K_VALUES
    }


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OPERATOR_ENV, "svc-sampler")


def _at(pack: MetricsPack, path: str) -> Any:
    node: Any = pack.model_dump(mode="json")
    for part in path.split("."):
        name, _, index = part.partition("[")
        node = node[name]
        if index:
            node = node[int(index.rstrip("]"))]
    return node


def _round5(n: int) -> int:
    return (n + 2) // 5 * 5


@pytest.mark.parametrize("cell", CELLS, ids=[c.path for c in CELLS])
def test_a_cell_is_published_exactly_when_k_distinct_users_contribute(packs, cell) -> None:
    for k, pack in packs.items():
        value = _at(pack, cell.path)
        if cell.users < k:
            assert value is None, f"k={k}: {cell.path} published from {cell.users} users"
        elif cell.sole:
            assert value == _round5(cell.rows), f"k={k}: {cell.path}"


def test_the_designed_cells_outnumber_their_users() -> None:
    """Counting rows instead of users would pass k for B's cells, so these tests can tell the two apart."""
    assert sum(c.rows > c.users + 1 for c in CELLS) >= 20


def test_burstiness_cv_needs_k_users(packs) -> None:
    for k, pack in packs.items():
        cv = pack.timing.burstiness_cv
        assert (cv is not None) == (k <= BURSTINESS_USERS), f"k={k}: burstiness_cv {cv}"
    assert packs[BURSTINESS_USERS].timing.burstiness_cv == 0.0  # every conversation's gaps are equal


def test_scan_before_write_refuses_a_pack_made_dirty_after_assembly(
    production: str, keyed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = publish.render_pack

    def dirty(pack: MetricsPack) -> bytes:
        return clean(pack).replace(b'"pack_version": 1', b'"pack_version": 1, "owner": "jane.doe@example.com"', 1)

    monkeypatch.setattr(publish, "render_pack", dirty)
    with pytest.raises(PrivacyViolation, match=r"\$\.owner: email") as caught:
        export_pack(production, tmp_path / "metrics.json", KEY, SampleOptions(window_end=WINDOW_END))
    assert "jane.doe" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_the_manifest_is_scanned_before_anything_is_written(
    production: str, keyed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = publish.build_manifest

    def dirty(*args: Any, **kwargs: Any) -> Any:
        manifest = built(*args, **kwargs)
        provenance = manifest.provenance.model_copy(update={"host": "jane.doe@example.com"})  # skips validation
        return manifest.model_copy(update={"provenance": provenance})

    monkeypatch.setattr(publish, "build_manifest", dirty)
    with pytest.raises(PrivacyViolation, match=r"(?s)metrics_mapping\.json: .*\$\.provenance\.host: email"):
        export_pack(production, tmp_path / "metrics.json", KEY, SampleOptions(window_end=WINDOW_END))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("operator", ["jane.doe@example.com", "Jane Doe", "ops/jane"])
def test_an_operator_that_is_not_an_account_name_is_refused(
    production: str, keyed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, operator: str
) -> None:
    monkeypatch.setenv(OPERATOR_ENV, operator)
    with pytest.raises(InputError, match=rf"operator name \({OPERATOR_ENV} or the OS user\) must be a plain") as caught:
        export_pack(production, tmp_path / "metrics.json", KEY, SampleOptions(window_end=WINDOW_END))
    assert operator not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


WAITING = (
    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'synthcore-sample' AND wait_event_type = 'Lock'"
)
NEW_MESSAGES = """
INSERT INTO messages
SELECT md5('late' || n)::uuid, md5('conv-a')::uuid, md5('user-a1')::uuid, 'TEXT', 'late', NULL, false,
       %(at)s::timestamptz - n * interval '1 second', %(at)s::timestamptz, NULL
FROM generate_series(1, 500) AS n
"""


def test_parallel_workers_share_one_snapshot_while_a_writer_commits(pg_server) -> None:
    """A writer commits 500 messages while a worker waits on its lock: no query of the sample sees them."""
    dsn = pg_server.create_database(f"production_snapshot_writer_{uuid.uuid4().hex[:8]}")
    seed_boundaries(dsn)
    options = SampleOptions(window_end=WINDOW_END, parallel=3)
    before = sample_shape(dsn, KEY, SampleOptions(window_end=WINDOW_END)).pack
    result: list[MetricsPack] = []
    with psycopg.connect(dsn) as writer:
        writer.execute("LOCK TABLE read_receipts IN ACCESS EXCLUSIVE MODE")  # the read-receipt query waits here
        sampler = threading.Thread(target=lambda: result.append(sample_shape(dsn, KEY, options).pack))
        sampler.start()
        with psycopg.connect(dsn, autocommit=True) as admin:
            deadline = time.monotonic() + 60
            while admin.execute(WAITING).fetchone()[0] < 1:
                assert time.monotonic() < deadline and sampler.is_alive(), "no sampler query waited on the lock"
                time.sleep(0.02)
        writer.execute(NEW_MESSAGES, {"at": WINDOW_END.replace(day=29)})
        writer.commit()
    sampler.join(120)
    after = sample_shape(dsn, KEY, SampleOptions(window_end=WINDOW_END)).pack
    assert after.entities.messages == before.entities.messages + 500  # the writer's rows are visible afterwards
    assert result == [before]
