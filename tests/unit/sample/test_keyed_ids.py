"""The HMAC key: required, long enough, never shown, fingerprinted one-way."""

from __future__ import annotations

import pickle

import pytest

from synthcore.errors import PrivacyViolation
from synthcore.sample.keyed_ids import KEY_ENV, AnonymizationKey, load_key

SECRET = "s3cr3t-key-material-0123456789abcdefXYZ"


def test_missing_key_is_refused():
    with pytest.raises(PrivacyViolation, match=f"refusing to sample: {KEY_ENV} is not set"):
        load_key({})
    with pytest.raises(PrivacyViolation, match=f"{KEY_ENV} is not set"):
        load_key({KEY_ENV: ""})


def test_short_key_is_refused_without_echoing_it():
    with pytest.raises(PrivacyViolation, match=r"too short: 9 bytes, need at least 32") as info:
        load_key({KEY_ENV: "shortkey!"})
    assert "shortkey!" not in str(info.value)


def test_key_is_never_shown_or_pickled():
    key = load_key({KEY_ENV: SECRET})
    assert SECRET not in repr(key) and SECRET not in str(key) and SECRET not in f"{key}"
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(key)


def test_fingerprint_is_stable_short_and_key_dependent():
    one = AnonymizationKey(SECRET.encode()).fingerprint()
    assert one == AnonymizationKey(SECRET.encode()).fingerprint()
    assert one != AnonymizationKey((SECRET + "!").encode()).fingerprint()
    assert one.startswith("hmac-sha256:") and len(one) == len("hmac-sha256:") + 16
    assert SECRET.encode().hex()[:16] not in one
