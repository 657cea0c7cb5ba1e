"""End to end through a real Airflow: the privacy officer's approval over REST, S3 with SSE-KMS, the asset trigger,
mapped chunks through S3, a PostgreSQL restart during the mapped load, and an integrity failure without retries.

Servers: one PostgreSQL for Airflow's metadata, one for the "production" and target databases (so the latter can be
restarted), moto's S3/KMS server on loopback, and Airflow's API server, scheduler and DAG processor (LocalExecutor).
Not covered: the KubernetesPodOperator path (no cluster here; the pod is checked offline in tests/dags).
"""

from __future__ import annotations

import io
import itertools
import json
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthcore import pg, stages
from synthcore.names import default_schema_name
from synthcore.pgserver import PgServer, running_server
from synthcore.spec.distribution import DistributionSpec
from synthcore.spec.io import load_model
from tests.airflow_home import airflow_connection
from tests.e2e.airflow_stack import AirflowStack, running_airflow, wait_for
from tests.s3server import local_s3

PACKS, RUNS = "synthdata-packs", "synthdata-runs"
PROD_SCHEMA = "stand_in_production"
APPROVAL_SECONDS = 75
SHAPE, DATASET = "prod_shape_extraction", "synthetic_dataset"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def s3() -> Iterator[dict[str, Any]]:
    with local_s3(PACKS, RUNS) as server:
        yield server


@pytest.fixture(scope="module")
def databases() -> Iterator[PgServer]:
    """The server holding 'production' and the target; restarted by a test, so apart from Airflow's metadata."""
    with running_server() as server:
        yield server


@pytest.fixture(scope="module")
def target(databases: PgServer) -> str:
    return databases.create_database("target")


@pytest.fixture(scope="module")
def stack(
    databases: PgServer, target: str, s3: dict[str, Any], request: pytest.FixtureRequest
) -> Iterator[AirflowStack]:
    # the stand-in production is the built-in spec's ci dataset, as in `synthcore run` (the sampler's own tests use a
    # hand-built production full of canaries)
    prod = databases.create_database("production")
    with tempfile.TemporaryDirectory() as tmp:
        stages.generate(Path(tmp) / "data", "ci", "e2e-production")
        stages.load(prod, Path(tmp) / "data", PROD_SCHEMA, Path(tmp) / "runs")
    aws = {
        "conn_type": "aws",
        "login": "testing",
        "password": "testing",
        "extra": {"region_name": "us-east-1", "endpoint_url": s3["endpoint"]},
    }
    extra_env = {
        "SYNTHDATA_SAMPLER_MODE": "local",
        "SYNTHDATA_PRIVACY_OFFICERS": "privacy-officer:Privacy officer",
        "SYNTHDATA_APPROVAL_TIMEOUT_HOURS": str(APPROVAL_SECONDS / 3600),
        "SYNTHDATA_RETRIES": "4",
        "SYNTHDATA_RETRY_DELAY_SECONDS": "2",
        "SYNTHDATA_BASELINE_RUNS": "1",
        "SYNTHDATA_MIN_CHUNKS": "3",
        "AIRFLOW_CONN_SYNTHDATA_PROD": airflow_connection(prod),
        "AIRFLOW_CONN_SYNTHDATA_TARGET": airflow_connection(target),
        "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(aws),
        "AIRFLOW_VAR_SYNTHDATA_ANONYMIZATION_KEY": "k" * 40,
        "AIRFLOW_VAR_SYNTHDATA_PACK_BUCKET": PACKS,
        "AIRFLOW_VAR_SYNTHDATA_KMS_KEY_ID": s3["kms_key_id"],
        "AIRFLOW_VAR_SYNTHDATA_STORAGE": f"s3://{RUNS}/synthdata",
        "AIRFLOW_VAR_SYNTHDATA_PROD_SCHEMA": PROD_SCHEMA,
    }
    with running_server() as meta:
        meta.create_database("airflow")
        url = f"postgresql+psycopg://postgres@/airflow?host={meta.socket_dir}&port={meta.port}"
        home = Path(tempfile.mkdtemp(prefix="synthdata-e2e-airflow-"))
        failed_before = request.session.testsfailed
        with running_airflow(home, url, extra_env) as running:
            yield running
        if request.session.testsfailed == failed_before:
            shutil.rmtree(home, ignore_errors=True)
        else:
            print(f"Airflow home with every log kept for inspection: {home}")


