"""MetricsPack: a closed schema of rounded counts, fixed labels and short floats."""

from __future__ import annotations

import json

import pytest

from synthcore.errors import SpecError
from synthcore.spec import metrics_pack as mp
from synthcore.spec.io import parse_model
from tests.unit.sample.packs import mime_literals, valid_pack_data


def _parse(data: object) -> mp.MetricsPack:
    return parse_model(mp.MetricsPack, json.dumps(data), "pack.json")


def test_valid_pack_parses_with_suppressed_cells():
    assert _parse(valid_pack_data()).entities.users == 20
    assert _parse(valid_pack_data(cell=None)).entities.users is None


def test_edges_are_increasing_constants_with_generator_boundaries():
    for model in mp.BinnedCounts.__subclasses__():
        edges = model.EDGES
        assert list(edges) == sorted(set(edges)), model.__name__
        assert len(model.model_fields["counts"].metadata) and len(edges) > 10
    assert {30, 3600} <= set(mp.TIME_EDGES_S)
    assert {3, 21, 257} <= set(mp.GROUP_MEMBER_EDGES)


def test_mime_labels_match_generator_mime_types():
    assert {m: tuple(sorted(v)) for m, v in mime_literals().items()} == {
        m: tuple(sorted(v)) for m, v in mp.MIME_LABELS.items()
    }


def _set(data: dict, path: str, value: object) -> dict:
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "match"),
    [
        ("entities.users", 17, r"entities\.users: Input should be a multiple of 5"),
        ("entities.users", -5, r"entities\.users: Input should be greater than or equal to 0"),
        ("entities.users", 4111111111111110, r"entities\.users: Input should be less than or equal to"),
        ("entities.users", "jane@example.com", r"entities\.users"),
        ("entities.email", 20, r"entities\.email: Extra inputs are not permitted"),
        ("timing.burstiness_cv", 2.3456, r"timing\.burstiness_cv: must have at most 3 significant digits"),
        ("messages.content_length.percentiles.p50", 1e13, r"p50: Input should be less than or equal to"),
        ("attachments.mime_types.IMAGE.image/bmp", 20, r"attachments\.mime_types\.IMAGE\.image/bmp"),
        ("disclosure.k", 1, r"disclosure\.k: Input should be greater than or equal to 2"),
        ("pack_version", 2, r"pack_version: Input should be 1"),
    ],
)
def test_out_of_schema_values_are_rejected_with_their_path(path, value, match):
    with pytest.raises(SpecError, match=match):
        _parse(_set(valid_pack_data(), path, value))


def test_wrong_histogram_length_is_rejected():
    data = valid_pack_data()
    data["timing"]["hour_of_day"].append(20)
    with pytest.raises(SpecError, match=r"timing\.hour_of_day: List should have at most 24 items"):
        _parse(data)


def test_missing_mime_label_is_rejected():
    data = valid_pack_data()
    del data["attachments"]["mime_types"]["AUDIO"]["other"]
    with pytest.raises(SpecError, match=r"AUDIO must have exactly the keys"):
        _parse(data)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('{"pack_version": 1, "pack_version": 1}', "duplicate key 'pack_version'"),
        ('{"pack_version": NaN}', "NaN is not a number JSON allows"),
        ('{"pack_version": Infinity}', "Infinity is not a number JSON allows"),
    ],
)
def test_parser_rejects_duplicates_and_non_finite(text, match):
    with pytest.raises(SpecError, match=match):
        parse_model(mp.MetricsPack, text, "pack.json")


def test_round_significant():
    assert mp.round_significant(123456.0) == 123000.0
    assert mp.round_significant(0.012345) == 0.0123
