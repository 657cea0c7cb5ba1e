"""The default spec and the bands agree: each band's test-size equivalent, generated with the default spec, is GO
against that spec, and no band bends the default body law (ci's single heavy room is its own mean, and says so)."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthcore.fidelity import compute_fidelity
from synthcore.generate import generate_dataset
from synthcore.spec.bands import BAND_COUNTS, Band, Counts
from synthcore.spec.io import DEFAULT_SPEC_PATH

# Each band's counts divided by one factor (the band's shape ratios kept) to 50k-150k messages.
TEST_SIZE_DIVISOR = {Band.CI: 1, Band.DEV: 50, Band.STAGING: 1_000, Band.PERF: 2_000}


def band_test_size(band: Band) -> Counts:
    """``band``'s counts divided by its test-size divisor."""
    c, d = BAND_COUNTS[band], TEST_SIZE_DIVISOR[band]
    return Counts(users=c.users // d, conversations=c.conversations // d, messages=c.messages // d)


@pytest.mark.parametrize("band", list(Band))
def test_default_spec_is_go_at_every_band(band: Band, tmp_path: Path) -> None:
    counts = band_test_size(band)
    assert 50_000 <= counts.messages <= 150_000
    generate_dataset(tmp_path / "data", band=band, seed="bands", counts=counts, workers=1)
    report = compute_fidelity(DEFAULT_SPEC_PATH, tmp_path / "fidelity", data_dir=tmp_path / "data")
    assert report.verdict == "GO", report.reasons
    assert "messages_per_conversation (body)" not in report.bent_targets
    assert set(report.bent_targets) == ({"messages_per_conversation (heavy-room)"} if band == Band.CI else set())
