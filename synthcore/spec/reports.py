"""Report models written by the generator: per chunk, and for the whole dataset."""

from __future__ import annotations

from synthcore.spec.bands import Counts
from synthcore.spec.base import StrictModel


class TableSummary(StrictModel):
    """Rows of one table and its order-independent checksum (sum of row hashes mod 2**64, hex)."""

    rows: int
    checksum: str


class DatasetOutput(StrictModel):
    """What identifies a dataset (spec hash, band, seed, counts, chunking) and what was written of it."""

    spec_sha256: str
    band: str
    seed: str
    counts: Counts
    chunks: int
    tables: dict[str, TableSummary]
    effective: dict[str, float]
    seconds: float


class ChunkReport(DatasetOutput):
    """What one chunk wrote."""

    chunk: int


class GenerationReport(DatasetOutput):
    """The whole dataset: identity, per-table rows and checksums, versions and per-chunk timings."""

    numpy_version: str
    synthcore_version: str
    chunk_seconds: dict[int, float]
