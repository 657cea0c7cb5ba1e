"""Detectors: a real-format positive and a near-miss negative per category, plus decoders."""

from __future__ import annotations

import base64

import pytest

from synthcore.privacy.decoders import decoded_variants, normalise
from synthcore.privacy.detectors import detect, iban_valid, luhn_valid

POSITIVES = [
    ("email", "jane.doe@example.com"),
    ("email", "jane.doe [at] example [dot] com"),
    ("phone", "+44 7700 900123"),
    ("phone", "+1 (415) 555-0100"),
    ("phone", "0049 30 901820"),
    ("ssn", "078-05-1121"),
    ("ssn_unformatted", "078051121"),
    ("payment_card", "4012888888881881"),
    ("payment_card", "4012 8888 8888 1881"),
    ("payment_card", "5555-5555-5555-4444"),
    ("iban", "GB82WEST12345698765432"),
    ("iban", "de89 3704 0044 0532 0130 00"),
    ("ip_address", "203.0.113.42"),
    ("ip_address", "2001:db8::8a2e:370:7334"),
    ("uuid", "550e8400-e29b-41d4-a716-446655440000"),
    ("uuid", "550E8400E29B41D4A716446655440000"),
    ("hex_token", "9f86d081884c7d659a2feaa0c55ad015"),
    ("base64_token", "dGhpcyBpcyBhIHNlY3JldCB0b2tlbjEyMw"),
    ("jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    ("cloud_key", "AKIAIOSFODNN7EXAMPLE"),
    ("cloud_key", "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"),
    ("cloud_key", "sk-proj-" + "Ab3dEf6hIj9lMn2pQr5tUv8x"),
    ("cloud_key", "AIza" + "SyA-1234567890abcdefghijklmnopqrstu"),
    ("private_key", "-----BEGIN OPENSSH PRIVATE KEY-----"),
    ("person_name", "Alice Smith"),
    ("street_address", "221 Baker Street"),
    ("street_address", "Hauptstraße 12"),
]

NEAR_MISSES = [
    ("payment_card", "4012-8888-8888-1882"),  # one digit changed: Luhn fails
    ("payment_card", "401288888888"),  # 12 digits: too short for a card
    ("iban", "GB82WEST12345698765433"),  # mod-97 fails
    ("ssn", "000-12-3456"),  # area 000 is never issued
    ("ssn", "666-12-3456"),
    ("ip_address", "999.1.1.1"),
    ("phone", "+12 34"),  # too few digits
    ("uuid", "550e8400-e29b-41d4-a716-44665544000"),  # one hex digit short
    ("cloud_key", "akiaiosfodnn7example"),  # lowercase is not an AWS key id
    ("person_name", "Canary Street"),  # not a given name
]

CLEAN = ["p50", "image/jpeg", "application/msword", "inactive_group_memberships", "within_30s", "1.23e+11", "12345"]


@pytest.mark.parametrize(("category", "text"), POSITIVES)
def test_each_category_is_found(category, text):
    assert category in {d.category for d in detect(text)}


@pytest.mark.parametrize(("category", "text"), NEAR_MISSES)
def test_near_misses_are_not_reported(category, text):
    assert category not in {d.category for d in detect(text)}


@pytest.mark.parametrize("text", CLEAN)
def test_pack_vocabulary_is_clean(text):
    assert detect(text) == []


def test_numbers_are_not_bare_ssns_but_strings_are():
    assert detect("123456785", numeric=True) == []
    assert [d.category for d in detect("123456785")] == ["ssn_unformatted"]


def test_hints_never_repeat_the_match():
    (detection,) = detect("jane.doe@example.com")
    assert "jane.doe" not in detection.hint and detection.hint.endswith("(20 chars)")


def test_checksums():
    assert luhn_valid("4012888888881881") and not luhn_valid("4012888888881882")
    assert iban_valid("GB82 WEST 1234 5698 7654 32") and not iban_valid("GB82WEST1234")


def test_normalise_folds_fullwidth_and_strips_zero_width():
    assert normalise("ｊａｎｅ\u200b@example.com") == "jane@example.com"


def test_decoded_variants_unwrap_nested_encodings():
    inner = base64.b64encode(b"jane.doe@example.com".hex().encode()).decode()
    variants = dict((v, how) for how, v in decoded_variants(inner))
    assert variants["jane.doe@example.com"] == "plain+base64+hex"
    assert ("plain+url", "a@b.com") in list(decoded_variants("a%40b.com"))
