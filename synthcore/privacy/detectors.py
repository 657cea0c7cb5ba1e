"""Offline detectors of personal data and secrets in a piece of text: patterns plus checksums.

Pure functions, no network, no models. Each detector returns the matched categories with a short redacted
hint (never the full match, so a report cannot leak what it found). Checksums (Luhn for cards, ISO 7064
mod-97 for IBANs) keep near-misses out where the issue asks for them; everything else is pattern-based and
errs on the side of reporting, because a finding only blocks an export.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Detection:
    """One category found in a text, with a redacted hint of where."""

    category: str
    hint: str


def redact(text: str) -> str:
    """A hint that shows the shape, never the value: first two characters, length."""
    return f"{text[:2]}…({len(text)} chars)"


_EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]+\s*(?:@|\(at\)|\[at\])\s*[A-Za-z0-9-]+(?:\s*(?:\.|\(dot\)|\[dot\])\s*[A-Za-z0-9-]+)+"
)
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)[1-9](?:[\s().-]{0,2}\d){6,14}(?!\d)")
_SSN = re.compile(r"(?<!\d)(\d{3})[- .](\d{2})[- .](\d{4})(?!\d)")
_SSN_BARE = re.compile(r"(?<![\w.])(\d{3})(\d{2})(\d{4})(?![\w.])")
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_IBAN = re.compile(r"\b[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){11,30}\b")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])")
_UUID = re.compile(r"[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}")
_HEX_TOKEN = re.compile(r"(?<![0-9A-Za-z])[0-9A-Fa-f]{16,}(?![0-9A-Za-z])")
_B64_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{20,}={0,2}")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_CLOUD_KEYS = re.compile(
    r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}"  # AWS access key id
    r"|AIza[0-9A-Za-z_-]{35}"  # Google API key
    r"|gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,}"  # GitHub
    r"|glpat-[A-Za-z0-9_-]{20}"  # GitLab
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"  # Slack
    r"|[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"  # Stripe
    r"|sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}"  # OpenAI / Anthropic
    r"|AccountKey=[A-Za-z0-9+/=]{40,}"  # Azure storage
    r"|ya29\.[0-9A-Za-z_-]{20,}"  # Google OAuth access token
)
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----|PuTTY-User-Key-File")
_STREET = re.compile(
    r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Boulevard|Blvd|Drive|Dr|Way|"
    r"Court|Ct|Place|Pl|Square|Sq|Terrace|Close|Crescent)\b\.?"
    r"|\b[A-Z][a-zäöüß]+(?:straße|strasse|weg|gasse|platz|allee)\s+\d{1,4}\b"
)
# A small bundled list of common given names: a person name is a capitalised given name followed by a
# capitalised surname. Offline and approximate by design; the closed schema is the real guarantee.
_GIVEN_NAMES = frozenset(
    " ".join(
        (
            "james mary john patricia robert jennifer michael linda william elizabeth david barbara richard susan",
            "joseph jessica thomas sarah charles karen daniel nancy matthew lisa anthony betty mark sandra paul",
            "ashley steven emily andrew donna kevin michelle brian carol george amanda edward melissa ronald",
            "deborah timothy stephanie jason rebecca jeffrey laura ryan sharon jacob cynthia gary kathleen",
            "nicholas amy eric angela jonathan anna alice bruno chiara dmitri emeka maria jose juan ana luis",
            "carlos sofia lucas emma olivia liam noah mohammed fatima ahmed wei li yuki hiroshi priya raj olga",
            "ivan hans lena pierre marie jean giulia marco",
        )
    ).split()
)
_PERSON = re.compile(r"\b([A-Z][a-z]{1,20})\s+([A-Z][a-z]{1,30}(?:-[A-Z][a-z]{1,30})?)\b")


def luhn_valid(digits: str) -> bool:
    """True if the digit string passes the Luhn checksum (payment cards)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    """True if ``candidate`` (spaces allowed, any case) passes the ISO 7064 mod-97 IBAN check."""
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def _ssn_plausible(area: str, group: str, serial: str) -> bool:
    """SSA rules: no area 000, 666 or 9xx, no group 00, no serial 0000, not all one digit."""
    digits = area + group + serial
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000" and len(set(digits)) > 1


