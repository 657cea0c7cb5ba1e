"""synthetic_dataset: generate, load and measure a production-shaped synthetic dataset.

Generates a production-shaped synthetic chat dataset, loads it into a dev/staging PostgreSQL and measures it.

**Trigger** with params `band` (ci, dev, staging, perf) and `seed` (empty: derived from the run id and recorded),
`metrics_pack` (`latest` approved pack, else the built-in spec; `builtin`; or a pack URI), `keep_dataset` and
`target_conn_id`. Also runs quarterly, and whenever `prod_shape_extraction` publishes an approved pack.

calibrate → plan chunks → per chunk: generate → load (mapped; loads capped by the `pg_load` pool, exactly once per
chunk) → finalize (keys, foreign keys) → verify → warm → fidelity → baseline before → phase-2 indexes → baseline
after → compare → teardown (skipped with keep_dataset) → run report.

Chunks and reports live in shared storage (Variable `synthdata_storage`: a local folder, or `s3://…` through
`aws_default`), under `runs/<run id>/`. Transient database failures are retried with exponential backoff; a failed
integrity check or a NO-GO fails the run at once.
"""

from __future__ import annotations

from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, dag, get_current_context, task, task_group
from synthdata_support import (
    APPROVED_PACK,
    DATASET_PARAMS,
    LOAD_POOL,
    TAGS,
    conninfo,
    default_args,
    local_copy,
    min_chunks,
    read_uri,
    run_deadline,
    run_storage,
)

REPORTS = "reports"
DATA = "data"


def _chunk_files(chunk: int) -> list[str]:
    return [f"*/part-{chunk:05d}.parquet", f"_chunks/chunk-{chunk:05d}.json", "distribution-spec.json"]


