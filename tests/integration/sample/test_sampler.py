"""The sampler against a real 'production' PostgreSQL full of fake personal data and canaries.

Proves: the pack is correct where it can be checked by direct SQL, no canary, identifier, token or key reaches the
pack or the manifest, the manifest binds the exact pack bytes, the sampler refuses to run without the key, needs
only SELECT, and DP spends exactly the budget it records.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from synthcore.errors import InputError, OutputError, PrivacyViolation
from synthcore.privacy import scan_pack_file
from synthcore.sample import DisclosurePolicy, SampleOptions, export_pack, sample_shape
from synthcore.sample.keyed_ids import KEY_ENV, AnonymizationKey
from synthcore.sample.publish import OPERATOR_ENV
from synthcore.sample.sampler import _snapshot_cursor
from synthcore.spec.io import load_model
from synthcore.spec.manifest import MappingManifest
from synthcore.spec.metrics_pack import MetricsPack
from tests.integration.sample.production_db import MESSAGES, USERS, WINDOW_END, seed_production

SECRET = "prod-only-hmac-key-0123456789-abcdefghijklmnop"
OPTIONS = SampleOptions(window_end=WINDOW_END)


@pytest.fixture(scope="module")
def production(pg_server):
    """(dsn, canaries) of one seeded production database shared by this module's read-only tests."""
    dsn = pg_server.create_database("production_sample")
    return dsn, seed_production(dsn)


@pytest.fixture
def keyed():
    return AnonymizationKey(SECRET.encode())


def _round5(n: int) -> int:
    return (n + 2) // 5 * 5


