"""Keyed randomness: every draw comes from a stream named by (purpose, block) under the run's root entropy.

Outputs depend only on (purpose, block, seed), never on how blocks are grouped into chunks or in which order
chunks run. Identifiers are keyed hashes of (table, entity index, seed), so they are stable across chunkings.
"""

from __future__ import annotations

import hashlib
from enum import IntEnum

import numpy as np
import pyarrow as pa

from synthcore.errors import InputError
from synthcore.generate.tables.columns import uuid_array


class Purpose(IntEnum):
    """Names of the independent random streams; values are part of the determinism contract."""

    PLAN_KINDS = 1
    PLAN_MEMBERS = 2
    PLAN_MESSAGES = 3
    PLAN_HEAVY = 4
    PLAN_ACTIVITY = 5
    USERS = 10
    CONVERSATIONS = 20
    CONVERSATION_NAMES = 23
    MEMBER_ROLES = 24
    MEMBERS = 21
    MEMBER_DEDUP = 22
    MESSAGES = 30
    TIMELINE = 31
    CONTENT = 32
    ATTACHMENTS = 40
    RECEIPTS = 50


class IdSpace(IntEnum):
    """Tables whose rows get a keyed UUID."""

    USERS = 1
    CONVERSATIONS = 2
    MESSAGES = 3
    ATTACHMENTS = 4


def root_entropy(seed: str) -> int:
    """128-bit root entropy of a user seed (SHA-256 of its UTF-8 bytes).

    Raises:
        InputError: the seed is empty or only whitespace.
    """
    if not seed or not seed.strip():
        raise InputError("--seed must not be empty: give any non-empty string, e.g. --seed s1")
    return int.from_bytes(hashlib.sha256(seed.encode()).digest()[:16], "big")


def stream(purpose: Purpose, block: int, root: int) -> np.random.Generator:
    """The generator for one (purpose, block): varying ids first, root last (numpy's parallel-RNG advice)."""
    return np.random.default_rng([int(purpose), int(block), root])


_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_VERSION_CLEAR, _VERSION = np.uint64(~0xF000 & 2**64 - 1), np.uint64(0x4000)
_VARIANT_CLEAR, _VARIANT = np.uint64(2**62 - 1), np.uint64(2**63)


def mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a bijection on uint64, applied element-wise (in place on one new array)."""
    z = x + _GOLDEN
    shifted = z >> np.uint64(30)
    z ^= shifted
    z *= _M1
    np.right_shift(z, np.uint64(27), out=shifted)
    z ^= shifted
    z *= _M2
    np.right_shift(z, np.uint64(31), out=shifted)
    z ^= shifted
    return z


def _id_keys(space: IdSpace, root: int) -> tuple[np.uint64, np.uint64]:
    digest = hashlib.sha256(f"ids:{int(space)}:{root}".encode()).digest()
    return np.uint64(int.from_bytes(digest[:8], "big")), np.uint64(int.from_bytes(digest[8:16], "big"))


def keyed_uuids(space: IdSpace, index: np.ndarray, root: int, valid: np.ndarray | None = None) -> pa.ExtensionArray:
    """Version-4-shaped UUIDs for entity indices of one table, as an Arrow ``uuid`` array (null where not ``valid``).

    The first 64 bits are a bijection of the index under the table's key, so ids never collide within a table.
    """
    k1, k2 = _id_keys(space, root)
    idx = index.astype(np.uint64, copy=False)
    high, low = mix64(idx ^ k1), mix64(idx ^ k2)
    # big-endian bytes 6 and 8: the version nibble (4) and the variant bits (10), set on the words before storing
    high &= _VERSION_CLEAR
    high |= _VERSION
    low &= _VARIANT_CLEAR
    low |= _VARIANT
    words = np.empty((idx.size, 2), dtype=">u8")
    words[:, 0] = high
    words[:, 1] = low
    return uuid_array(words, valid)
