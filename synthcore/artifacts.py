"""Atomic file output: write to a temporary name beside the target, then rename.

A reader never sees a half-written file, and a failed write leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from synthcore.errors import OutputError


def ensure_writable_dir(path: Path) -> Path:
    """Create ``path`` if needed and check it can be written.

    Raises:
        OutputError: the directory cannot be created or written.
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"output directory {str(path)!r} cannot be created: {exc.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputError(f"output directory {str(path)!r} is not writable")
    return path


def check_writable_dir(path: Path) -> Path:
    """Check, without creating anything, that ``path`` is a writable directory or could be created as one.

    Raises:
        OutputError: ``path`` or its nearest existing ancestor is not a directory, or cannot be written.
    """
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"output directory {str(path)!r} cannot be created: {str(existing)!r} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"output directory {str(path)!r} is not writable ({str(existing)!r} is read-only)")
    return path


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` only if the block succeeds."""
    ensure_writable_dir(target.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomic(target: Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically and return ``target``."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return target


def write_json_atomic(target: Path, payload: Any) -> Path:
    """Write ``payload`` as indented JSON (a pydantic model or plain data) atomically."""
    if hasattr(payload, "model_dump_json"):
        text = payload.model_dump_json(indent=2)
    else:
        text = json.dumps(payload, indent=2, sort_keys=True, allow_nan=False)
    return write_bytes_atomic(target, (text + "\n").encode())
