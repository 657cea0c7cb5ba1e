"""Schema findings name list elements by index and carry the validator's own words; only strings are scanned."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

import pytest

from synthcore.privacy.scan import MAX_NESTING, MAX_PACK_BYTES, _walk, scan_pack_bytes
from tests.unit.sample.packs import valid_pack_data


def test_a_schema_finding_names_a_list_element_by_index():
    data = valid_pack_data()
    data["timing"]["hour_of_day"][3] = 7
    findings = scan_pack_bytes(json.dumps(data).encode(), "p.json").findings
    assert [(f.path, f.category) for f in findings] == [("$.timing.hour_of_day[3]", "schema")]


def test_a_validator_message_is_given_without_its_error_class():
    data = valid_pack_data()
    data["messages"]["per_conversation"]["percentiles"]["p50"] = 12.345
    findings = scan_pack_bytes(json.dumps(data).encode(), "p.json").findings
    path = "$.messages.per_conversation.percentiles.p50"
    assert [f.detail for f in findings if f.path == path] == ["must have at most 3 significant digits"]


def test_booleans_and_nulls_are_not_scanned_as_text_or_numbers():
    assert list(_walk({"a": None, "b": True, "c": 5}, "$")) == [
        ("$.a", "a", False),
        ("$.b", "b", False),
        ("$.c", "c", False),
        ("$.c", "5", True),
    ]


def test_a_nine_digit_count_is_not_an_ssn_but_the_same_text_is():
    data = valid_pack_data(123_456_785)
    assert scan_pack_bytes(json.dumps(data).encode(), "p.json").clean
    data["window_days"] = "123456785"
    findings = scan_pack_bytes(json.dumps(data).encode(), "p.json").findings
    assert ("$.window_days", "ssn_unformatted") in {(f.path, f.category) for f in findings}


def test_a_pack_of_exactly_the_size_limit_is_not_a_size_finding():
    data = json.dumps(valid_pack_data()).encode()
    exact = data + b" " * (MAX_PACK_BYTES - len(data))
    assert "size" not in {f.category for f in scan_pack_bytes(exact, "p.json").findings}
    over = scan_pack_bytes(exact + b" ", "p.json").findings
    assert [str(f) for f in over] == [f"$: size: {MAX_PACK_BYTES + 1} bytes exceeds {MAX_PACK_BYTES}"]


def test_an_empty_object_is_a_schema_finding_not_a_crash():
    data = valid_pack_data()
    data["entities"] = {}
    findings = scan_pack_bytes(json.dumps(data).encode(), "p.json").findings
    assert {f.category for f in findings} == {"schema"} and len(findings) > 1


def _nested(kind: str, depth: int) -> Any:
    """``depth`` containers of ``kind`` ("list" or "object"), each holding the next, the innermost empty."""
    node: Any = [] if kind == "list" else {}
    for _ in range(depth - 1):
        node = [node] if kind == "list" else {"a": node}
    return node


@pytest.mark.parametrize("kind", ["list", "object"])
def test_nesting_counts_one_level_per_container_and_the_limit_itself_passes(kind):
    def nesting(depth: int) -> list[str]:
        findings = scan_pack_bytes(json.dumps(_nested(kind, depth)).encode(), "p.json").findings
        return [str(f) for f in findings if "nesting" in f.detail]

    assert nesting(MAX_NESTING) == []
    assert nesting(MAX_NESTING + 1) == [f"$: schema: nesting depth {MAX_NESTING + 1} exceeds {MAX_NESTING}"]


def test_bytes_that_are_not_utf8_are_one_encoding_finding_at_the_root():
    findings = scan_pack_bytes(b'\xff\xfe{"a": 1}', "p.json").findings
    assert [str(f) for f in findings if f.category == "encoding"] == ["$: encoding: not valid UTF-8"]


def test_an_unparsable_pack_is_a_schema_finding_at_the_root_and_its_text_is_still_scanned_there_as_text():
    result = scan_pack_bytes(b'{"x": "jane.doe@example.com", "y": "078051121"', "p.json")
    findings = result.findings
    assert result.source == "p.json"
    assert [(f.path, f.category) for f in findings] == [("$", "schema"), ("$", "email"), ("$", "ssn_unformatted")]
    assert findings[0].detail.startswith("not valid JSON: ")


def test_a_finding_names_the_decoding_it_was_found_after_once_per_category_and_hint():
    email = "jane.doe@example.com"
    data = {
        "a": email,
        "b": base64.b64encode(email.encode()).decode(),
        "c": quote(email, safe=""),
        "d": f"{email} {email}",
    }
    findings = scan_pack_bytes(json.dumps(data).encode(), "p.json").findings
    assert [str(f) for f in findings if f.category != "schema"] == [
        "$.a: email: ja…(20 chars)",
        "$.b: base64_token: am…(28 chars)",
        "$.b: email: ja…(20 chars) (after base64)",
        "$.c: email: ja…(20 chars) (after url)",
        "$.d: email: ja…(20 chars)",
    ]
