"""The default spec and the bands agree: each band's data, at a test-size equivalent (the band's ratios of users,
conversations and messages, scaled down), is GO against specs/distribution-spec.json. Where a band cannot hold a
law (the body of messages per conversation is rescaled to the band's mean), the target is what the generator drew."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthcore.fidelity import compute_fidelity
from synthcore.generate import generate_dataset
from synthcore.spec.bands import BAND_COUNTS, Band, Counts
from synthcore.spec.io import DEFAULT_SPEC_PATH

TEST_MESSAGES = 200_000


def equivalent(band: Band) -> Counts:
    """The band's counts scaled down together to about TEST_MESSAGES messages."""
    counts = BAND_COUNTS[band]
    f = min(1.0, TEST_MESSAGES / counts.messages)
    return Counts(
        users=max(2, round(counts.users * f)),
        conversations=max(1, round(counts.conversations * f)),
        messages=round(counts.messages * f),
    )


@pytest.mark.parametrize("band", [Band.DEV, Band.STAGING, Band.PERF])
def test_each_band_equivalent_is_go_against_the_default_spec(band: Band, tmp_path: Path) -> None:
    counts = equivalent(band)
    generate_dataset(tmp_path / "data", band=band, seed="band", counts=counts, workers=1)
    report = compute_fidelity(DEFAULT_SPEC_PATH, tmp_path / "fidelity", data_dir=tmp_path / "data")
    assert report.verdict == "GO", (counts, report.reasons)
