import pytest

from synthcore.errors import InputError
from synthcore.fidelity.gate import judge, thresholds_for, unknown_overrides, verdict
from synthcore.spec.fidelity import Tolerance


def test_presets_and_overrides() -> None:
    limit = thresholds_for(Tolerance.STRICT, {"content_length.ks": 0.5})
    assert limit("content_length.ks", "ks", 0.02) == 0.5
    assert limit("message_type.tv", "tv", 0.02) == pytest.approx(0.03)  # noise + strict practical tolerance
    assert thresholds_for(Tolerance.NORMAL, {})("x", "ks", 0.0) == 0.03
    assert thresholds_for(Tolerance.RELAXED, {})("x", "absolute_error", 0.01) == pytest.approx(0.06)
    with pytest.raises(InputError, match=r"override a\.ks=-1\.0: a threshold must be a finite number >= 0"):
        thresholds_for(Tolerance.NORMAL, {"a.ks": -1.0})


def test_judge_passes_fails_and_turns_incomputable_into_failure() -> None:
    assert judge("a.ks", "a", "ks", lambda: 0.1, 0.15).passed
    failed = judge("a.ks", "a", "ks", lambda: 0.2, 0.15)
    assert not failed.passed and failed.reason == "ks 0.2000 > 0.1500"

    def broken() -> float:
        raise InputError("total mass is zero")

    bad = judge("b.tv", "b", "tv", broken, 0.15)
    assert not bad.passed and bad.value is None and "not computable: total mass is zero" in bad.reason


def test_verdict_names_every_failed_check() -> None:
    ok = judge("a.ks", "a", "ks", lambda: 0.0, 0.1)
    bad = judge("b.tv", "b", "tv", lambda: 0.5, 0.1)
    assert verdict([ok]) == ("GO", [])
    outcome, reasons = verdict([ok, bad])
    assert outcome == "NO-GO" and reasons == ["b.tv: tv 0.5000 > 0.1000"]
    assert verdict([])[0] == "NO-GO"


def test_unknown_overrides_are_reported() -> None:
    assert unknown_overrides({"a.ks": 0.1, "typo.ks": 0.2}, ["a.ks", "b.tv"]) == ["typo.ks"]
