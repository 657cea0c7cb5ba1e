"""scan_pack_bytes: fails closed on schema breaks and on PII anywhere, encoded or not; clean packs pass offline."""

from __future__ import annotations

import base64
import json
import socket
from urllib.parse import quote

import pytest

from synthcore.errors import PrivacyViolation
from synthcore.privacy.scan import MAX_PACK_BYTES, require_clean, scan_pack_bytes, scan_pack_file
from tests.unit.privacy.test_detectors import POSITIVES
from tests.unit.sample.packs import valid_pack_data


def _bytes(data: object) -> bytes:
    return json.dumps(data, indent=2).encode()


@pytest.mark.parametrize("cell", [20, None, 999_999_999_995, 0])
def test_valid_packs_have_no_findings(cell):
    result = scan_pack_bytes(_bytes(valid_pack_data(cell)), "pack.json")
    assert result.clean, result.findings


def _categories(result, path):
    return {f.category for f in result.findings if f.path == path}


ENCODINGS = {
    "plain": lambda s: s,
    "base64": lambda s: base64.b64encode(s.encode()).decode(),
    "hex": lambda s: s.encode().hex(),
    "url": lambda s: quote(s, safe=""),
    "fullwidth": lambda s: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s),
    "zero_width": lambda s: "\u200b".join(s),
}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize(("category", "text"), POSITIVES)
def test_pii_in_a_nested_value_is_found_in_every_encoding(category, text, encoding):
    data = valid_pack_data()
    data["users"]["devices"]["other"] = ENCODINGS[encoding](text)
    result = scan_pack_bytes(_bytes(data), "pack.json")
    assert "schema" in _categories(result, "$.users.devices.other")
    assert category in _categories(result, "$.users.devices.other"), result.findings


@pytest.mark.parametrize(("category", "text"), POSITIVES)
def test_pii_in_a_key_is_found(category, text):
    data = valid_pack_data()
    data["attachments"]["mime_types"]["IMAGE"][text] = 20
    result = scan_pack_bytes(_bytes(data), "pack.json")
    assert category in _categories(result, f"$.attachments.mime_types.IMAGE.{text}")


def test_pii_in_an_array_element_and_at_top_level():
    data = valid_pack_data()
    data["timing"]["hour_of_day"][7] = "078-05-1121"
    data["contact"] = {"who": ["x", {"deep": "jane.doe@example.com"}]}
    result = scan_pack_bytes(_bytes(data), "pack.json")
    assert "ssn" in _categories(result, "$.timing.hour_of_day[7]")
    assert "email" in _categories(result, "$.contact.who[1].deep")
    assert "schema" in _categories(result, "$.contact")


def test_card_number_in_a_count_slot_is_a_schema_finding():
    data = valid_pack_data()
    data["entities"]["users"] = 4012888888881881
    result = scan_pack_bytes(_bytes(data), "pack.json")
    assert {"schema", "payment_card"} <= _categories(result, "$.entities.users")


@pytest.mark.parametrize(
    ("text", "category", "detail"),
    [
        (b'{"pack_version": 1, "pack_version": "jane.doe@example.com"}', "schema", "duplicate key 'p…(14 chars)"),
        (b'{"pack_version": NaN}', "schema", "NaN is not a number JSON allows"),
        (b'{"pack_version": 1, "x": "jane.doe@example.com"', "email", "ja"),
        (b'\xff\xfe{"a": 1}', "encoding", "not valid UTF-8"),
    ],
)
def test_unparsable_input_fails_closed_and_is_still_scanned(text, category, detail):
    result = scan_pack_bytes(text, "pack.json")
    assert any(f.category == category and detail in f.detail for f in result.findings), result.findings


def test_oversized_and_too_deep_documents_are_findings():
    big = scan_pack_bytes(b" " * (MAX_PACK_BYTES + 1) + _bytes(valid_pack_data()), "pack.json")
    assert any(f.category == "size" for f in big.findings)
    deep: object = 1
    for _ in range(40):
        deep = {"a": deep}
    result = scan_pack_bytes(_bytes(deep), "pack.json")
    assert any("nesting depth 40 exceeds 16" in f.detail for f in result.findings)


def test_require_clean_lists_every_finding_with_its_path():
    data = valid_pack_data()
    data["users"]["devices"]["other"] = "+44 7700 900123"
    data["window_days"] = "203.0.113.42"
    with pytest.raises(PrivacyViolation, match=r"pack.json: \d+ finding\(s\)") as info:
        require_clean(scan_pack_bytes(_bytes(data), "pack.json"))
    assert "$.users.devices.other: phone" in str(info.value)
    assert "$.window_days: ip_address" in str(info.value)
    assert "900123" not in str(info.value) and "203.0.113" not in str(info.value)


def test_scan_runs_with_the_network_blocked(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise AssertionError("the scanner tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    clean = tmp_path / "clean.json"
    clean.write_bytes(_bytes(valid_pack_data()))
    assert scan_pack_file(clean).clean
    dirty = valid_pack_data()
    dirty["users"]["devices"]["other"] = "jane.doe@example.com"
    assert not scan_pack_bytes(_bytes(dirty), "dirty.json").clean
