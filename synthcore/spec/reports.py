"""Report models written by the generator (and, later, the other stages)."""

from __future__ import annotations

from synthcore.spec.bands import Counts
from synthcore.spec.base import StrictModel


class TableSummary(StrictModel):
    """Rows of one table and its order-independent checksum (sum of row hashes mod 2**64, hex)."""

    rows: int
    checksum: str


class ChunkReport(StrictModel):
    """What one chunk wrote."""

    chunk: int
    chunks: int
    spec_sha256: str
    band: str
    seed: str
    counts: Counts
    tables: dict[str, TableSummary]
    effective: dict[str, float]
    seconds: float


class GenerationReport(StrictModel):
    """The whole dataset: identity (spec hash, band, seed, counts) and per-table rows and checksums."""

    spec_sha256: str
    band: str
    seed: str
    counts: Counts
    chunks: int
    numpy_version: str
    synthcore_version: str
    tables: dict[str, TableSummary]
    effective: dict[str, float]
    chunk_seconds: dict[int, float]
    seconds: float