def test_pack_matches_direct_sql(production, keyed):
    dsn, _ = production
    pack = sample_shape(dsn, keyed, OPTIONS).pack
    with psycopg.connect(dsn) as conn:
        in_window, direct = conn.execute(
            """SELECT (SELECT count(*) FROM messages WHERE "createdAt" >= %(s)s AND "createdAt" < %(e)s),
                      (SELECT count(*) FROM conversations WHERE type = 'DIRECT')""",
            {"s": OPTIONS.window_end.replace(month=5, day=31), "e": OPTIONS.window_end},
        ).fetchone()
    assert pack.entities.users == USERS and pack.entities.messages == MESSAGES
    assert pack.entities.messages_in_window == _round5(in_window)
    assert pack.conversations.kinds.direct == _round5(direct)
    hours = [c for c in pack.timing.hour_of_day if c is not None]
    assert len(hours) == 24 and abs(sum(hours) - in_window) <= 24 * 3
    assert pack.users.devices.other == _round5(USERS // 5)  # every fifth user has an unknown device
    assert pack.read_receipts.direct_messages_read <= pack.read_receipts.direct_messages
    assert pack.messages.per_conversation.percentiles.p50 is not None
    assert pack.timing.burstiness_cv is not None and pack.timing.burstiness_cv > 0


def _texts(*paths: Path) -> str:
    return "\n".join(p.read_text() for p in paths)


def test_no_canary_identifier_token_or_key_leaves(production, keyed, tmp_path):
    dsn, canaries = production
    exported = export_pack(dsn, tmp_path / "metrics.json", keyed, OPTIONS)
    text = _texts(exported.pack_path, exported.manifest_path)
    lowered = text.lower()
    leaked = [c for c in canaries if c.lower() in lowered]
    assert not leaked, leaked[:5]
    ids = [c for c in canaries if len(c) == 36 and c.count("-") == 4]
    assert len(ids) > MESSAGES
    for value in ids:
        for form in (value.replace("-", ""), hmac.new(SECRET.encode(), value.encode(), hashlib.sha256).hexdigest()):
            assert form[:16] not in lowered
    assert SECRET not in text and SECRET.encode().hex()[:16] not in text
    leaves = _string_leaves(json.loads(exported.pack_path.read_text()))
    assert leaves == [], "the pack must hold numbers and nulls only"
    assert scan_pack_file(exported.pack_path).clean


def _string_leaves(node):
    if isinstance(node, dict):
        return [s for v in node.values() for s in _string_leaves(v)]
    if isinstance(node, list):
        return [s for v in node for s in _string_leaves(v)]
    return [node] if isinstance(node, str) else []


def test_manifest_binds_the_exact_pack_bytes(production, keyed, tmp_path, monkeypatch):
    dsn, _ = production
    monkeypatch.setenv(OPERATOR_ENV, "svc-sampler")
    exported = export_pack(dsn, tmp_path / "prod-2026.json", keyed, OPTIONS)
    assert exported.manifest_path == tmp_path / "prod-2026_mapping.json"
    manifest = load_model(MappingManifest, exported.manifest_path)
    assert manifest.pack_sha256 == hashlib.sha256(exported.pack_path.read_bytes()).hexdigest()
    assert manifest.pack_file == "prod-2026.json"
    assert manifest.privacy_level == "ANONYMIZED_SHAPE_ONLY"
    assert manifest.tokenization.key_fingerprint == keyed.fingerprint()
    assert manifest.tokenization.tokens_exported is False
    assert (manifest.retention.expires_at - manifest.retention.created_at).days == 90
    assert manifest.disclosure.k == 11 and manifest.disclosure.cells_suppressed > 0
    assert manifest.differential_privacy.enabled is False and manifest.differential_privacy.ledger == []
    assert manifest.provenance.window_end == WINDOW_END and manifest.provenance.operator == "svc-sampler"
    load_model(MetricsPack, exported.pack_path)
    assert scan_pack_file(exported.pack_path).clean
    data = json.loads(exported.pack_path.read_text())
    data["entities"]["users"] += 5  # still a valid pack, but not the approved bytes
    exported.pack_path.write_text(json.dumps(data, indent=2))
    findings = scan_pack_file(exported.pack_path).findings
    assert [(f.path, f.category) for f in findings] == [("$", "manifest")]


def test_dp_spends_and_records_the_budget(production, keyed, tmp_path):
    dsn, _ = production
    plain = sample_shape(dsn, keyed, OPTIONS).pack
    exported = export_pack(dsn, tmp_path / "dp.json", keyed, SampleOptions(window_end=WINDOW_END, epsilon=2.0))
    pack, manifest = exported.result.pack, load_model(MappingManifest, exported.manifest_path)
    dp = manifest.differential_privacy
    assert dp.enabled and dp.epsilon_spent == 2.0 and pack.disclosure.epsilon == 2.0
    assert sum(e.epsilon for e in dp.ledger) == pytest.approx(2.0)
    assert len({e.metric for e in dp.ledger}) == len(dp.ledger)
    assert pack.messages.per_conversation.percentiles.p50 is None and pack.timing.burstiness_cv is None
    assert set(pack.messages.per_conversation.messages.counts) == {None}
    assert pack.timing.hour_of_day != plain.timing.hour_of_day
    assert scan_pack_file(exported.pack_path).clean


def test_parallel_connections_share_one_snapshot(production, keyed):
    dsn, _ = production
    one = sample_shape(dsn, keyed, SampleOptions(window_end=WINDOW_END, parallel=1))
    three = sample_shape(dsn, keyed, SampleOptions(window_end=WINDOW_END, parallel=3))
    assert one.pack == three.pack and one.query_seconds.keys() == three.query_seconds.keys()


def test_worker_connections_see_the_exported_snapshot(pg_dsn):
    with psycopg.connect(pg_dsn, autocommit=True) as setup:
        setup.execute("CREATE TABLE users (id int)")
        setup.execute("INSERT INTO users SELECT generate_series(1, 10)")
    with psycopg.connect(pg_dsn) as lead:
        lead.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = lead.execute("SELECT pg_export_snapshot()").fetchone()[0]
        with psycopg.connect(pg_dsn, autocommit=True) as writer:
            writer.execute("INSERT INTO users SELECT generate_series(11, 25)")
        with _snapshot_cursor(pg_dsn, "public", snapshot) as cur:
            assert cur.execute("SELECT count(*) FROM users").fetchone()[0] == 10
        with _snapshot_cursor(pg_dsn, "public", None) as cur:
            assert cur.execute("SELECT count(*) FROM users").fetchone()[0] == 25


def test_large_k_suppresses_every_cell(production, keyed):
    dsn, _ = production
    result = sample_shape(dsn, keyed, SampleOptions(window_end=WINDOW_END, policy=DisclosurePolicy(k=1000)))
    assert result.tally.published == 0 and result.tally.percentiles_published == 0
    assert result.pack.entities.users is None and set(result.pack.timing.hour_of_day) == {None}


def test_sampler_needs_only_select(production, keyed, pg_server):
    dsn, _ = production
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS shape_reader")
        conn.execute("CREATE ROLE shape_reader LOGIN")
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO shape_reader")
    reader_dsn = dsn.replace("user=postgres", "user=shape_reader")
    assert sample_shape(reader_dsn, keyed, OPTIONS).pack.entities.users == USERS


def test_refuses_to_run_without_the_key(production, tmp_path):
    dsn, _ = production
    with pytest.raises(PrivacyViolation, match="refusing to sample without the HMAC key"):
        sample_shape(dsn, SECRET, OPTIONS)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from synthcore.cli import main; main()", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


def test_cli_sample_and_scan(production, tmp_path, monkeypatch):
    dsn, _ = production
    out = tmp_path / "metrics.json"
    base_env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    refused = _cli("sample", "--dsn", dsn, "--out", str(out), env=base_env)
    assert refused.returncode == 1 and f"{KEY_ENV} is not set" in refused.stderr and not out.exists()
    args = ("sample", "--dsn", dsn, "--out", str(out), "--window-end", WINDOW_END.isoformat())
    done = _cli(*args, env={**base_env, KEY_ENV: SECRET})
    assert done.returncode == 0, done.stderr
    assert "metrics_mapping.json" in done.stdout and SECRET not in done.stdout + done.stderr
    assert _cli("scan", str(out), env=base_env).returncode == 0
    data = json.loads(out.read_text())
    data["users"]["devices"]["other"] = "jane.doe@example.com"
    out.write_text(json.dumps(data))
    dirty = _cli("scan", str(out), env=base_env)
    assert dirty.returncode == 1 and "$.users.devices.other: email" in dirty.stderr
    assert "$: manifest: pack bytes do not match the SHA-256 in metrics_mapping.json" in dirty.stderr


def test_bad_inputs_are_named(pg_dsn, keyed, tmp_path):
    with pytest.raises(InputError, match=r"schema 'public' has no chat tables"):
        sample_shape(pg_dsn, keyed, OPTIONS)
    with pytest.raises(OutputError, match=r"pack path must end in .json"):
        export_pack(pg_dsn, tmp_path / "metrics.txt", keyed, OPTIONS)
    with pytest.raises(InputError, match=r"window_days must be between 1 and 3650 \(got 0\)"):
        SampleOptions(window_days=0)
    with pytest.raises(InputError, match=r"parallel must be between 1 and 16 \(got 0\)"):
        SampleOptions(parallel=0)
    with pytest.raises(InputError, match=r"window_end must carry a time zone"):
        SampleOptions(window_end=WINDOW_END.replace(tzinfo=None))
