"""Report models written by the generator: per chunk, and for the whole dataset."""

from __future__ import annotations

from pydantic import Field

from synthcore.spec.bands import MAX_COUNT, Counts
from synthcore.spec.base import StrictModel


class TableSummary(StrictModel):
    """Rows of one table and its order-independent checksum (sum of row hashes mod 2**64, hex)."""

    rows: int = Field(ge=0, le=MAX_COUNT)
    checksum: str = Field(pattern=r"^[0-9a-f]{16}$")


class DatasetOutput(StrictModel):
    """What identifies a dataset (spec hash, band, seed, counts, chunking) and what was written of it."""

    spec_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    band: str
    seed: str = Field(min_length=1)
    counts: Counts
    chunks: int = Field(ge=1, le=MAX_COUNT)
    tables: dict[str, TableSummary]
    effective: dict[str, float]
    seconds: float


class ChunkReport(DatasetOutput):
    """What one chunk wrote."""

    chunk: int = Field(ge=0, le=MAX_COUNT)


class GenerationReport(DatasetOutput):
    """The whole dataset: identity, per-table rows and checksums, versions and per-chunk timings."""

    numpy_version: str
    synthcore_version: str
    chunk_seconds: dict[int, float]
