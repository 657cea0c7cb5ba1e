"""The chunk writer leaves nothing half-written when it fails, even while opening its files."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthcore.errors import OutputError
from synthcore.generate import generate_dataset
from synthcore.generate.generator import CHUNK_REPORTS
from synthcore.generate.writer import ChunkWriter
from synthcore.spec.bands import Band, Counts
from synthcore.spec.tables import TABLE_SCHEMAS


def test_a_failure_while_opening_removes_the_files_already_opened(tmp_path: Path) -> None:
    (tmp_path / "messages").write_text("a file where the messages folder should be")
    with pytest.raises(FileExistsError):
        ChunkWriter(tmp_path, 0, TABLE_SCHEMAS)
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == ["messages"]


def test_a_chunk_whose_report_cannot_be_written_leaves_no_part_file(tmp_path: Path) -> None:
    (tmp_path / CHUNK_REPORTS).write_text("a file where the chunk reports folder should be")
    counts = Counts(users=20, conversations=70, messages=300)
    with pytest.raises(OutputError, match=CHUNK_REPORTS):
        generate_dataset(tmp_path, band=Band.CI, seed="s", counts=counts, chunks=2, only_chunk=0)
    assert not list(tmp_path.rglob("*.parquet"))
