"""A full disk under ``generate``'s output: a clear error (exit 1), no partial file, only whole chunks kept.

The disk is a real 3 MiB tmpfs mounted for the test (root only) and unmounted after it; the ci band needs ~60 MiB.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from synthcore.load.preflight import chunk_file_problems, read_chunk_reports
from tests.integration.cli.helpers import RunCli, assert_refused


@pytest.fixture
def small_disk(work: Path) -> Iterator[Path]:
    """A 3 MiB tmpfs mounted at ``work/disk``."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    disk = work / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)], check=True)
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_full_disk_leaves_no_partial_file(small_disk: Path, cli: RunCli, workers: str) -> None:
    out = small_disk / "data"
    result = cli("generate", "--seed", "s", "--chunks", "4", "--workers", workers, "--out", str(out))
    assert_refused(result, 1, ("writing the dataset to", "No space left on device", "no partial file is left"))
    files = [p for p in out.rglob("*") if p.is_file()]
    assert not [p for p in files if p.name.startswith(".")], "temporary files left behind"
    reports = read_chunk_reports(out) if (out / "_chunks").is_dir() else {}
    for report in reports.values():  # every chunk that finished is whole: its footers, schemas and rows check out
        assert chunk_file_problems(out, report) == []
    parts = {p for p in files if p.suffix == ".parquet"}
    assert parts == {p for c in reports for p in out.glob(f"*/part-{c:05d}.parquet")}, "a part file without its chunk"