@dag(
    dag_id="synthetic_dataset",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 3 1 1,4,7,10 *", timezone="UTC"), assets=APPROVED_PACK
    ),
    catchup=False,
    params=DATASET_PARAMS,
    default_args=default_args(),
    max_active_runs=2,
    tags=TAGS,
    deadline=run_deadline("synthetic_dataset", hours=12),
    doc_md=__doc__,
)
def synthetic_dataset() -> None:
    """Calibrate → generate/load per chunk → finalize → verify → warm → fidelity → baselines → teardown → report."""

    @task(inlets=[APPROVED_PACK])
    def calibrate(*, params=None, run_id=None, inlet_events=None) -> dict:
        from synthcore import stages

        run = {**stages.resolve_run(params["band"], params["seed"], run_id), "target_conn_id": params["target_conn_id"]}
        pack_uri = params["metrics_pack"]
        if pack_uri == "latest":
            events = inlet_events[APPROVED_PACK]
            pack_uri = events[-1].extra.get("pack_uri", "builtin") if events else "builtin"
        with local_copy(run_storage(run_id), upload=True) as work:
            if pack_uri == "builtin":
                calibrated, target = stages.builtin_spec(work / "spec.json"), "spec.json"
            else:
                pack = read_uri(pack_uri, work / "pack")
                calibrated, target = stages.calibrate(pack, work / "spec.json"), f"pack/{pack.name}"
        return {
            **run,
            "metrics_pack": pack_uri,
            "spec": "spec.json",
            "fidelity_target": target,
            "calibration": calibrated,
        }

    @task
    def plan(run: dict, *, params=None, run_id=None) -> list[dict]:
        from synthcore import stages

        with local_copy(run_storage(run_id), ["spec.json"]) as work:
            return stages.plan_chunks(
                run["band"], run["seed"], work / run["spec"], chunks=params["chunks"] or None, min_chunks=min_chunks()
            )

    @task_group(group_id="chunk")
    def chunk_pipeline(run: dict, chunk: dict) -> None:
        @task(map_index_template="{{ chunk_label }}")
        def generate(run: dict, chunk: dict, *, run_id=None) -> dict:
            from synthcore import stages

            get_current_context()["chunk_label"] = chunk["label"]  # type: ignore[typeddict-unknown-key]
            with (
                local_copy(run_storage(run_id), ["spec.json"]) as work,
                local_copy(run_storage(run_id) / DATA, upload=True) as data,
            ):
                return stages.generate(
                    data, run["band"], run["seed"], work / run["spec"], chunk=chunk["chunk"], chunks=chunk["chunks"]
                )

        @task(pool=LOAD_POOL, map_index_template="{{ chunk_label }}")
        def load(run: dict, chunk: dict, *, run_id=None) -> dict:
            from synthcore import stages

            get_current_context()["chunk_label"] = chunk["label"]  # type: ignore[typeddict-unknown-key]
            with (
                local_copy(run_storage(run_id) / DATA, _chunk_files(chunk["chunk"])) as data,
                local_copy(run_storage(run_id) / REPORTS, upload=True) as reports,
            ):
                return stages.load(
                    conninfo(run["target_conn_id"]), data, run["schema"], reports / "runs", chunk=chunk["chunk"]
                )

        generate(run, chunk) >> load(run, chunk)

    @task(pool=LOAD_POOL)
    def finalize(run: dict, *, run_id=None) -> dict:
        from synthcore import stages

        with (
            local_copy(run_storage(run_id) / DATA, ["_chunks/*.json", "distribution-spec.json"], upload=True) as data,
            local_copy(run_storage(run_id) / REPORTS, upload=True) as reports,
        ):
            return stages.finalize_dataset(conninfo(run["target_conn_id"]), data, run["schema"], reports / "runs")

    @task(retries=0)
    def verify(run: dict, *, run_id=None) -> dict:
        from synthcore import stages

        with (
            local_copy(run_storage(run_id) / DATA, ["generation-report.json"]) as data,
            local_copy(run_storage(run_id) / REPORTS, upload=True) as reports,
        ):
            return stages.verify(
                conninfo(run["target_conn_id"]), run["schema"], reports, data / "generation-report.json"
            )

    @task
    def warm(run: dict, *, run_id=None) -> dict:
        from synthcore import stages

        with local_copy(run_storage(run_id) / REPORTS, upload=True) as reports:
            return stages.warm(conninfo(run["target_conn_id"]), run["schema"], reports)

    @task
    def fidelity(run: dict, *, run_id=None) -> dict:
        from synthcore import stages

        with (
            local_copy(run_storage(run_id), ["spec.json", "pack/*"]) as work,
            local_copy(run_storage(run_id) / REPORTS, upload=True) as reports,
        ):
            return stages.fidelity(
                work / run["fidelity_target"],
                reports / "fidelity",
                conninfo=conninfo(run["target_conn_id"]),
                schema=run["schema"],
            )

    @task
    def baseline_before(run: dict, *, params=None, run_id=None) -> dict:
        from synthcore import stages

        with local_copy(run_storage(run_id) / REPORTS, upload=True) as reports:
            return stages.baseline(
                conninfo(run["target_conn_id"]), run["schema"], reports / "baseline-pre.json",
                runs=params["baseline_runs"], warmup=1,
            )  # fmt: skip

    @task
    def phase_2_indexes(run: dict) -> dict:
        from synthcore import stages

        return stages.apply_indexes(conninfo(run["target_conn_id"]), run["schema"])

    @task
    def baseline_after(run: dict, *, params=None, run_id=None) -> dict:
        from synthcore import stages

        with local_copy(run_storage(run_id) / REPORTS, upload=True) as reports:
            stages.warm(conninfo(run["target_conn_id"]), run["schema"], reports)
            return stages.baseline(
                conninfo(run["target_conn_id"]), run["schema"], reports / "baseline-post.json",
                runs=params["baseline_runs"], warmup=1,
            )  # fmt: skip

    @task(retries=0)
    def compare(run: dict, *, run_id=None) -> dict:
        from synthcore import stages

        with local_copy(run_storage(run_id) / REPORTS, ["baseline-*.json"], upload=True) as reports:
            return stages.compare(
                reports / "baseline-pre.json", reports / "baseline-post.json", reports / "baseline-comparison.json"
            )

    @task
    def drop_schema(run: dict, *, params=None) -> dict:
        from airflow.sdk.exceptions import AirflowSkipException

        from synthcore import stages

        if params["keep_dataset"]:
            raise AirflowSkipException(f"keep_dataset: schema {run['schema']} is kept")
        return stages.teardown(conninfo(run["target_conn_id"]), run["schema"], missing_ok=True)

    @task
    def run_report(run: dict, *, ti=None, run_id=None) -> dict:
        from synthcore import stages

        names = ["calibrate", "finalize", "verify", "warm", "fidelity", "baseline_before", "compare", "drop_schema"]
        results = {name: ti.xcom_pull(task_ids=name) for name in names}
        results["loads"] = ti.xcom_pull(task_ids=["chunk.load"])  # a list: one summary per mapped chunk
        with local_copy(run_storage(run_id) / REPORTS, upload=True) as reports:
            written = stages.run_report(reports / "run-report.json", results)
        print(f"synthdata run report: {written['markdown']} (storage: {run_storage(run_id)})")
        return written

    run = calibrate()
    loaded = chunk_pipeline.partial(run=run).expand(chunk=plan(run))
    chain = [finalize, verify, warm, fidelity, baseline_before, phase_2_indexes, baseline_after, compare]
    upstream = loaded
    for stage in chain:
        current = stage(run)
        upstream >> current
        upstream = current
    dropped = drop_schema(run).as_teardown(setups=run)
    upstream >> dropped >> run_report(run).as_teardown(setups=run)


synthetic_dataset()
