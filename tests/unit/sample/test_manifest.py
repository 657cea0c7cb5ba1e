"""MappingManifest validators and the sampler's fail-closed cell layout."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from synthcore.errors import PrivacyViolation, SpecError
from synthcore.sample.assembly import assemble_tree
from synthcore.sample.disclosure import DisclosurePolicy
from synthcore.spec import manifest as mf
from synthcore.spec.io import parse_model

CREATED = datetime(2026, 7, 1, tzinfo=UTC)


def _manifest_data() -> dict:
    return {
        "manifest_version": 1,
        "pack_file": "metrics.json",
        "pack_sha256": "a" * 64,
        "privacy_level": "ANONYMIZED_SHAPE_ONLY",
        "tokenization": {
            "algorithm": "HMAC-SHA256",
            "key_reference": "env:ANONYMIZATION_SALT",
            "key_fingerprint": "hmac-sha256:0123456789abcdef",
            "key_min_bytes": 32,
            "normalisation": mf.NORMALISATION,
            "tokens_exported": False,
        },
        "disclosure": {
            "k": 11,
            "rounding": 5,
            "cells_published": 10,
            "cells_suppressed": 3,
            "cells_secondary_suppressed": 1,
            "percentiles_published": 2,
            "percentiles_withheld": 4,
        },
        "differential_privacy": {"enabled": False},
        "retention": {
            "days": 90,
            "created_at": CREATED.isoformat(),
            "expires_at": mf.expiry(CREATED).isoformat(),
        },
        "provenance": {
            "operator": "svc-sampler",
            "host": "sampler-7f9c",
            "source_database": "db.internal:5432/chat",
            "code_version": "synthcore-0.1.0",
            "window_start": (CREATED - timedelta(days=30)).isoformat(),
            "window_end": CREATED.isoformat(),
            "sampler_seconds": 12.5,
        },
    }


def _parse(data: dict) -> mf.MappingManifest:
    return parse_model(mf.MappingManifest, json.dumps(data), "m.json")


def test_valid_manifest_parses():
    assert _parse(_manifest_data()).retention.days == 90


@pytest.mark.parametrize(
    ("section", "field", "value", "match"),
    [
        ("retention", "expires_at", CREATED.isoformat(), r"retention: expires_at must be created_at \+ 90 days"),
        ("retention", "days", 365, r"retention\.days: Input should be 90"),
        ("differential_privacy", "enabled", True, r"epsilon_spent must be set exactly when enabled"),
        ("tokenization", "tokens_exported", True, r"tokenization\.tokens_exported: Input should be False"),
        ("tokenization", "key_fingerprint", "the-key-itself", r"tokenization\.key_fingerprint: String should match"),
        ("provenance", "operator", "Jane Doe <jane@example.com>", r"provenance\.operator: String should match"),
        ("provenance", "operator", "jane.doe@example.com", r"provenance\.operator: String should match"),
        ("provenance", "host", "svc@sampler-7f9c", r"provenance\.host: String should match"),
        (None, "pack_sha256", "abc", r"pack_sha256: String should match pattern"),
        (None, "secret", "x", r"secret: Extra inputs are not permitted"),
    ],
)
def test_manifest_rules(section, field, value, match):
    data = _manifest_data()
    (data[section] if section else data)[field] = value
    with pytest.raises(SpecError, match=match):
        _parse(data)


def test_a_cell_outside_the_pack_layout_fails_closed():
    cells = {("users", "device", "toaster-42", 0): (25.0, 20), ("users", "device", "ios", 0): (25.0, 20)}
    with pytest.raises(PrivacyViolation, match=r"returned 1 cells outside the pack layout: users\.device\[0\]"):
        assemble_tree(cells, 30, DisclosurePolicy(), None)
