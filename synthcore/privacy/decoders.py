"""Unwrap the encodings PII hides behind, so the detectors see the plain text too.

``decoded_variants`` yields the text itself, its NFKC form with format characters (zero-width, bidi controls)
removed, its percent-decoding, and the UTF-8 text of every base64 or hex run in it, recursively up to a small
depth. Pure and offline.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Iterator
from urllib.parse import unquote

MAX_DEPTH = 3
"""Layers of encoding unwrapped (e.g. base64 of hex of a URL-encoded email)."""
_B64_RUN = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")
_HEX_RUN = re.compile(r"(?:[0-9A-Fa-f]{2}){4,}")
_MIN_PRINTABLE = 0.9


def normalise(text: str) -> str:
    """NFKC (fullwidth digits, ligatures, compatibility forms) with format characters (category Cf) removed."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if unicodedata.category(ch) != "Cf")


def _printable(data: bytes) -> str | None:
    """``data`` as text if it is UTF-8 and mostly printable, else None."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text or sum(ch.isprintable() for ch in text) / len(text) < _MIN_PRINTABLE:
        return None
    return text


def _base64_texts(text: str) -> Iterator[str]:
    for run in _B64_RUN.findall(text):
        padded = run + "=" * (-len(run) % 4)
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                decoded = _printable(decode(padded))
            except (binascii.Error, ValueError):
                continue
            if decoded is not None:
                yield decoded
                break


def _hex_texts(text: str) -> Iterator[str]:
    for run in _HEX_RUN.findall(text):
        decoded = _printable(bytes.fromhex(run))
        if decoded is not None:
            yield decoded


def decoded_variants(text: str, depth: int = MAX_DEPTH) -> Iterator[tuple[str, str]]:
    """Yield ``(how, variant)`` for ``text`` and every decoding of it; ``how`` names the decoding chain."""
    seen: set[str] = set()
    pending = [("plain", text)]
    for _ in range(depth + 1):
        next_round: list[tuple[str, str]] = []
        for how, variant in pending:
            for step, candidate in (("plain", variant), ("nfkc", normalise(variant)), ("url", unquote(variant))):
                if candidate in seen:
                    continue
                seen.add(candidate)
                label = how if step == "plain" else f"{how}+{step}"
                yield label, candidate
                next_round.extend((f"{label}+base64", t) for t in _base64_texts(candidate))
                next_round.extend((f"{label}+hex", t) for t in _hex_texts(candidate))
        pending = next_round