def _hitl(stack: AirflowStack, run_id: str) -> dict[str, Any]:
    """The approval request, once the scheduler has seen its task pause for input.

    Airflow 3.3.2 fails an approval task answered before the executor's report of the pausing process reaches the
    scheduler (seconds, on a busy host): the answer re-queues the task, and that late report then marks it failed. A
    human takes longer; the test waits for the scheduler's own record of the pause.
    """

    def detail() -> dict[str, Any] | None:
        found = stack.api("GET", f"/dags/{SHAPE}/dagRuns/{run_id}/hitlDetails").json().get("hitl_details", [])
        return found[0] if found else None

    request = dict(wait_for(f"the approval request of {run_id}", detail, timeout=300, every=2))
    paused = f"task_id=privacy_officer_approval, run_id={run_id}, "
    wait_for(
        f"the scheduler to record the pause of {run_id}",
        lambda: any(
            paused in line and "state=awaiting_input" in line
            for line in (stack.home / "scheduler.log").read_text(errors="replace").splitlines()
            if "TaskInstance Finished" in line
        ),
        timeout=120,
    )
    return request


def _answer(stack: AirflowStack, run_id: str, user: str, option: str) -> Any:
    path = f"/dags/{SHAPE}/dagRuns/{run_id}/taskInstances/privacy_officer_approval/-1/hitlDetails"
    return stack.api("PATCH", path, user=user, json={"chosen_options": [option], "params_input": {}})


def _xcom(stack: AirflowStack, dag_id: str, run_id: str, task_id: str) -> Any:
    reply = stack.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/return_value")
    return reply.json()["value"] if reply.status_code == 200 else None


def _states(stack: AirflowStack, dag_id: str, run_id: str) -> dict[tuple[str, int], dict[str, Any]]:
    return {(t["task_id"], t["map_index"]): t for t in stack.task_instances(dag_id, run_id)}


def _pack_objects(s3: dict[str, Any]) -> list[str]:
    return [o["Key"] for o in s3["client"].list_objects_v2(Bucket=PACKS).get("Contents", [])]


def _shape_run(stack: AirflowStack) -> str:
    window = load_model(DistributionSpec, stages.DEFAULT_SPEC).time
    return stack.trigger(SHAPE, {"window_end": window.window_end.isoformat(), "window_days": window.window_days})


def _overlap(intervals: list[tuple[datetime, datetime]]) -> bool:
    ordered = sorted(intervals)
    return any(nxt[0] < cur[1] for cur, nxt in itertools.pairwise(ordered))


def _interval(ti: dict[str, Any]) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(ti["start_date"]), datetime.fromisoformat(ti["end_date"])


