"""Decodings at their exact edges: what counts as text, how deep encodings are unwrapped, which runs are tried."""

from __future__ import annotations

import base64

import pytest

from synthcore.privacy.decoders import decoded_variants


def _base64_decodings(data: bytes) -> list[str]:
    return [v for how, v in decoded_variants(base64.b64encode(data).decode()) if how == "plain+base64"]


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"abcdefghi\x01", True),  # 9 of 10 characters printable: the threshold itself is text
        (b"abcdefgh\x01\x02", False),  # 8 of 10
        (b"a\x01\x02\x03\x04\x05\x06\x07\x08\t", False),  # 1 of 10
    ],
)
def test_a_decoding_is_text_when_nine_tenths_of_it_is_printable(data, text):
    assert _base64_decodings(data) == ([data.decode()] if text else [])


def test_a_run_that_decodes_to_nothing_is_not_a_variant():
    assert list(decoded_variants("--------")) == [("plain", "--------")]


@pytest.mark.parametrize("email", [b"jane.doe@example.com", b"jane.doe@example.co.uk"])  # 27 and 30 characters
def test_base64_without_its_padding_is_decoded(email):
    unpadded = base64.b64encode(email).decode().rstrip("=")
    assert [v for how, v in decoded_variants(unpadded) if how == "plain+base64"] == [email.decode()]


def test_url_safe_base64_that_standard_base64_refuses_is_decoded():
    text = base64.urlsafe_b64encode(b"jane>doe@example.com??").decode()
    assert "_" in text  # without its "_", 29 characters: standard base64 raises
    assert [v for how, v in decoded_variants(text) if how == "plain+base64"] == ["jane>doe@example.com??"]


def test_every_base64_run_of_a_text_is_decoded():
    emails = ["jane.doe@example.com", "john.roe@example.org"]
    text = " ".join(base64.b64encode(e.encode()).decode() for e in emails)
    assert [v for how, v in decoded_variants(text) if how == "plain+base64"] == emails


def test_three_layers_of_encoding_are_unwrapped_and_a_fourth_is_not():
    layers = ["jane.doe@example.com"]
    for encode in (_base64, _hex, _base64, _hex):
        layers.append(encode(layers[-1]))
    assert ("plain+base64+hex+base64", "jane.doe@example.com") in list(decoded_variants(layers[3]))
    assert "jane.doe@example.com" not in {v for _, v in decoded_variants(layers[4])}


def test_each_decoding_step_is_named_in_the_chain():
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in "jane@example.com")
    assert ("plain+nfkc", "jane@example.com") in list(decoded_variants(fullwidth))
    assert ("plain+url", "jane@example.com") in list(decoded_variants("jane%40example.com"))


def _base64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _hex(text: str) -> str:
    return text.encode().hex()
