import json
from pathlib import Path

import pytest

from synthcore.errors import SpecError, UnknownBand
from synthcore.spec.bands import Band, parse_band
from synthcore.spec.distribution import DistributionSpec
from synthcore.spec.io import (
    DEFAULT_SPEC_PATH,
    SCHEMAS_DIR,
    load_model,
    parse_model,
    render_schema,
    schema_models,
)


def _default() -> dict:
    return json.loads(DEFAULT_SPEC_PATH.read_text())


def test_default_spec_loads():
    spec = load_model(DistributionSpec, DEFAULT_SPEC_PATH)
    assert spec.messages.per_conversation.alpha == 1.5
    assert spec.conversations.type_mix.direct == 0.70


def test_invalid_spec_names_field_and_value():
    raw = _default()
    raw["messages"]["per_conversation"]["alpha"] = 0.9
    with pytest.raises(
        SpecError,
        match=r"x.json: messages.per_conversation.power_law.alpha: Input should be greater than 1 \(got 0.9\)",
    ):
        parse_model(DistributionSpec, json.dumps(raw), "x.json")


def test_shares_must_sum_to_one():
    raw = _default()
    raw["messages"]["media_mix"]["IMAGE"] = 0.9
    with pytest.raises(SpecError, match=r"messages.media_mix: shares must sum to 1 \(got 1.250000\)"):
        parse_model(DistributionSpec, json.dumps(raw), "x.json")


def test_unknown_key_rejected():
    raw = _default()
    raw["messages"]["surprise"] = 1
    with pytest.raises(SpecError, match=r"messages.surprise: Extra inputs are not permitted"):
        parse_model(DistributionSpec, json.dumps(raw), "x.json")


@pytest.mark.parametrize("text, reason", [('{"a": 1, "a": 2}', "duplicate key 'a'"), ('{"a": NaN}', "NaN")])
def test_strict_json(text, reason):
    with pytest.raises(SpecError, match=reason):
        parse_model(DistributionSpec, text, "x.json")


def test_missing_file_is_named(tmp_path: Path):
    with pytest.raises(SpecError, match=r"nope\.json: cannot read file"):
        load_model(DistributionSpec, tmp_path / "nope.json")


def test_unknown_band():
    with pytest.raises(UnknownBand, match=r"band .huge. is unknown; choose one of: ci, dev, staging, perf"):
        parse_band("huge")
    assert parse_band("dev") is Band.DEV


@pytest.mark.parametrize("stem", sorted(schema_models()))
def test_committed_schemas_are_current(stem):
    committed = SCHEMAS_DIR / f"{stem}.schema.json"
    assert committed.read_text() == render_schema(schema_models()[stem]), "run: synthcore schemas export"
