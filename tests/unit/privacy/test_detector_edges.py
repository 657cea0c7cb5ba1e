"""Checksums and plausibility rules of the detectors at their exact edges; unreadable inputs named."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthcore.errors import PrivacyViolation, SpecError
from synthcore.privacy.detectors import _ssn_plausible, detect, iban_valid, luhn_valid, shannon_entropy
from synthcore.privacy.scan import Finding, ScanResult, require_clean, scan_pack_file


def _numeric(text: str) -> str:
    return "".join(str(int(ch, 36)) for ch in text)


def _mod97(prefix: str, length: int) -> str:
    """A string of ``length`` starting with ``prefix`` whose rearranged form is 1 mod 97 (digits fill the rest)."""
    for tail in range(100):
        candidate = prefix + "1" * (length - len(prefix) - 2) + f"{tail:02d}"
        if int(_numeric(candidate[4:] + candidate[:4])) % 97 == 1:
            return candidate
    raise AssertionError("unreachable: 100 consecutive tails cover every residue")


def test_luhn_doubles_every_second_digit_from_the_right():
    assert luhn_valid("79927398713") and luhn_valid("4111111111111111")
    assert not luhn_valid("79927398710")


@pytest.mark.parametrize("length", [15, 34])
def test_iban_lengths_15_and_34_are_checked(length):
    assert iban_valid(_mod97("NO93", length))


@pytest.mark.parametrize("length", [14, 35])
def test_iban_lengths_outside_15_to_34_are_refused(length):
    assert not iban_valid(_mod97("NO93", length))


@pytest.mark.parametrize("prefix", ["GBAB", "GBA2", "G2B2"])
def test_iban_needs_two_letters_then_two_check_digits(prefix):
    assert not iban_valid(_mod97(prefix, 22))


@pytest.mark.parametrize(
    ("area", "group", "serial", "plausible"),
    [
        ("123", "45", "6789", True),
        ("121", "21", "2121", True),  # two distinct digits are enough
        ("912", "45", "6789", False),
        ("666", "45", "6789", False),
        ("123", "00", "6789", False),
        ("123", "45", "0000", False),
        ("111", "11", "1111", False),
    ],
)
def test_ssn_plausibility_follows_the_ssa_rules(area, group, serial, plausible):
    assert _ssn_plausible(area, group, serial) is plausible


def test_shannon_entropy_is_bits_per_character():
    assert shannon_entropy("aabb") == 1.0 and shannon_entropy("abcd") == 2.0


def test_an_unreadable_pack_is_named(tmp_path: Path):
    missing = tmp_path / "missing.json"
    with pytest.raises(SpecError) as caught:
        scan_pack_file(missing)
    assert caught.value.source == str(missing)
    assert caught.value.problems == ["cannot read file: No such file or directory"]


def test_require_clean_puts_every_finding_on_its_own_line():
    result = ScanResult("p.json", (Finding("$.a", "email", "ja…(3 chars)"), Finding("$.b", "phone", "+4…(9 chars)")))
    with pytest.raises(PrivacyViolation) as caught:
        require_clean(result)
    assert str(caught.value) == (
        "p.json: 2 finding(s); the pack must not leave:\n  $.a: email: ja…(3 chars)\n  $.b: phone: +4…(9 chars)"
    )


ENTROPY_3_5 = "ABCDabcd" * 2 + "0123" * 4  # 8 characters twice and 4 four times in 32: exactly 3.5 bits


@pytest.mark.parametrize(
    ("category", "text", "found"),
    [
        ("payment_card", "4222222222222", True),  # 13 digits, the shortest card
        ("payment_card", "4000000000000000006", True),  # 19 digits, the longest
        ("payment_card", "4111111111111111", True),  # two distinct digits are enough
        ("payment_card", "0000000000000", False),  # passes Luhn, but one repeated digit
        ("phone", "+1234567", False),  # 7 digits
        ("phone", "+12345678", True),  # 8 digits, the fewest
        ("phone", "001234567890123", True),  # 15 digits with the 00 prefix, the most
        ("phone", "0012345678901234", False),  # 16
        ("hex_token", "1234567890123456789", False),  # 19 digits are a number
        ("hex_token", "12345678901234567890", True),  # 20 digits are a token
        ("base64_token", ENTROPY_3_5, True),  # the entropy threshold itself
        ("base64_token", ENTROPY_3_5[:-1] + "0", False),  # just below it
        ("base64_token", "ABCDEFGHIJKLMNOPabcdefghijklmnop", False),  # no digit
        ("base64_token", "abcdefghijklmnop0123456789", False),  # one case only
        ("base64_token", "ABCDEFGHIJKLMNOP0123456789", False),
        ("ip_address", "::", False),  # colons only: the unspecified address is not personal
    ],
)
def test_detectors_at_their_exact_edges(category, text, found):
    assert (category in {d.category for d in detect(text)}) is found


@pytest.mark.parametrize("text", ["a :: b 2001:db8::1", "999.1.1.1 203.0.113.42"])
def test_a_rejected_ip_candidate_does_not_hide_the_next_one(text):
    assert [(d.category, d.hint) for d in detect(text) if d.category == "ip_address"] == [
        ("ip_address", f"20…({len(text.split()[-1])} chars)")
    ]
