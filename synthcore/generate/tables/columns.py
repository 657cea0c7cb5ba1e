"""Small constructors of Arrow columns from numpy arrays, without per-row Python."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthcore.spec.tables import TS


def validity(valid: np.ndarray | None) -> pa.Buffer | None:
    """Arrow validity bitmap for a boolean mask (None when everything is valid)."""
    if valid is None or valid.all():
        return None
    return pa.py_buffer(np.packbits(valid, bitorder="little"))


def uuid_array(raw: np.ndarray, valid: np.ndarray | None = None) -> pa.ExtensionArray:
    """Arrow ``uuid`` array over an ``n × 16`` byte block (any 16-byte dtype), null where not ``valid``."""
    storage = pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), len(raw), [validity(valid), pa.py_buffer(raw)])
    return pa.ExtensionArray.from_storage(pa.uuid(), storage)


def take(ids: pa.ExtensionArray, indices: np.ndarray, valid: np.ndarray | None = None) -> pa.ExtensionArray:
    """``ids[indices]`` of a null-free UUID array, null where ``valid`` is False (numpy gather: 3x pc.take)."""
    words = np.frombuffer(ids.storage.buffers()[1], dtype=np.uint64).reshape(-1, 2)
    return uuid_array(np.take(words[ids.offset : ids.offset + len(ids)], indices, axis=0), valid)


def timestamps(values_us: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """``timestamp[us, UTC]`` array from int64 microseconds since the epoch."""
    data = np.ascontiguousarray(values_us, dtype=np.int64)
    return pa.Array.from_buffers(TS, data.size, [validity(valid), pa.py_buffer(data)])


def labels(codes: np.ndarray, names: tuple[str, ...] | list[str], valid: np.ndarray | None = None) -> pa.Array:
    """String array of ``names[code]`` (dictionary-decoded, vectorised)."""
    indices = pa.Array.from_buffers(
        pa.int32(), codes.size, [validity(valid), pa.py_buffer(np.ascontiguousarray(codes, dtype=np.int32))]
    )
    return pc.take(pa.array(list(names), pa.string()), indices)


def joined(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string arrays and constant strings."""
    return pc.binary_join_element_wise(*parts, "")


def integers(values: np.ndarray) -> pa.Array:
    """``int64`` array from integers (zero-copy when they already are int64)."""
    data = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), data.size, [None, pa.py_buffer(data)])


def numbers(values: np.ndarray) -> pa.Array:
    """Decimal text of integers, e.g. for synthetic addresses."""
    return pc.cast(integers(values), pa.string())


def bools(values: np.ndarray) -> pa.Array:
    """Boolean array from a numpy mask, bit-packed directly (``pa.array`` would also import ``numpy.ma``)."""
    return pa.Array.from_buffers(pa.bool_(), values.size, [None, pa.py_buffer(np.packbits(values, bitorder="little"))])
