"""Gibberish text from a fixed syllable set, sliced vectorised into Arrow string arrays.

The corpus is a constant of the code (a fixed seed, not the run's): runs differ by where they read it. Text is
built as one contiguous read of the corpus per block, so an Arrow string array is made from an offsets buffer
and a slice of the corpus without a per-row loop. Never real words, names or personal data.
"""

from __future__ import annotations

import threading
from functools import cache

import numpy as np
import pyarrow as pa

from synthcore.generate.tables.columns import validity

_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"
# 2M syllables (~5 MB) with a space after about a third of them; blocks needing more text wrap around.
_CORPUS_SYLLABLES = 2_000_000
_CORPUS_SEED = 20260101
_CORPUS_LOCK = threading.Lock()
_REPEATED: dict[bool, np.ndarray] = {}  # the corpus repeated as far as the largest block so far has read


@cache
def corpus(spaces: bool) -> np.ndarray:
    """The fixed corpus as uint8 ASCII: syllables, with or without word breaks."""
    rng = np.random.default_rng(_CORPUS_SEED + int(spaces))
    n = _CORPUS_SYLLABLES
    cells = np.empty((n, 3), dtype=np.uint8)
    cells[:, 0] = np.frombuffer(_CONSONANTS.encode(), np.uint8)[rng.integers(0, len(_CONSONANTS), n)]
    cells[:, 1] = np.frombuffer(_VOWELS.encode(), np.uint8)[rng.integers(0, len(_VOWELS), n)]
    cells[:, 2] = ord(" ")
    keep = np.ones((n, 3), dtype=bool)
    keep[:, 2] = spaces & (rng.random(n) < 0.35)
    return cells[keep]


def _repeated_corpus(spaces: bool, size: int) -> np.ndarray:
    """The corpus repeated to at least ``size`` bytes; kept for the next blocks, so that text is a slice, not a copy."""
    text = _REPEATED.get(spaces)
    if text is None or text.size < size:
        base = corpus(spaces)
        text = _REPEATED[spaces] = np.tile(base, -(-size // base.size))
    return text


def gibberish(
    rng: np.random.Generator, lengths: np.ndarray, valid: np.ndarray | None = None, *, spaces: bool = True
) -> pa.StringArray:
    """A string array of ``lengths`` ASCII characters each (null where ``valid`` is False)."""
    lengths = np.where(valid, lengths, 0) if valid is not None else lengths
    offsets = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    total = int(offsets[-1])
    if total >= 2**31:
        raise ValueError(f"{total} characters of text in one block exceed Arrow's 2 GiB string limit")
    with _CORPUS_LOCK:  # chunks generated in threads share the corpus: the first builds it, the others wait
        start = int(rng.integers(0, corpus(spaces).size))
        data = _repeated_corpus(spaces, start + total)[start : start + total]
    return pa.StringArray.from_buffers(
        lengths.size, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data), validity(valid)
    )
