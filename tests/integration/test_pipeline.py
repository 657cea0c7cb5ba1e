"""The README's main job end to end: stand-in production → pack → spec → dataset → baselines → fidelity."""

import json

import psycopg

from synthcore.pipeline import run_pipeline


def test_pipeline_runs_every_stage_and_tears_down(tmp_path, pg_dsn):
    summary = run_pipeline(tmp_path, seed="pipe", dsn=pg_dsn, baseline_runs=1)
    assert list(summary.stages) == [
        "production: generate + load (stand-in)",
        "sample",
        "scan",
        "calibrate",
        "generate + load (overlapped)",
        "verify",
        "warm",
        "fidelity",
        "baseline (before indexes)",
        "phase-2 indexes + baseline (after)",
        "compare",
        "teardown",
    ]
    assert summary.verdicts["integrity"] == "all 28 checks passed"
    assert summary.verdicts["fidelity vs pack"] == "GO" and summary.verdicts["phase-2 indexes"].startswith("GO")
    reports = tmp_path / "reports"
    assert (reports / "baseline-comparison.md").read_text().count("messages_conversationId_createdAt_idx") >= 4
    assert json.loads((reports / "integrity-report.json").read_text())["checks"]
    run_report = json.loads((tmp_path / "run-report.json").read_text())
    assert run_report["compare"]["verdict"] == "GO" and run_report["sample"]["pack_sha256"]
    assert json.loads((tmp_path / "calibrated-spec.json").read_text())["spec_version"] == 1
    assert (tmp_path / "summary.md").read_text().startswith("# synthdata pipeline run")
    with psycopg.connect(pg_dsn) as conn:
        schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace")}
    assert not {"prod_ci_pipe", "synth_ci_pipe"} & schemas
