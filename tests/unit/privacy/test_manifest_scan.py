"""The mapping manifest is scanned like the pack: closed schema, every key and value, only pinned digests exempt."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from synthcore.errors import PrivacyViolation
from synthcore.privacy.scan import Finding, require_clean, scan_manifest_bytes, scan_pack_file
from tests.unit.sample.packs import valid_pack_data
from tests.unit.sample.test_manifest import _manifest_data

SHA = "3f5a9c0d2b7e41f6a8c3d9e0b1f27a4c5d6e8f90a1b2c3d4e5f60718293a4b5c"


def _realistic() -> dict:
    """A manifest as the sampler writes it: a real-looking digest, fingerprint, database and DP ledger."""
    data = _manifest_data()
    data["pack_sha256"] = SHA
    data["tokenization"]["key_fingerprint"] = "hmac-sha256:9f3a1c7e5b2d8f40"
    data["provenance"]["source_database"] = "10.1.2.3:5432/chat"
    return data


def _scan(data: dict):
    return scan_manifest_bytes(json.dumps(data, indent=2).encode(), "m_mapping.json")


def test_a_real_manifest_is_clean():
    result = _scan(_realistic())
    assert result.clean, result.findings


@pytest.mark.parametrize(
    ("section", "field", "value", "categories"),
    [
        ("provenance", "operator", "jane.doe@example.com", {"schema", "email"}),
        ("provenance", "host", "jane.doe@example.com", {"schema", "email"}),
        ("provenance", "host", "10.1.2.3", {"ip_address"}),  # an address is exempt only as the source database
        ("provenance", "code_version", "4111111111111111", {"payment_card"}),
        (None, "pack_file", "3f5a9c0d2b7e41f6a8c3d9e0b1f27a4c.json", {"hex_token", "uuid"}),
    ],
)
def test_pii_in_a_manifest_field_is_a_finding(section, field, value, categories):
    data = _realistic()
    (data[section] if section else data)[field] = value
    path = f"$.{section}.{field}" if section else f"$.{field}"
    result = _scan(data)
    assert {f.category for f in result.findings if f.path == path} == categories
    assert value not in " ".join(str(f) for f in result.findings)


def test_an_extra_manifest_field_is_a_schema_finding_and_scanned():
    data = _realistic()
    data["provenance"]["note"] = "call +44 7700 900123"
    assert {(f.path, f.category) for f in _scan(data).findings} == {
        ("$.provenance.note", "schema"),
        ("$.provenance.note", "phone"),
    }


def test_scan_pack_file_scans_the_manifest_beside_the_pack(tmp_path: Path):
    pack = tmp_path / "metrics.json"
    pack.write_bytes(json.dumps(valid_pack_data(), indent=2).encode())
    data = _realistic()
    data["pack_sha256"] = hashlib.sha256(pack.read_bytes()).hexdigest()
    manifest = tmp_path / "metrics_mapping.json"
    manifest.write_text(json.dumps(data))
    assert scan_pack_file(pack).clean
    data["provenance"]["operator"] = "jane.doe@example.com"
    manifest.write_text(json.dumps(data))
    found = {(f.path, f.category) for f in scan_pack_file(pack).findings}
    assert found == {
        ("metrics_mapping.json:$.provenance.operator", "schema"),
        ("metrics_mapping.json:$.provenance.operator", "email"),
    }


def test_a_pack_that_is_not_the_approved_bytes_is_named(tmp_path: Path):
    pack = tmp_path / "metrics.json"
    pack.write_bytes(json.dumps(valid_pack_data(), indent=2).encode())
    (tmp_path / "metrics_mapping.json").write_text(json.dumps(_realistic()))  # SHA-256 of other bytes
    result = scan_pack_file(pack)
    assert result.source == str(pack)
    assert result.findings == (Finding("$", "manifest", "pack bytes do not match the SHA-256 in metrics_mapping.json"),)


def test_manifest_findings_keep_their_source_and_detail(tmp_path: Path):
    data = _realistic()
    data["provenance"]["host"] = "10.1.2.3"
    assert _scan(data).source == "m_mapping.json"
    pack = tmp_path / "metrics.json"
    pack.write_bytes(json.dumps(valid_pack_data(), indent=2).encode())
    (tmp_path / "metrics_mapping.json").write_text(json.dumps(data))
    assert scan_pack_file(pack).findings == (
        Finding("metrics_mapping.json:$.provenance.host", "ip_address", "10…(8 chars)"),
    )
    with pytest.raises(PrivacyViolation) as caught:
        require_clean(scan_pack_file(pack))
    assert str(caught.value).endswith(
        "1 finding(s); the pack must not leave:\n  metrics_mapping.json:$.provenance.host: ip_address: 10…(8 chars)"
    )
