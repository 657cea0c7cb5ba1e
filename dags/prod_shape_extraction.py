"""prod_shape_extraction: sample the production shape, scan it, have it approved, export it.

Measures the **shape** of the production chat database inside the production boundary and, once a privacy officer
approves, exports it. Nothing row-level, no identifier, token or free text ever leaves the sampler.

1. **sample**: the sampler image runs as a hardened pod in the prod namespace (KubernetesPodOperator, secrets as
   references) and returns the aggregate-only metrics pack and its mapping manifest over XCom. With
   `SYNTHDATA_SAMPLER_MODE=local` the same sampler entry point runs as an ordinary task against the `synthdata_prod`
   Postgres connection (development, tests), keyed by the Variable `synthdata_anonymization_key`.
2. **scan**: the PII scan of the exact pack bytes; a finding fails the run, no retries.
3. **privacy_officer_approval**: only the assigned privacy officers can answer (Browse → Required Actions, or
   REST); the request shows the scan verdict, the pack's SHA-256 and what the pack holds. No answer within the
   timeout means **Reject**.
4. **upload**: pack and manifest to S3 with SSE-KMS (Variables `synthdata_pack_bucket`, `synthdata_kms_key_id`,
   connection `aws_default`), after re-checking that the bytes are the approved ones; retention tags; an event on
   the approved-pack asset, which triggers `synthetic_dataset`.
5. **decision**: records what happened: approved and uploaded, rejected (by whom), or timed out.
"""

from __future__ import annotations

from airflow.sdk import dag, task
from synthdata_support import (
    APPROVED_PACK,
    AWS_CONN_ID,
    PROD_CONN_ID,
    PROD_SCHEMA,
    SHAPE_PARAMS,
    TAGS,
    WINDOW_END,
    PrivacyApproval,
    approval_timeout,
    conninfo,
    default_args,
    privacy_officers,
    run_deadline,
    sampler_mode,
    sampler_pod,
    variable,
)


@dag(
    dag_id="prod_shape_extraction",
    schedule=None,
    catchup=False,
    params=SHAPE_PARAMS,
    tags=[*TAGS, "production-boundary"],
    default_args=default_args(),
    max_active_runs=1,
    deadline=run_deadline("prod_shape_extraction", hours=24 * 8),
    doc_md=__doc__,
)
def prod_shape_extraction() -> None:
    """Sample → scan → privacy officer approval → upload."""
    if sampler_mode() == "kubernetes":
        sampled = sampler_pod("sample").output
    else:

        @task(task_id="sample", retries=1)
        def sample_locally(window_end: str, schema: str, *, params=None) -> dict:
            import tempfile
            from datetime import datetime
            from pathlib import Path

            from synthcore import stages
            from synthcore.sample import SampleOptions
            from synthcore.sample.keyed_ids import AnonymizationKey

            key = AnonymizationKey(variable("synthdata_anonymization_key").encode())
            options = SampleOptions(params["window_days"], datetime.fromisoformat(window_end), schema=schema)
            with tempfile.TemporaryDirectory() as tmp:
                summary = stages.sample(conninfo(PROD_CONN_ID), Path(tmp) / "pack.json", key, options)
                return stages.sampled_documents(summary)

        sampled = sample_locally(WINDOW_END, PROD_SCHEMA)

    @task(retries=0)
    def scan(documents: dict) -> dict:
        import tempfile
        from pathlib import Path

        from synthcore import stages

        with tempfile.TemporaryDirectory() as tmp:
            summary = stages.scan(stages.materialize_pack(documents, Path(tmp)))
        summary.pop("pack")
        return summary

    approval = PrivacyApproval(
        task_id="privacy_officer_approval",
        subject="Approve the export of metrics pack {{ ti.xcom_pull(task_ids='scan')['pack_sha256'][:16] }}",
        body="{{ ti.xcom_pull(task_ids='scan')['approval_body'] }}",
        defaults="Reject",
        response_timeout=approval_timeout(),
        assigned_users=privacy_officers(),
        retries=0,
    )

    @task(outlets=[APPROVED_PACK])
    def upload(documents: dict, scanned: dict, *, outlet_events=None) -> dict:
        import tempfile
        from pathlib import Path

        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        from synthcore import stages

        client = S3Hook(aws_conn_id=AWS_CONN_ID).get_conn()
        with tempfile.TemporaryDirectory() as tmp:
            uploaded = stages.upload(
                client,
                stages.materialize_pack(documents, Path(tmp)),
                bucket=variable("synthdata_pack_bucket"),
                prefix=variable("synthdata_pack_prefix", "metrics-packs"),
                kms_key_id=variable("synthdata_kms_key_id"),
                approved_sha256=scanned["pack_sha256"],
            )
        outlet_events[APPROVED_PACK].extra = uploaded
        return uploaded

    @task(trigger_rule="all_done", retries=0)
    def decision(*, ti=None) -> dict:
        answer = ti.xcom_pull(task_ids="privacy_officer_approval", key="decision") or {}
        uploaded = ti.xcom_pull(task_ids="upload")
        chosen, by = answer.get("chosen") or "no answer", answer.get("responded_by")
        if uploaded:
            outcome = f"approved by {by}; uploaded to {uploaded['pack_uri']}"
        elif chosen == "Reject":
            outcome = (
                f"rejected by {by}; nothing uploaded" if by else "timed out (rejected by default); nothing uploaded"
            )
        else:
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException("no decision: an earlier task failed (see its log); nothing was uploaded")
        print(f"synthdata decision: {outcome}")
        return {"decision": chosen, "responded_by": by, "outcome": outcome, "uploaded": bool(uploaded)}

    scanned = scan(sampled)
    uploaded = upload(sampled, scanned)
    scanned >> approval >> uploaded >> decision()


prod_shape_extraction()
