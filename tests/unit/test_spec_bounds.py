"""Every count and range in the spec and report models is bounded; a value outside is named with its path."""

from __future__ import annotations

import json
from typing import Any

import pytest

from synthcore.errors import SpecError
from synthcore.spec.distribution import DistributionSpec
from synthcore.spec.io import DEFAULT_SPEC_PATH, parse_model
from synthcore.spec.reports import ChunkReport

BIG = 2**53 + 1
LOGNORMAL = {"kind": "lognormal", "mu": 1.0, "sigma": 1.0, "min": 1, "max": 10}


def _with(raw: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    *parents, last = path.split(".")
    node = raw
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[last] = value
    return raw


@pytest.mark.parametrize(
    ("path", "value", "says"),
    [
        (
            "messages.per_conversation.alpha",
            101,
            "messages.per_conversation.power_law.alpha: Input should be less than or equal",
        ),
        ("messages.per_conversation.xmin", 1e20, "messages.per_conversation.power_law.xmin"),
        ("messages.per_conversation.xmax", 1e300, "messages.per_conversation.power_law.xmax"),
        ("messages.heavy_rooms.min_messages", BIG, "messages.heavy_rooms.min_messages"),
        ("messages.content_length", {**LOGNORMAL, "mu": 1e3}, "messages.content_length.lognormal.mu"),
        ("messages.content_length", {**LOGNORMAL, "sigma": 1e3}, "messages.content_length.lognormal.sigma"),
        ("messages.content_length", {**LOGNORMAL, "max": 2e6}, "content_length: the largest value must be at most"),
        ("attachments.size_bytes.VIDEO.max", 1e300, "attachments.size_bytes.VIDEO.max"),
        ("attachments.size_bytes.VIDEO.min", 1e300, "attachments.size_bytes.VIDEO.min"),
        ("users.username_length.edges", [4, 6, 8, 10, 12, 14, 16, 2000], "username_length: the largest value"),
        ("users.username_length.edges", [-1e300, 6, 8, 10, 12, 14, 16, 20], "edges must lie within"),
        (
            "users.username_length",
            {"kind": "histogram", "edges": list(range(10_002)), "weights": [1] * 10_001},
            "edges",
        ),
        ("users.username_length", {"kind": "power_law", "alpha": 2, "xmin": 4}, "a power law here needs an xmax"),
        ("read_receipts.group_readers.max", BIG, "read_receipts.group_readers.geometric.max"),
        ("read_receipts.group_readers.min", BIG, "read_receipts.group_readers.geometric.min"),
        ("conversations.large_group_members.xmax", None, "large_group_members: a power law here needs an xmax"),
        ("conversations.small_group_members", {**LOGNORMAL, "max": 1e16}, "small_group_members.lognormal.max"),
        ("read_receipts.group_readers", {"kind": "power_law", "alpha": 2, "xmin": 1}, "group_readers: a power law"),
        ("read_receipts.delay.fast_max_s", 1e12, "read_receipts.delay.fast_max_s"),
        ("read_receipts.delay.medium_mean_s", 1e12, "read_receipts.delay.medium_mean_s"),
        ("read_receipts.delay.slow.max", 1e12, "slow: the largest value must be at most"),
        ("time.sessions.break_s", 1e12, "time.sessions.break_s"),
        ("time.window_days", 3651, "time.window_days"),
        ("time.window_end", "1970-01-02T00:00:00Z", "the window must lie between 1970-01-01 and 9000-01-01"),
        ("time.window_end", "9999-12-31T00:00:00Z", "the window must lie between"),
    ],
)
def test_out_of_range_spec_values_are_named(path: str, value: object, says: str) -> None:
    raw = _with(json.loads(DEFAULT_SPEC_PATH.read_text()), path, value)
    with pytest.raises(SpecError, match=r"x\.json: ") as error:
        parse_model(DistributionSpec, json.dumps(raw), "x.json")
    assert says in str(error.value)


CHUNK_REPORT = {
    "spec_sha256": "0" * 64,
    "band": "ci",
    "seed": "s",
    "counts": {"users": 10, "conversations": 10, "messages": 100},
    "chunks": 2,
    "chunk": 1,
    "tables": {"users": {"rows": 10, "checksum": "0123456789abcdef"}},
    "effective": {},
    "seconds": 0.1,
}


@pytest.mark.parametrize(
    ("path", "value", "says"),
    [
        ("spec_sha256", "abc", "spec_sha256"),
        ("seed", "", "seed"),
        ("chunks", 0, "chunks"),
        ("chunk", -1, "chunk"),
        ("counts.users", 1, "counts.users"),
        ("counts.messages", BIG, "counts.messages"),
        ("counts.messages", 5, "messages (5) must be at least conversations (10)"),
        ("tables.users.rows", -1, "tables.users.rows"),
        ("tables.users.checksum", "not hex", "tables.users.checksum"),
    ],
)
def test_out_of_range_report_values_are_named(path: str, value: object, says: str) -> None:
    raw = _with(json.loads(json.dumps(CHUNK_REPORT)), path, value)
    with pytest.raises(SpecError) as error:
        parse_model(ChunkReport, json.dumps(raw), "chunk.json")
    assert says in str(error.value)


def test_the_valid_report_parses() -> None:
    assert parse_model(ChunkReport, json.dumps(CHUNK_REPORT), "chunk.json").chunk == 1
