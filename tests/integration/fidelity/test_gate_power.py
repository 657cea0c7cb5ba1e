"""The fidelity gate has power: data from a spec with one meaningful distortion is NO-GO against the undistorted
spec, naming the distorted check, while data from the undistorted spec is GO whatever the seed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from synthcore.fidelity import compute_fidelity
from synthcore.generate import generate_dataset
from synthcore.spec.bands import Band, Counts
from synthcore.spec.distribution import DistributionSpec
from synthcore.spec.io import DEFAULT_SPEC_PATH, parse_model

COUNTS = Counts(users=2_000, conversations=3_000, messages=150_000)
Edit = Callable[[dict[str, Any]], None]
# Each distortion and the check that must fail (a trailing dot: any check of that metric).


def _set(path: str, value: Any) -> Edit:
    def edit(raw: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        node = raw
        for key in parents:
            node = node[key]
        node[leaf] = value(node[leaf]) if callable(value) else value

    return edit


def _no_replies_edits_deletions(raw: dict[str, Any]) -> None:
    raw["messages"] |= {"reply_share": 0.0, "edited_share": 0.0, "deleted_share": 0.0}


DISTORTIONS: dict[str, tuple[Edit, str]] = {
    "flat hour profile": (_set("time.hour_profile", [1.0] * 24), "hour_of_day.tv"),
    "flat weekday profile": (_set("time.weekday_profile", [1.0] * 7), "day_of_week.tv"),
    "no replies, edits or deletions": (_no_replies_edits_deletions, "reply_share.error"),
    "direct read rate off by 0.1": (_set("read_receipts.direct_read_probability", 0.72), "direct_read_rate.error"),
    "content-length sigma off by 20%": (_set("messages.content_length.sigma", lambda s: s * 1.2), "content_length.ks"),
    "media share halved": (_set("messages.media_share", lambda s: s / 2), "message_type.tv"),
    "heavy rooms removed": (
        _set("messages.heavy_rooms", lambda h: h | {"conversation_share": 0.0, "message_share": 0.0}),
        "heavy_room_message_share.error",
    ),
    "power-law exponent off by 0.3": (
        _set("messages.per_conversation.alpha", lambda a: a + 0.3),
        "messages_per_conversation.",  # the allocation to exact totals keeps the body's KS small; the tail moves
    ),
}
# A tail distortion shows in the KS distance only with more conversations: at 3,000 its KS (0.064) sits inside the
# sampling noise, and the tail quantiles' order-statistic noise is wider still.
LARGER = {"power-law exponent off by 0.3": Counts(users=4_000, conversations=6_000, messages=300_000)}


def _spec(edit: Edit | None) -> DistributionSpec:
    raw = json.loads(DEFAULT_SPEC_PATH.read_text())
    if edit is not None:
        edit(raw)
    return parse_model(DistributionSpec, json.dumps(raw), "<distorted>")


@pytest.mark.parametrize("distortion", sorted(DISTORTIONS))
def test_a_single_distortion_is_no_go_naming_its_check(distortion: str, tmp_path: Path) -> None:
    edit, check = DISTORTIONS[distortion]
    generate_dataset(
        tmp_path / "data",
        band=Band.CI,
        seed="power",
        spec=_spec(edit),
        counts=LARGER.get(distortion, COUNTS),
        workers=1,
    )
    report = compute_fidelity(DEFAULT_SPEC_PATH, tmp_path / "fidelity", data_dir=tmp_path / "data")
    assert report.verdict == "NO-GO"
    named = check if check.endswith(".") else f"{check}: "
    assert any(r.startswith(named) for r in report.reasons), report.reasons


@pytest.mark.parametrize("seed", ["s1", "s2", "s3", "s4", "s5"])
def test_undistorted_data_is_go_for_every_seed(seed: str, tmp_path: Path) -> None:
    generate_dataset(tmp_path / "data", band=Band.CI, seed=seed, counts=COUNTS, workers=1)
    report = compute_fidelity(DEFAULT_SPEC_PATH, tmp_path / "fidelity", data_dir=tmp_path / "data")
    assert report.verdict == "GO", report.reasons
