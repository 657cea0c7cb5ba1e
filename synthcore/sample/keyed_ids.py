"""The sampler's HMAC-SHA256 key: read from the environment, checked, fingerprinted, never shown.

The key is a secret (FIPS 198-1: at least 32 bytes for SHA-256), not a salt. The sampler refuses to run
without it. Identifiers are grouped only inside PostgreSQL, on the raw keys, and never reach the client, so no
token is computed or exported; the key is deliberately never sent to the server either, because bind parameters
can be written to the server log (log_statement, log_min_duration_statement). What leaves is the key's
fingerprint, an HMAC of a fixed label, from which the key cannot be recovered.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import Final

from synthcore.errors import PrivacyViolation

KEY_ENV = "ANONYMIZATION_SALT"
"""Environment variable holding the key (the name is kept for the deployment; the value is a key)."""
MIN_KEY_BYTES = 32
"""256 bits: FIPS 198-1 asks for at least the hash's security strength (L/2 = 128 bits); we take the full L."""
ALGORITHM: Final = "HMAC-SHA256"
_FINGERPRINT_LABEL = b"synthdata:key-fingerprint:v1"
FINGERPRINT_HEX_CHARS = 16


class AnonymizationKey:
    """A secret HMAC key; its repr and str never show the key."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise PrivacyViolation(
                f"{KEY_ENV} is too short: {len(key)} bytes, need at least {MIN_KEY_BYTES} "
                "(generate one with: openssl rand -hex 32)"
            )
        self._key = key

    def __repr__(self) -> str:
        return f"AnonymizationKey(<{len(self._key)} bytes, fingerprint {self.fingerprint()}>)"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("AnonymizationKey cannot be pickled")

    def fingerprint(self) -> str:
        """A short public identifier of the key: HMAC of a fixed label, truncated; reveals nothing of the key."""
        digest = hmac.new(self._key, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()
        return f"hmac-sha256:{digest[:FINGERPRINT_HEX_CHARS]}"


def load_key(environ: Mapping[str, str] | None = None) -> AnonymizationKey:
    """Read the key from ``ANONYMIZATION_SALT``.

    Raises:
        PrivacyViolation: the variable is unset or shorter than MIN_KEY_BYTES bytes.
    """
    env = os.environ if environ is None else environ
    value = env.get(KEY_ENV)
    if not value:
        raise PrivacyViolation(f"refusing to sample: {KEY_ENV} is not set (the HMAC key; see the sampler docs)")
    return AnonymizationKey(value.encode())
