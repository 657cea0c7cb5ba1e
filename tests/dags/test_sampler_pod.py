"""The sampler's KubernetesPodOperator pod, built and checked offline (no cluster).

Not covered here: admission by a real API server (the Helm tests validate manifests against the Kubernetes schemas).
"""

from __future__ import annotations

import json

import pytest
from kubernetes.client import ApiClient

from tests.dags.conftest import DAGS  # noqa: F401  (puts dags/ on sys.path)


@pytest.fixture(scope="module")
def pod(monkeypatch_module: pytest.MonkeyPatch) -> dict:
    monkeypatch_module.setenv("SYNTHDATA_PROD_NAMESPACE", "prod-chat")
    monkeypatch_module.setenv("SYNTHDATA_SAMPLER_IMAGE", "registry.example/synthdata-sampler:1.2.3")
    from synthdata_support import sampler_pod

    operator = sampler_pod("sample")
    built = operator.build_pod_request_obj(dry_run=True)
    return ApiClient().sanitize_for_serialization(built)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_pod_runs_the_sampler_image_in_the_prod_namespace(pod: dict) -> None:
    from synthdata_support import PROD_SCHEMA, WINDOW_END

    spec = pod["spec"]
    assert pod["metadata"]["namespace"] == "prod-chat"
    assert spec["serviceAccountName"] == "synthdata-sampler" and spec["automountServiceAccountToken"] is False
    base, sidecar = spec["containers"]
    assert [base["name"], sidecar["name"]] == ["base", "airflow-xcom-sidecar"]
    assert base["image"] == "registry.example/synthdata-sampler:1.2.3"
    assert base["command"] == ["synthcore"] and base["args"][:3] == ["sample", "--out", "/work/pack.json"]
    assert base["args"][-4:] == ["--schema", PROD_SCHEMA, "--xcom-return", "/airflow/xcom/return.json"]
    assert base["args"][3:7] == ["--window-days", "{{ params.window_days }}", "--window-end", WINDOW_END]


def test_every_container_is_hardened(pod: dict) -> None:
    spec = pod["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] > 0
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    for container in spec["containers"]:
        ctx = container["securityContext"]
        assert ctx["allowPrivilegeEscalation"] is False, container["name"]
        assert ctx["readOnlyRootFilesystem"] is True, container["name"]
        assert ctx["capabilities"] == {"drop": ["ALL"]}, container["name"]
        assert ctx["runAsNonRoot"] is True and ctx["seccompProfile"] == {"type": "RuntimeDefault"}
    assert not any("hostPath" in v for v in spec["volumes"])


def test_secrets_are_references_and_resources_are_bounded(pod: dict) -> None:
    base = pod["spec"]["containers"][0]
    env = {e["name"]: e for e in base["env"]}
    assert env["SYNTH_SAMPLE_DSN"]["valueFrom"]["secretKeyRef"] == {"name": "synthdata-prod-db", "key": "dsn"}
    assert env["ANONYMIZATION_SALT"]["valueFrom"]["secretKeyRef"] == {
        "name": "synthdata-anonymization-key",
        "key": "salt",
    }
    assert all("value" not in e for e in (env["SYNTH_SAMPLE_DSN"], env["ANONYMIZATION_SALT"]))
    text = json.dumps(pod)
    assert "postgresql://" not in text and "password" not in text.lower()
    resources = base["resources"]
    assert resources["requests"]["cpu"] and resources["limits"]["memory"] == "1Gi"
    mounts = {m["mountPath"] for m in base["volumeMounts"]}
    assert {"/work", "/airflow/xcom"} <= mounts
