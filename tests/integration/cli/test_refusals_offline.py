"""Malformed inputs to the verbs that need no database: each exits 2 (1 for a runtime failure) naming the problem,
prints no traceback, and leaves the work directory exactly as it was."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from synthcore.spec.io import DEFAULT_SPEC_PATH
from tests.integration.cli.helpers import (
    Case,
    Context,
    RunCli,
    assert_refused,
    spec_with,
    tree,
    truncate_file,
    write_file,
)
from tests.unit.sample.packs import valid_pack_data

SPEC = str(DEFAULT_SPEC_PATH)
GEN = ("generate", "--seed", "s", "--out", "out")
FID = ("fidelity", "--target", SPEC, "--out", "report")
KEY = (("ANONYMIZATION_SALT", "ab" * 32),)


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    """A spec change setting the dotted ``path`` to ``value``."""

    def change(spec: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = spec
        for key in parents:
            node = node[key]
        node[last] = value

    return change


def _spec_case(name: str, path: str, value: object, says: str) -> Case:
    """``generate --spec spec.json`` where spec.json is the default spec with ``path`` set to ``value``."""
    return Case(name, (*GEN, "--spec", "spec.json"), (says,), setup=spec_with("spec.json", _set(path, value)))


CASES = [
    Case("generate-unknown-band", (*GEN, "--band", "huge"), ("--band",)),
    Case("generate-empty-seed", ("generate", "--seed", "", "--out", "out"), ("--seed must not be empty",)),
    Case("generate-messages-beyond-2**53", (*GEN, "--messages", str(10**21)), (f"--messages {10**21}",)),
    Case(
        "generate-block-beyond-memory",
        (*GEN, "--messages", "100000000000", "--conversations", "1500"),
        ("in one block of 64 conversations", "fewer messages"),
    ),
    Case(
        "generate-plan-beyond-memory",
        (*GEN, "--conversations", "1000000000", "--messages", "1000000000"),
        ("for the dataset plan",),
    ),
    Case("generate-one-user", (*GEN, "--users", "1"), ("--users 1",)),
    Case(
        "generate-fewer-messages-than-conversations",
        (*GEN, "--conversations", "20", "--messages", "10"),
        ("must be at least conversations",),
    ),
    Case("generate-too-many-chunks", (*GEN, "--chunks", "100000"), ("--chunks must be between 1 and",)),
    Case("generate-chunk-out-of-range", (*GEN, "--chunks", "3", "--chunk", "7"), ("chunk 7 is out of range",)),
    Case("generate-no-workers", (*GEN, "--workers", "0"), ("--workers",)),
    Case("generate-missing-spec", (*GEN, "--spec", "missing.json"), ("missing.json: cannot read file",)),
    Case(
        "generate-spec-not-json", (*GEN, "--spec", "bad.json"), ("not valid JSON",), setup=write_file("bad.json", "{")
    ),
    _spec_case(
        "generate-spec-content-beyond-memory",
        "messages.content_length.max",
        1e12,
        "content_length: the largest value must be at most",
    ),
    _spec_case(
        "generate-spec-window-before-1970", "time.window_end", "0001-01-01T00:00:00Z", "the window must lie between"
    ),
    _spec_case(
        "generate-spec-absurd-alpha",
        "messages.per_conversation.alpha",
        1e6,
        "messages.per_conversation.power_law.alpha",
    ),
    _spec_case(
        "generate-spec-unbounded-username",
        "users.username_length",
        {"kind": "power_law", "alpha": 2, "xmin": 4},
        "username_length: a power law here needs an xmax",
    ),
    _spec_case(
        "generate-spec-heavy-room-beyond-int64",
        "messages.heavy_rooms.min_messages",
        10**20,
        "messages.heavy_rooms.min_messages",
    ),
    _spec_case(
        "generate-spec-read-delay-beyond-window",
        "read_receipts.delay.slow.max",
        1e15,
        "slow: the largest value must be at most",
    ),
    Case(
        "generate-out-below-a-file",
        ("generate", "--seed", "s", "--out", "data/generation-report.json/out"),
        ("is not a directory",),
    ),
    Case(
        "generate-out-holds-another-dataset",
        ("generate", "--seed", "other", "--out", "data"),
        ("already holds a different dataset",),
    ),
    Case(
        "fidelity-missing-target", (*FID[:1], "--target", "missing.json", *FID[3:], "--data", "data"), ("missing.json",)
    ),
    Case(
        "fidelity-target-neither-spec-nor-pack",
        ("fidelity", "--target", "data/generation-report.json", "--out", "report", "--data", "data"),
        ("neither a distribution spec",),
    ),
    Case("fidelity-missing-data", (*FID, "--data", "nowhere"), ("'nowhere' does not exist",)),
    Case(
        "fidelity-damaged-data",
        (*FID, "--data", "data"),
        ("messages/part-00001.parquet: not a readable Parquet file",),
        setup=truncate_file,
    ),
    Case("fidelity-malformed-override", (*FID, "--data", "data", "--override", "x=abc"), ("--override 'x=abc'",)),
    Case(
        "fidelity-negative-override",
        (*FID, "--data", "data", "--override", "content_length.ks=-1"),
        ("a threshold must be a finite number >= 0",),
    ),
    Case(
        "fidelity-unknown-override",
        (*FID, "--data", "data", "--override", "no_such_check.ks=0.2"),
        ("overrides name no check: no_such_check.ks",),
    ),
    Case(
        "fidelity-both-sources",
        (*FID, "--data", "data", "--dsn", "host=/nonexistent", "--schema", "s"),
        ("give either a data directory",),
    ),
    Case(
        "fidelity-unsafe-schema",
        (*FID, "--dsn", "host=/nonexistent", "--schema", "../x"),
        ("invalid schema name '../x'",),
    ),
    Case(
        "fidelity-out-below-a-file",
        ("fidelity", "--target", SPEC, "--out", "data/generation-report.json/report", "--data", "data"),
        ("is not a directory",),
    ),
    Case("calibrate-missing-pack", ("calibrate", "--metrics", "missing.json", "--out", "spec.json"), ("missing.json",)),
    Case("calibrate-spec-as-pack", ("calibrate", "--metrics", SPEC, "--out", "spec.json"), ("spec_version",)),
    Case(
        "calibrate-out-below-a-file",
        ("calibrate", "--metrics", "pack.json", "--out", "data/generation-report.json/spec.json"),
        ("is not a directory",),
        setup=write_file("pack.json", json.dumps(valid_pack_data())),
    ),
    Case(
        "sample-out-below-a-file",
        ("sample", "--dsn", "host=/nonexistent port=1 dbname=x", "--out", "data/generation-report.json/pack.json"),
        ("is not a directory",),
        env=KEY,
    ),
    Case("scan-missing-pack", ("scan", "missing.json"), ("missing.json: cannot read file",)),
    Case(
        "sample-malformed-dsn",
        ("sample", "--dsn", "nonsense===", "--out", "pack.json"),
        ("invalid connection string",),
        env=KEY,
    ),
    Case("sample-k-below-2", ("sample", "--dsn", "host=/nonexistent", "--out", "pack.json", "--k", "1"), ("--k",)),
    Case(
        "sample-pack-not-json",
        ("sample", "--dsn", "host=/nonexistent", "--out", "pack.txt"),
        ("must end in .json",),
        env=KEY,
    ),
    Case(
        "sample-epsilon-zero",
        ("sample", "--dsn", "host=/nonexistent port=1 dbname=x", "--out", "pack.json", "--epsilon", "0"),
        ("epsilon must be > 0 and <= 100.0 (got 0.0)",),
        env=KEY,
    ),
    Case(
        "sample-epsilon-above-the-cap",
        ("sample", "--dsn", "host=/nonexistent port=1 dbname=x", "--out", "pack.json", "--epsilon", "101"),
        ("epsilon must be > 0 and <= 100.0 (got 101.0)",),
        env=KEY,
    ),
    Case(
        "sample-no-key",
        ("sample", "--dsn", "host=/nonexistent", "--out", "pack.json"),
        ("ANONYMIZATION_SALT is not set",),
        code=1,
        env=(("ANONYMIZATION_SALT", ""),),
    ),
    Case(
        "sample-unreachable-server",
        ("sample", "--dsn", "host=/nonexistent port=1 dbname=x", "--out", "pack.json"),
        ("cannot connect to PostgreSQL",),
        code=1,
        env=KEY,
    ),
    Case("run-empty-seed", ("run", "--seed", "", "--out", "out"), ("--seed must not be empty",)),
    Case("run-malformed-dsn", ("run", "--dsn", "nonsense===", "--out", "out"), ("invalid connection string",)),
    Case(
        "run-out-below-a-file",
        ("run", "--dsn", "host=/nonexistent", "--out", "data/generation-report.json/out"),
        ("is not a directory",),
    ),
    Case("baseline-compare-missing", ("baseline", "--compare", "pre.json", "post.json"), ("pre.json",)),
    Case(
        "baseline-compare-not-baselines",
        ("baseline", "--compare", "data/generation-report.json", "data/generation-report.json"),
        ("data/generation-report.json: ",),
    ),
    Case(
        "baseline-capture-without-out",
        ("baseline", "--dsn", "host=/nonexistent", "--schema", "synth_x"),
        ("--dsn, --schema and --out are required",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_refused_before_any_output(case: Case, work: Path, other_generation: Path, cli: RunCli) -> None:
    if case.setup:
        case.setup(Context(work, other_generation))
    before = tree(work)
    result = cli(*case.argv(), env=dict(case.env))
    assert_refused(result, case.code, case.says)
    assert tree(work) == before
