"""Airflow glue shared by the synthdata DAGs: params, retries, callbacks, alerts, connections, storage, the sampler pod.

Everything here is cheap at import time: deployment settings come from environment variables (set by the Helm
values), run-time settings from Airflow Variables and Connections read inside tasks. Pipeline logic lives in
``synthcore``; a DAG task is one call into ``synthcore.stages``.
"""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import Asset, ObjectStoragePath, Param
from airflow.sdk.definitions.retry_policy import ExceptionRetryPolicy, RetryAction, RetryRule

from synthcore import errors
from synthcore.spec.bands import Band

log = logging.getLogger("synthdata")

TAGS = ["synthdata"]
LOAD_POOL = "pg_load"
APPROVED_PACK = Asset(name="synthdata_approved_metrics_pack", uri="synthdata://metrics-pack/approved")
"""Emitted by prod_shape_extraction's upload; its event extra holds ``pack_uri`` and ``pack_sha256``."""

BANDS = [band.value for band in Band]
TARGET_CONN_ID = "synthdata_target"
PROD_CONN_ID = "synthdata_prod"
AWS_CONN_ID = "aws_default"


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


# -- retries, callbacks, alerts ----------------------------------------------------------------------------------

RETRY_POLICY = ExceptionRetryPolicy(
    rules=[
        RetryRule(
            exception=list(errors.retryable_errors()),
            action=RetryAction.RETRY,
            reason="transient database failure (lost connection, server restart): retrying",
        ),
        RetryRule(
            exception=errors.SynthError,
            action=RetryAction.FAIL,
            reason="synthcore refused the input, a check failed or a gate said NO-GO: a retry cannot help",
        ),
    ]
)


def _context_line(context: Any, what: str) -> str:
    ti = context["ti"]
    params = context.get("params") or {}
    exc = context.get("exception")
    remedy = exc.remedy if isinstance(exc, errors.SynthError) else "an unexpected error: read the task log"
    chunk = f" chunk={ti.map_index}" if ti.map_index >= 0 else ""
    band = f" band={params['band']}" if "band" in params else ""
    return (
        f"synthdata {what}: dag={ti.dag_id} run={ti.run_id} stage={ti.task_id}{chunk}{band} "
        f"try={ti.try_number} error={type(exc).__name__}: {exc} | next: {remedy}"
    )


def on_task_failure(context: Any) -> None:
    """Log one actionable line (stage, run, chunk, error, what to do next) for SREs' alerting."""
    log.error(_context_line(context, "task failed"))


def on_task_retry(context: Any) -> None:
    """Log that a transient failure is being retried, with its context."""
    log.warning(_context_line(context, "task will be retried"))


def on_deadline_missed(dag_id: str, hours: float, **_: Any) -> None:
    """Deadline alert: a whole run took longer than its deadline."""
    log.error(
        "synthdata deadline missed: a %s run is still not done after %.1f h; look at its running tasks", dag_id, hours
    )


def default_args() -> dict[str, Any]:
    """Retries with exponential backoff for transient failures, none for terminal ones; SRE callbacks."""
    return {
        "owner": "synthdata",
        "retries": int(_env("SYNTHDATA_RETRIES", "3")),
        "retry_delay": timedelta(seconds=float(_env("SYNTHDATA_RETRY_DELAY_SECONDS", "30"))),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
        "retry_policy": RETRY_POLICY,
        "on_failure_callback": on_task_failure,
        "on_retry_callback": on_task_retry,
    }


def run_deadline(dag_id: str, hours: float) -> Any:
    """A deadline alert on the whole run, measured from when it was queued.

    ``SYNTHDATA_DEADLINE_ALERTS=off`` leaves it out: Airflow 3.3.2's ``dag.test()`` / ``airflow dags test`` crash when a
    run with a deadline succeeds (they hand the DAG's alert objects to a lookup by id), so local test runs turn it off.
    """
    from airflow.sdk import DeadlineAlert, DeadlineReference, SyncCallback

    if _env("SYNTHDATA_DEADLINE_ALERTS", "on") == "off":
        return None

    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(hours=hours),
        callback=SyncCallback(on_deadline_missed, kwargs={"dag_id": dag_id, "hours": hours}),
        name=f"{dag_id}-{hours:g}h",
    )


# -- params ------------------------------------------------------------------------------------------------------

