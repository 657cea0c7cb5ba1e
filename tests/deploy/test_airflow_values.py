"""Values for the official apache-airflow chart (which cannot be downloaded here, so it is not rendered): every
environment's merged values carry the settings synthdata depends on, reference secrets by name only, and match
the synthdata-prod companion chart and the DAG's names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VALUES = ROOT / "helm" / "airflow"
PROD_CHART = yaml.safe_load((ROOT / "helm" / "synthdata-prod" / "values.yaml").read_text())
ENVIRONMENTS = ["dev", "staging", "prod"]
# Keys whose value, if present in values, would be a secret itself rather than a reference to one.
SECRET_KEYS = {"password", "fernetkey", "webserversecretkey", "apisecretkey", "jwtsecret", "sql_alchemy_conn",
               "connection", "sshkey", "token", "aws_secret_access_key", "secret_key", "data"}  # fmt: skip


def _merge(base: Any, override: Any) -> Any:
    """Helm's -f layering: maps merge key by key, anything else (lists included) is replaced."""
    if not (isinstance(base, dict) and isinstance(override, dict)):
        return override
    merged = dict(base)
    for key, value in override.items():
        merged[key] = _merge(base[key], value) if key in base else value
    return merged


@pytest.fixture(params=ENVIRONMENTS)
def merged(request) -> tuple[str, dict]:
    base = yaml.safe_load((VALUES / "values.yaml").read_text())
    return request.param, _merge(base, yaml.safe_load((VALUES / f"values-{request.param}.yaml").read_text()))


def _walk(node: Any, path: str = ""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")
    else:
        yield path, node


def _env(values: dict) -> dict[str, str]:
    return {e["name"]: e["value"] for e in values["env"]}


def test_kubernetes_executor_airflow_3_and_dags_in_the_image(merged):
    _, values = merged
    assert values["executor"] == "KubernetesExecutor" and values["airflowVersion"] == "3.3.2"
    assert values["defaultAirflowRepository"].rsplit("/", 1)[-1] == "synthdata-airflow"
    assert values["dags"]["gitSync"]["enabled"] is False and values["dags"]["persistence"]["enabled"] is False
    assert values["multiNamespaceMode"] is False


def test_secrets_are_references_only(merged):
    _, values = merged
    literal = [path for path, value in _walk(values) if path.rsplit(".", 1)[-1].lower() in SECRET_KEYS and value]
    assert literal == []
    assert all(set(entry) == {"envName", "secretName", "secretKey"} for entry in values["secret"])
    assert not values.get("extraSecrets") and values["postgresql"]["enabled"] is False
    assert set(values["data"]) == {"metadataSecretName"}


def test_connections_come_from_secrets(merged):
    _, values = merged
    envs = {entry["envName"] for entry in values["secret"]}
    assert {"AIRFLOW_CONN_SYNTHDATA_TARGET", "AIRFLOW_CONN_AWS_DEFAULT"} <= envs
    assert not [name for name in _env(values) if name.startswith("AIRFLOW_CONN_")]


def test_load_pool_is_created(merged):
    _, values = merged
    command = " ".join(values["migrateDatabaseJob"]["args"])
    assert "airflow db migrate" in command and "airflow pools set pg_load " in command


def test_remote_logging_to_s3_per_environment(merged):
    env, values = merged
    logging = values["config"]["logging"]
    assert logging["remote_logging"] == "True" and logging["remote_log_conn_id"] == "aws_default"
    assert logging["remote_base_log_folder"].startswith(f"s3://synthdata-airflow-logs-{env}/")
    assert logging["encrypt_s3_logs"] == "False"  # SSE-S3 would be refused by the SSE-KMS bucket policy


def test_worker_pod_template_is_bounded_and_non_root(merged):
    _, values = merged
    workers = values["workers"]
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(workers["resources"][kind])
    pod, container = workers["securityContexts"]["pod"], workers["securityContexts"]["container"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] > 0
    assert container["allowPrivilegeEscalation"] is False and container["capabilities"]["drop"] == ["ALL"]


def test_matches_the_prod_chart_and_the_dag(merged):
    _, values = merged
    assert values["workers"]["serviceAccount"]["name"] in PROD_CHART["airflow"]["serviceAccounts"]
    env = _env(values)
    assert env["AIRFLOW_VAR_SYNTHDATA_PROD_NAMESPACE"] == PROD_CHART["namespace"]["name"]
    image = env["AIRFLOW_VAR_SYNTHDATA_SAMPLER_IMAGE"].rsplit("/", 1)[-1]
    assert image.split(":")[0] == "synthdata-sampler"


def test_privacy_officers_have_their_own_accounts(merged):
    _, values = merged
    core = values["config"]["core"]
    users = dict(u.split(":") for u in core["simple_auth_manager_users"].split(","))
    officers = [name for name, role in users.items() if name.startswith("privacy-officer")]
    assert len(officers) >= 2 and {users[o] for o in officers} == {"user"}
    assert core["simple_auth_manager_all_admins"] == "False"  # "True" would let anyone approve a pack
    (mount,) = [m for m in values["apiServer"]["extraVolumeMounts"] if m["name"] == "auth-passwords"]
    assert core["simple_auth_manager_passwords_file"].startswith(mount["mountPath"] + "/") and mount["readOnly"]
    (volume,) = [v for v in values["apiServer"]["extraVolumes"] if v["name"] == "auth-passwords"]
    assert set(volume) == {"name", "secret"}
