"""Values for the official apache-airflow chart (which cannot be downloaded here, so it is not rendered): every
environment's merged values carry the settings synthdata depends on, reference secrets by name only, and match
the synthdata-prod companion chart and the DAG's names."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.deploy.values import PROD_CHART, airflow_env, airflow_values

ENVIRONMENTS = ["dev", "staging", "prod"]
# Keys whose value, if present in values, would be a secret itself rather than a reference to one.
SECRET_KEYS = {"password", "fernetkey", "webserversecretkey", "apisecretkey", "jwtsecret", "sql_alchemy_conn",
               "connection", "sshkey", "token", "aws_secret_access_key", "secret_key", "data"}  # fmt: skip


@pytest.fixture(params=ENVIRONMENTS)
def merged(request) -> tuple[str, dict]:
    return request.param, airflow_values(request.param)


def _walk(node: Any, path: str = ""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")
    else:
        yield path, node


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
    assert not [name for name in airflow_env(values) if name.startswith("AIRFLOW_CONN_")]
    for entry in yaml.safe_load(values.get("extraEnvFrom") or "[]") or []:
        assert set(entry) == {"secretRef"}  # whole secrets by name, never inline values


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
    env_name, values = merged
    assert values["workers"]["serviceAccount"]["name"] in PROD_CHART["airflow"]["serviceAccounts"]
    env = airflow_env(values)
    assert env["SYNTHDATA_PROD_NAMESPACE"] == PROD_CHART["namespace"]["name"]
    assert env["SYNTHDATA_SAMPLER_SERVICE_ACCOUNT"] == PROD_CHART["sampler"]["serviceAccountName"]
    assert env["SYNTHDATA_PROD_DB_SECRET"] == PROD_CHART["secrets"]["database"]["name"]
    assert env["SYNTHDATA_KEY_SECRET"] == PROD_CHART["secrets"]["anonymizationKey"]["name"]
    assert env["SYNTHDATA_SAMPLER_IMAGE"].rsplit("/", 1)[-1].split(":")[0] == "synthdata-sampler"
    assert env["SYNTHDATA_SAMPLER_MODE"] == ("local" if env_name == "dev" else "kubernetes")
    assert env_name in env["AIRFLOW_VAR_SYNTHDATA_PACK_BUCKET"] and env_name in env["AIRFLOW_VAR_SYNTHDATA_STORAGE"]
    assert env["AIRFLOW_VAR_SYNTHDATA_KMS_KEY_ID"].startswith("arn:aws:kms:")  # a key ARN: the bucket policy pins it


def test_privacy_officers_have_their_own_accounts(merged):
    _, values = merged
    core = values["config"]["core"]
    users = dict(u.split(":") for u in core["simple_auth_manager_users"].split(","))
    officers = [item.split(":")[0] for item in airflow_env(values)["SYNTHDATA_PRIVACY_OFFICERS"].split(",")]
    assert len(officers) >= 2 and {users.get(o) for o in officers} == {"user"}  # the DAG's approvers can log in
    assert core["simple_auth_manager_all_admins"] == "False"  # "True" would let anyone approve a pack
    (mount,) = [m for m in values["apiServer"]["extraVolumeMounts"] if m["name"] == "auth-passwords"]
    assert core["simple_auth_manager_passwords_file"].startswith(mount["mountPath"] + "/") and mount["readOnly"]
    (volume,) = [v for v in values["apiServer"]["extraVolumes"] if v["name"] == "auth-passwords"]
    assert set(volume) == {"name", "secret"}