DATASET_PARAMS = {
    "band": Param("ci", type="string", enum=BANDS, title="Band", description="Dataset size preset."),
    "seed": Param(
        "",
        type="string",
        maxLength=128,
        title="Seed",
        description="Same seed, same data. Empty: one is derived from the run id and recorded.",
    ),
    "metrics_pack": Param(
        "latest",
        type="string",
        title="Metrics pack",
        description="'latest' approved pack (else the built-in spec), 'builtin', or a pack URI (s3://… or file://…).",
    ),
    "chunks": Param(
        0,
        type="integer",
        minimum=0,
        maximum=1024,
        title="Chunks",
        description="Mapped generate/load tasks; 0: about 1.25M messages each, at least SYNTHDATA_MIN_CHUNKS.",
    ),
    "baseline_runs": Param(
        int(_env("SYNTHDATA_BASELINE_RUNS", "11")),
        type="integer",
        minimum=1,
        maximum=101,
        title="Baseline runs",
        description="EXPLAIN ANALYZE runs per query.",
    ),
    "keep_dataset": Param(False, type="boolean", title="Keep dataset", description="Skip the teardown."),
    "target_conn_id": Param(
        TARGET_CONN_ID,
        type="string",
        pattern=r"^[A-Za-z0-9_.-]{1,250}$",
        title="Target Postgres connection",
        description="Airflow connection of the dev/staging database to load into.",
    ),
}


SHAPE_PARAMS = {
    "window_days": Param(30, type="integer", minimum=1, maximum=3650, title="Window (days)"),
    "window_end": Param(
        "",
        type="string",
        title="Window end",
        description="ISO 8601 end of the measured window; empty: when the run was triggered.",
    ),
}
WINDOW_END = "{{ params.window_end or dag_run.run_after.isoformat() }}"
"""The sampler's window end, rendered per run."""
PROD_SCHEMA = "{{ var.value.get('synthdata_prod_schema', 'public') }}"
"""The schema holding production's chat tables (Variable ``synthdata_prod_schema``, default public)."""


# -- connections -------------------------------------------------------------------------------------------------

_LIBPQ_EXTRAS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "target_session_attrs")


def conninfo(conn_id: str) -> str:
    """A libpq conninfo from an Airflow Postgres connection: its named fields and an allowlist of extras."""
    from airflow.sdk import Connection
    from psycopg.conninfo import make_conninfo

    conn = Connection.get(conn_id)
    extra = conn.extra_dejson
    fields = {
        "host": conn.host,
        "port": conn.port,
        "user": conn.login,
        "password": conn.password,
        "dbname": conn.schema,
        **{k: extra[k] for k in _LIBPQ_EXTRAS if k in extra},
    }
    return make_conninfo(**{k: v for k, v in fields.items() if v not in (None, "")})


def min_chunks() -> int:
    """The deployment's least number of chunks per run (``SYNTHDATA_MIN_CHUNKS``: about its worker slots)."""
    return int(_env("SYNTHDATA_MIN_CHUNKS", "1"))


def variable(name: str, default: str | None = None) -> str:
    """An Airflow Variable; a missing one without default is an input error naming it."""
    from airflow.sdk import Variable

    value = Variable.get(name, default=default)
    if value in (None, ""):
        raise errors.InputError(f"Airflow Variable {name!r} is not set (see README: configuration)")
    return str(value)


# -- storage -----------------------------------------------------------------------------------------------------


def storage_root() -> ObjectStoragePath:
    """Where runs keep chunks and reports: Variable ``synthdata_storage`` (``file:///…`` or ``s3://bucket/prefix``)."""
    default = f"file://{Path(_env('AIRFLOW_HOME', '/tmp')).resolve()}/synthdata"
    return ObjectStoragePath(variable("synthdata_storage", default), conn_id=AWS_CONN_ID)


