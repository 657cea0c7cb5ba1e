"""Fidelity over generated Parquet, computed by a real DuckDB, against the spec the data came from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synthcore.cli.app import app
from synthcore.errors import InputError, SpecError
from synthcore.fidelity import compute_fidelity
from synthcore.generate import generate_dataset
from synthcore.spec.bands import Band, Counts
from synthcore.spec.fidelity import FidelityReport
from synthcore.spec.io import DEFAULT_SPEC_PATH, load_model

COUNTS = Counts(users=600, conversations=900, messages=30_000)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fidelity-data")
    generate_dataset(out, band=Band.CI, seed="fidelity", counts=COUNTS, workers=1)
    return out


def wrong_spec(path: Path) -> Path:
    raw = json.loads(DEFAULT_SPEC_PATH.read_text())
    raw["messages"]["content_length"]["mu"] = 3.0
    raw["messages"]["media_share"] = 0.45
    raw["time"]["hour_profile"] = [1.0] * 12 + [3.0] * 12
    path.write_text(json.dumps(raw))
    return path


def test_generated_data_is_go_against_its_spec(dataset: Path, tmp_path: Path) -> None:
    report = compute_fidelity(DEFAULT_SPEC_PATH, tmp_path, data_dir=dataset)
    assert report.verdict == "GO", report.reasons
    names = {c.name for c in report.checks}
    assert {
        "messages_per_conversation.ks",
        "messages_per_conversation.p99",
        "content_length.ks",
        "hour_of_day.tv",
        "message_type.tv",
        "heavy_room_message_share.error",
        "read_delay_buckets.tv",
    } <= names
    assert all(c.value is not None and c.value <= c.threshold for c in report.checks)
    assert load_model(FidelityReport, tmp_path / "fidelity-report.json") == report
    page = (tmp_path / "fidelity-report.md").read_text()
    assert page.startswith("# Fidelity: GO")
    for comparison in report.comparisons:
        png = tmp_path / "plots" / f"{comparison.metric}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"(plots/{comparison.metric}.png)" in page


def test_wrong_spec_is_no_go_naming_the_failed_checks(dataset: Path, tmp_path: Path) -> None:
    target = wrong_spec(tmp_path / "wrong.json")
    result = CliRunner().invoke(
        app, ["fidelity", "--target", str(target), "--data", str(dataset), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 1
    assert isinstance(result.exception, Exception) and "fidelity: NO-GO" in str(result.exception)
    report = load_model(FidelityReport, tmp_path / "out" / "fidelity-report.json")
    failed = {c.name for c in report.checks if not c.passed}
    assert {"content_length.ks", "content_length.p50", "message_type.tv", "hour_of_day.tv"} <= failed
    assert "messages_per_conversation.ks" not in failed
    assert any(r.startswith("content_length.ks: ks ") for r in report.reasons)


def test_override_relaxes_a_check_and_unknown_override_is_refused(dataset: Path, tmp_path: Path) -> None:
    target = wrong_spec(tmp_path / "wrong.json")
    report = compute_fidelity(target, tmp_path, data_dir=dataset, overrides={"content_length.ks": 1.0})
    relaxed = next(c for c in report.checks if c.name == "content_length.ks")
    assert relaxed.passed and relaxed.threshold == 1.0 and relaxed.value is not None and relaxed.value > 0.15
    assert report.verdict == "NO-GO" and not any(r.startswith("content_length.ks") for r in report.reasons)
    with pytest.raises(InputError, match=r"overrides name no check: content_lenght\.ks"):
        compute_fidelity(target, tmp_path, data_dir=dataset, overrides={"content_lenght.ks": 0.9})


def test_bad_inputs_are_named(dataset: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="give either a data directory, or a DSN together with a schema"):
        compute_fidelity(DEFAULT_SPEC_PATH, tmp_path, data_dir=dataset, dsn="dbname=x")
    not_a_target = tmp_path / "report.json"
    not_a_target.write_text('{"verdict": "GO"}')
    with pytest.raises(SpecError, match="neither a distribution spec"):
        compute_fidelity(not_a_target, tmp_path, data_dir=dataset)
    empty = tmp_path / "empty"
    (empty / "users").mkdir(parents=True)
    with pytest.raises(InputError, match="no chunk reports in _chunks/"):
        compute_fidelity(DEFAULT_SPEC_PATH, tmp_path, data_dir=empty)
    result = CliRunner().invoke(
        app,
        [
            "fidelity",
            "--target",
            str(DEFAULT_SPEC_PATH),
            "--data",
            str(dataset),
            "--out",
            str(tmp_path),
            "--override",
            "content_length.ks",
        ],
    )
    assert result.exit_code != 0 and "expected CHECK=THRESHOLD" in str(result.exception)


def test_empty_dataset_and_unknown_metrics_are_named() -> None:
    import duckdb
    import pyarrow as pa

    from synthcore.fidelity.observe import observe_categories, observe_scalar, stage_dataset
    from synthcore.spec.tables import TABLE_SCHEMAS

    con = duckdb.connect()
    for table, schema in TABLE_SCHEMAS.items():
        con.register(table, pa.Table.from_batches([], schema=schema))
    with pytest.raises(InputError, match="the dataset has no rows in: users, conversations, messages"):
        stage_dataset(con)
    with pytest.raises(InputError, match="unknown scalar metric 'nope'"):
        observe_scalar(con, "nope")
    with pytest.raises(InputError, match="unknown categorical metric 'nope'"):
        observe_categories(con, "nope")
    assert observe_scalar(con, "read_rate") is None