def shannon_entropy(text: str) -> float:
    """Bits per character of ``text``."""
    counts = Counter(text)
    return -sum(c / len(text) * math.log2(c / len(text)) for c in counts.values())


def _emails(text: str) -> Iterator[str]:
    yield from (m.group() for m in _EMAIL.finditer(text))


def _phones(text: str) -> Iterator[str]:
    for m in _PHONE.finditer(text):
        if 8 <= sum(ch.isdigit() for ch in m.group()) <= 15:
            yield m.group()


def _ssns(text: str) -> Iterator[str]:
    yield from (m.group() for m in _SSN.finditer(text) if _ssn_plausible(*m.groups()))


def _bare_ssns(text: str) -> Iterator[str]:
    yield from (m.group() for m in _SSN_BARE.finditer(text) if _ssn_plausible(*m.groups()))


def _cards(text: str) -> Iterator[str]:
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits) and len(set(digits)) > 1:
            yield m.group()


def _ibans(text: str) -> Iterator[str]:
    yield from (m.group() for m in _IBAN.finditer(text) if iban_valid(m.group()))


def _ips(text: str) -> Iterator[str]:
    for m in (*_IPV4.finditer(text), *_IPV6.finditer(text)):
        candidate = m.group()
        if candidate.count(":") >= 2 and not any(ch.isalnum() for ch in candidate):
            continue
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            continue
        yield candidate


def _uuids(text: str) -> Iterator[str]:
    yield from (m.group() for m in _UUID.finditer(text))


def _hex_tokens(text: str) -> Iterator[str]:
    yield from (m.group() for m in _HEX_TOKEN.finditer(text) if not m.group().isdigit() or len(m.group()) >= 20)


def _base64_tokens(text: str) -> Iterator[str]:
    for m in _B64_TOKEN.finditer(text):
        token = m.group()
        has_digit = any(ch.isdigit() for ch in token)
        mixed_case = any(ch.islower() for ch in token) and any(ch.isupper() for ch in token)
        if has_digit and mixed_case and shannon_entropy(token) >= 3.5:
            yield token


def _jwts(text: str) -> Iterator[str]:
    yield from (m.group() for m in _JWT.finditer(text))


def _cloud_keys(text: str) -> Iterator[str]:
    yield from (m.group() for m in _CLOUD_KEYS.finditer(text))


def _private_keys(text: str) -> Iterator[str]:
    yield from (m.group() for m in _PRIVATE_KEY.finditer(text))


def _person_names(text: str) -> Iterator[str]:
    for m in _PERSON.finditer(text):
        if m.group(1).lower() in _GIVEN_NAMES:
            yield m.group()


def _street_addresses(text: str) -> Iterator[str]:
    yield from (m.group() for m in _STREET.finditer(text))


DETECTORS: dict[str, Callable[[str], Iterator[str]]] = {
    "email": _emails,
    "phone": _phones,
    "ssn": _ssns,
    "ssn_unformatted": _bare_ssns,
    "payment_card": _cards,
    "iban": _ibans,
    "ip_address": _ips,
    "uuid": _uuids,
    "hex_token": _hex_tokens,
    "base64_token": _base64_tokens,
    "jwt": _jwts,
    "cloud_key": _cloud_keys,
    "private_key": _private_keys,
    "person_name": _person_names,
    "street_address": _street_addresses,
}
"""Every detector by category name."""
TEXT_ONLY = frozenset({"ssn_unformatted"})
"""Categories not applied to numbers: a bare 9-digit count is not an SSN."""


def detect(text: str, *, numeric: bool = False) -> list[Detection]:
    """Run every detector over ``text``; one Detection per category and match.

    Args:
        text: the text to search.
        numeric: ``text`` renders a JSON number; detectors in TEXT_ONLY are skipped.
    """
    return [
        Detection(category, redact(found))
        for category, find in DETECTORS.items()
        if not (numeric and category in TEXT_ONLY)
        for found in find(text)
    ]