def run_storage(run_id: str) -> ObjectStoragePath:
    """This run's folder in shared storage."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)
    return storage_root() / "runs" / safe


def _is_local(path: ObjectStoragePath) -> bool:
    return path.protocol in ("file", "local", "")


@contextlib.contextmanager
def local_copy(remote: ObjectStoragePath, patterns: Sequence[str] = (), *, upload: bool = False) -> Iterator[Path]:
    """A local folder for ``remote``: the folder itself when storage is local, else a temporary copy.

    Files matching ``patterns`` (relative paths, fnmatch) are downloaded first; with ``upload``, everything in the
    folder is uploaded back when the block succeeds.
    """
    if _is_local(remote):
        local = Path(remote.path)
        local.mkdir(parents=True, exist_ok=True)
        yield local
        return
    with tempfile.TemporaryDirectory(prefix="synthdata-") as tmp:
        local = Path(tmp)
        if patterns and remote.exists():
            prefix = remote.path.rstrip("/") + "/"
            for item in remote.rglob("*"):
                relative = item.path.removeprefix(prefix)
                if item.is_file() and any(fnmatch.fnmatch(relative, p) for p in patterns):
                    target = local / relative
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with item.open("rb") as src, target.open("wb") as dst:
                        shutil.copyfileobj(src, dst, 8 << 20)
        yield local
        if upload:
            for file in local.rglob("*"):
                if file.is_file():
                    target = remote / str(file.relative_to(local))
                    with file.open("rb") as src, target.open("wb") as dst:
                        shutil.copyfileobj(src, dst, 8 << 20)


def read_uri(uri: str, directory: Path) -> Path:
    """Copy the object at ``uri`` (s3://… through ``aws_default``, or file://…) into ``directory``."""
    source = ObjectStoragePath(uri, conn_id=AWS_CONN_ID)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / source.name
    with source.open("rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return target


# -- the privacy officer's approval -------------------------------------------------------------------------------


class PrivacyApproval(ApprovalOperator):  # type: ignore[misc]
    """An ApprovalOperator that also records the answer (choice, who, when) as XCom ``decision``.

    Airflow's ApprovalOperator returns nothing on Reject (it skips downstream instead), so the decision is pushed
    before that, for the run to show whether a pack was approved, rejected (by whom) or timed out.
    """

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        """Record the answer, then let ApprovalOperator proceed or skip downstream."""
        if "error" not in event:
            by = event.get("responded_by_user") or {}
            answer = {
                "chosen": (event.get("chosen_options") or [None])[0],
                "responded_by": by.get("id"),
                "responded_at": str(event.get("responded_at")),
            }
            context["ti"].xcom_push(key="decision", value=answer)
        return super().execute_complete(context, event)


# -- the sampler pod ---------------------------------------------------------------------------------------------


def sampler_mode() -> str:
    """``kubernetes`` (production: the sampler image in the prod namespace) or ``local`` (development, tests)."""
    mode = _env("SYNTHDATA_SAMPLER_MODE", "kubernetes")
    if mode not in ("kubernetes", "local"):
        raise ValueError(f"SYNTHDATA_SAMPLER_MODE must be 'kubernetes' or 'local' (got {mode!r})")
    return mode


def privacy_officers() -> list[dict[str, str]]:
    """Assigned approvers from ``SYNTHDATA_PRIVACY_OFFICERS`` (``id:Name,id:Name``); only they can answer."""
    raw = _env("SYNTHDATA_PRIVACY_OFFICERS", "privacy-officer:Privacy officer")
    officers = []
    for item in raw.split(","):
        user_id, _, name = item.strip().partition(":")
        if user_id:
            officers.append({"id": user_id, "name": name or user_id})
    return officers


def approval_timeout() -> timedelta:
    """How long the privacy officer has to answer (``SYNTHDATA_APPROVAL_TIMEOUT_HOURS``, default 7 days)."""
    return timedelta(hours=float(_env("SYNTHDATA_APPROVAL_TIMEOUT_HOURS", str(7 * 24))))


_RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def sampler_pod(task_id: str) -> Any:
    """The sampler image as a hardened pod in the prod namespace; the pack comes back over XCom.

    Secrets are references only (the prod DSN and the HMAC key); nothing secret is in the DAG or its logs.
    """
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
    from airflow.providers.cncf.kubernetes.secret import Secret
    from kubernetes.client import models as k8s

    uid = 10001
    return KubernetesPodOperator(
        task_id=task_id,
        name="synthdata-sampler",
        labels={"app.kubernetes.io/name": "synthdata-sampler"},  # selected by the prod namespace's egress policy
        namespace=_env("SYNTHDATA_PROD_NAMESPACE", "synthdata-prod"),
        image=_env("SYNTHDATA_SAMPLER_IMAGE", "synthdata-sampler:latest"),
        service_account_name=_env("SYNTHDATA_SAMPLER_SERVICE_ACCOUNT", "synthdata-sampler"),
        automount_service_account_token=False,
        cmds=["synthcore"],
        arguments=[
            "sample",
            "--out",
            "/work/pack.json",
            "--window-days",
            "{{ params.window_days }}",
            "--window-end",
            WINDOW_END,
            "--schema",
            PROD_SCHEMA,
            "--xcom-return",
            "/airflow/xcom/return.json",
        ],
        env_vars={"SYNTHDATA_OPERATOR": "airflow-prod-shape-extraction", "HOME": "/work"},
        secrets=[
            Secret("env", "SYNTH_SAMPLE_DSN", _env("SYNTHDATA_PROD_DB_SECRET", "synthdata-prod-db"), "dsn"),
            Secret("env", "ANONYMIZATION_SALT", _env("SYNTHDATA_KEY_SECRET", "synthdata-anonymization-key"), "salt"),
        ],
        volumes=[k8s.V1Volume(name="work", empty_dir=k8s.V1EmptyDirVolumeSource(size_limit="256Mi"))],
        volume_mounts=[k8s.V1VolumeMount(name="work", mount_path="/work")],
        security_context={
            "runAsNonRoot": True,
            "runAsUser": uid,
            "runAsGroup": uid,
            "fsGroup": uid,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        container_security_context=_RESTRICTED_CONTAINER,
        xcom_sidecar_container_security_context=_RESTRICTED_CONTAINER,
        container_resources=k8s.V1ResourceRequirements(
            requests={"cpu": "250m", "memory": "512Mi"}, limits={"cpu": "1", "memory": "1Gi"}
        ),
        do_xcom_push=True,
        get_logs=True,
        log_events_on_failure=True,
        on_finish_action="delete_succeeded_pod",
        active_deadline_seconds=2 * 3600,
        deferrable=False,
        retries=1,
    )
