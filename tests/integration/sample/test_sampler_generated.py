"""The sampler over generator output loaded by the loader: counts are exact, shapes match the spec."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from synthcore.generate import generate_dataset
from synthcore.load import load_dataset
from synthcore.privacy import scan_pack_bytes
from synthcore.sample import SampleOptions, sample_shape
from synthcore.sample.keyed_ids import AnonymizationKey
from synthcore.sample.publish import render_pack
from synthcore.spec.bands import Band, Counts
from synthcore.spec.distribution import DistributionSpec
from synthcore.spec.io import DEFAULT_SPEC_PATH, load_model

SCHEMA = "synth_sample"
COUNTS = Counts(users=300, conversations=500, messages=15_000)


def _round5(n: int) -> int:
    return (n + 2) // 5 * 5


def test_sampler_over_generated_data(pg_dsn: str, tmp_path: Path) -> None:
    spec = load_model(DistributionSpec, DEFAULT_SPEC_PATH)
    data = tmp_path / "data"
    report = generate_dataset(data, band=Band.CI, seed="sample", counts=COUNTS, workers=1)
    load_dataset(pg_dsn, data, schema=SCHEMA, runs_dir=tmp_path / "runs")
    options = SampleOptions(window_days=spec.time.window_days, window_end=spec.time.window_end, schema=SCHEMA)
    pack = sample_shape(pg_dsn, AnonymizationKey(b"k" * 32), options).pack

    rows = {name: table.rows for name, table in report.tables.items()}
    entities = pack.entities
    assert (entities.users, entities.conversations, entities.messages) == (
        _round5(rows["users"]),
        _round5(rows["conversations"]),
        _round5(rows["messages"]),
    )
    assert entities.read_receipts == _round5(rows["read_receipts"])
    assert entities.messages_in_window == entities.messages  # the spec window holds every message

    # Independent ground truth: DuckDB over the generator's Parquet.
    def count(table: str, where: str) -> int:
        return duckdb.sql(f"SELECT count(*) FROM read_parquet('{data}/{table}/*.parquet') WHERE {where}").fetchone()[0]

    assert pack.conversations.kinds.direct == _round5(count("conversations", "type = 'DIRECT'"))
    assert _round5(count("messages", "type = 'TEXT'")) == pack.messages.types.TEXT
    assert pack.messages.flags.replies == _round5(count("messages", '"replyToId" IS NOT NULL'))
    assert pack.users.devices.ios == _round5(count("users", "\"deviceType\" = 'ios'"))
    assert pack.users.profile.bio == _round5(count("users", "coalesce(bio, '') <> ''"))
    assert sum(c or 0 for c in pack.timing.hour_of_day) == pytest.approx(entities.messages, rel=0.01)
    assert pack.messages.content_length.percentiles.p50 is not None
    assert scan_pack_bytes(render_pack(pack), "generated.json").clean