def _stored(s3: dict[str, Any], run_id: str, path: str) -> dict[str, Any]:
    """A JSON file of a run in the S3 storage."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)
    body = s3["client"].get_object(Bucket=RUNS, Key=f"synthdata/runs/{safe}/{path}")["Body"]
    return dict(json.loads(body.read()))


def test_approved_pack_is_uploaded_encrypted_and_triggers_a_dataset_that_survives_a_restart(
    stack: AirflowStack, s3: dict[str, Any], databases: PgServer
) -> None:
    stack.airflow("pools", "set", "pg_load", "0", "held by the test")  # loads wait until the server is down
    run_id = _shape_run(stack)
    request = _hitl(stack, run_id)
    assert "PII scan: clean" in request["body"] and "k = 11" in request["body"]
    assert _answer(stack, run_id, "engineer", "Approve").status_code == 403  # not an assigned privacy officer
    answered = _answer(stack, run_id, "privacy-officer", "Approve")
    assert answered.status_code == 200, answered.text
    assert stack.wait_run(SHAPE, run_id) == "success", stack.explain(SHAPE, run_id)

    uploaded = _xcom(stack, SHAPE, run_id, "upload")
    assert sorted(_pack_objects(s3)) == ["metrics-packs/pack.json", "metrics-packs/pack_mapping.json"]
    for key in _pack_objects(s3):
        head = s3["client"].head_object(Bucket=PACKS, Key=key)
        assert head["ServerSideEncryption"] == "aws:kms" and s3["kms_key_id"] in head["SSEKMSKeyId"]
        tags = {t["Key"]: t["Value"] for t in s3["client"].get_object_tagging(Bucket=PACKS, Key=key)["TagSet"]}
        assert tags["retention-days"] == "90" and tags["expires-at"]
    decision = _xcom(stack, SHAPE, run_id, "decision")
    assert decision["responded_by"] == "privacy-officer" and decision["uploaded"] is True

    # the approved-pack asset triggers synthetic_dataset, calibrated from the uploaded pack
    def asset_run() -> str | None:
        runs = stack.api("GET", f"/dags/{DATASET}/dagRuns").json()["dag_runs"]
        return next((r["dag_run_id"] for r in runs if r["run_type"] == "asset_triggered"), None)

    dataset_run = str(wait_for("the asset-triggered synthetic_dataset run", asset_run, timeout=180))
    generated = lambda: (  # noqa: E731
        [t for (task, _), t in _states(stack, DATASET, dataset_run).items() if task == "chunk.generate"]
    )
    wait_for("3 generated chunks", lambda: len(g := generated()) == 3 and all(t["state"] == "success" for t in g), 300)
    databases.stop()  # the target server goes down just as the mapped loads are released
    stack.airflow("pools", "set", "pg_load", "2", "synthdata COPY loads")
    wait_for(
        "a load to fail while the server is down",
        lambda: any(
            t["try_number"] > 1 or t["state"] in ("up_for_retry", "failed")
            for (task, _), t in _states(stack, DATASET, dataset_run).items()
            if task == "chunk.load"
        ),
        timeout=180,
    )
    databases.start()
    assert stack.wait_run(DATASET, dataset_run, timeout=900) == "success", stack.explain(DATASET, dataset_run)

    tis = _states(stack, DATASET, dataset_run)
    loads = [t for (task, _), t in tis.items() if task == "chunk.load"]
    assert len(loads) == 3 and max(t["try_number"] for t in loads) > 1
    assert _overlap([_interval(t) for t in generated()]) or _overlap([_interval(t) for t in loads])
    calibrated = _xcom(stack, DATASET, dataset_run, "calibrate")
    assert calibrated["metrics_pack"] == uploaded["pack_uri"] and calibrated["seed_derived"] is True
    expected = {t: s["rows"] for t, s in _stored(s3, dataset_run, "data/generation-report.json")["tables"].items()}
    report = _stored(s3, dataset_run, "reports/run-report.json")
    assert report["drop_schema"]["dropped"] is True and report["finalize"]["finalized"] is True
    assert expected["messages"] == 50_000 and len(report["loads"]) == 3
    # verify's row-count checks compare every table with the generation report: exact counts across the retries
    integrity = _stored(s3, dataset_run, "reports/integrity-report.json")
    counts = {c["name"]: c for c in integrity["checks"] if c["name"].startswith("row_count_")}
    assert len(counts) == len(expected) and all(c["passed"] for c in counts.values()), counts


def test_rejected_and_unanswered_packs_upload_nothing(stack: AirflowStack, s3: dict[str, Any]) -> None:
    before = _pack_objects(s3)
    rejected = _shape_run(stack)
    _hitl(stack, rejected)
    assert _answer(stack, rejected, "privacy-officer", "Reject").status_code == 200
    assert stack.wait_run(SHAPE, rejected) == "success", stack.explain(SHAPE, rejected)
    assert _states(stack, SHAPE, rejected)[("upload", -1)]["state"] == "skipped"
    assert _xcom(stack, SHAPE, rejected, "decision")["outcome"] == "rejected by privacy-officer; nothing uploaded"

    unanswered = _shape_run(stack)
    _hitl(stack, unanswered)
    assert stack.wait_run(SHAPE, unanswered, timeout=APPROVAL_SECONDS + 240) == "success", stack.explain(
        SHAPE, unanswered
    )
    assert _states(stack, SHAPE, unanswered)[("upload", -1)]["state"] == "skipped"
    decision = _xcom(stack, SHAPE, unanswered, "decision")
    assert decision["responded_by"] is None and decision["outcome"].startswith("timed out (rejected by default)")
    assert _pack_objects(s3) == before


def _break_messages(s3: dict[str, Any], run_id: str) -> None:
    """Move some messages before their conversation began: rows load, keys hold, integrity checks must fail."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)
    key = f"synthdata/runs/{safe}/data/messages/part-00000.parquet"
    table = pq.read_table(io.BytesIO(s3["client"].get_object(Bucket=RUNS, Key=key)["Body"].read()))
    created = table.column("createdAt").to_numpy().copy()
    created[:50] = created[:50] - (10 * 365 * 86_400 * 10**6)
    field = table.schema.field("createdAt")  # the same field (NOT NULL too), so the load preflight lets it through
    table = table.set_column(table.schema.get_field_index("createdAt"), field, pa.array(created, field.type))
    sink = io.BytesIO()
    pq.write_table(table, sink)
    s3["client"].put_object(Bucket=RUNS, Key=key, Body=sink.getvalue())


def test_a_failed_integrity_check_fails_the_run_without_retries(
    stack: AirflowStack, s3: dict[str, Any], target: str
) -> None:
    stack.airflow("pools", "set", "pg_load", "0", "held by the test")
    run_id = stack.trigger(DATASET, {"seed": "e2e-broken", "metrics_pack": "builtin", "chunks": 1})

    def generated() -> bool:
        state = _states(stack, DATASET, run_id).get(("chunk.generate", 0), {}).get("state")
        return state == "success"

    wait_for("the chunk to be generated", generated, timeout=300)
    _break_messages(s3, run_id)
    stack.airflow("pools", "set", "pg_load", "2", "synthdata COPY loads")
    assert stack.wait_run(DATASET, run_id, timeout=600) == "failed"
    tis = _states(stack, DATASET, run_id)
    assert tis[("verify", -1)]["state"] == "failed" and tis[("verify", -1)]["try_number"] == 1
    assert tis[("warm", -1)]["state"] == "upstream_failed"
    assert tis[("drop_schema", -1)]["state"] == "success"  # the teardown still ran
    schema = default_schema_name("ci", "e2e-broken")
    with pg.connect(target, application_name="e2e-check") as conn:
        assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", [schema]).fetchone()[0] == 0
