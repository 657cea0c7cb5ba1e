"""The synthdata-prod companion chart: helm lint --strict, helm template over several value sets and Kubernetes
versions, every manifest validated offline against the Kubernetes schemas (strict), and its security
properties checked on the rendered output."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "synthdata-prod"
VALUE_SETS = {"minimal": ["ci/minimal-values.yaml"], "hardened": ["ci/hardened-values.yaml"]}
KUBE_VERSIONS = ["1.27.0", "1.37.0"]  # the chart's kubeVersion floor, and the newest schemas bundled offline
LAUNCHER_RULES = {
    "pods": {"create", "get", "list", "watch", "patch", "delete"},
    "pods/log": {"get"},
    "pods/exec": {"create", "get"},
    "events": {"get", "list", "watch"},
}


def _helm(helm: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **{f"HELM_{d}_HOME": str(tmp / d.lower()) for d in ("CACHE", "CONFIG", "DATA")}}
    return subprocess.run([str(helm), *args], capture_output=True, text=True, env=env, cwd=CHART, check=False)


def _render(helm: Path, tmp: Path, values: list[str], kube_version: str = "1.37.0", *extra: str) -> list[dict]:
    args = ["template", "synthdata", ".", "--kube-version", kube_version, *[a for v in values for a in ("-f", v)]]
    result = _helm(helm, tmp, *args, *extra)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def _pod_specs(manifests: list[dict]) -> list[dict]:
    specs = []
    for doc in manifests:
        spec = doc.get("spec", {})
        if doc["kind"] == "Pod":
            specs.append(spec)
        elif doc["kind"] == "CronJob":
            specs.append(spec["jobTemplate"]["spec"]["template"]["spec"])
        elif "template" in spec:
            specs.append(spec["template"]["spec"])
    return specs


@pytest.fixture(scope="module", params=sorted(VALUE_SETS))
def rendered(request, helm, tmp_path_factory) -> tuple[str, list[dict]]:
    return request.param, _render(helm, tmp_path_factory.mktemp("helm"), VALUE_SETS[request.param])


@pytest.mark.parametrize("name", sorted(VALUE_SETS))
def test_lint_strict(helm, tmp_path, name):
    result = _helm(helm, tmp_path, "lint", "--strict", ".", *[a for v in VALUE_SETS[name] for a in ("-f", v)])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("name", sorted(VALUE_SETS))
def test_every_manifest_is_valid_kubernetes_strict(helm, tmp_path, name, kube_version):
    manifests = _render(helm, tmp_path, VALUE_SETS[name], kube_version)
    for doc in manifests:
        kubernetes_validate.validate(doc, kube_version, strict=True)
    kinds = {doc["kind"] for doc in manifests}
    assert {"ServiceAccount", "Role", "RoleBinding", "NetworkPolicy", "ResourceQuota", "LimitRange", "Pod"} <= kinds


def test_offline_validation_rejects_unknown_fields_and_kinds():
    bad_field = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "x"}, "automountToken": False}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad_field, "1.37.0", strict=True)
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        kubernetes_validate.validate({"apiVersion": "v1", "kind": "Nonsense", "metadata": {"name": "x"}}, "1.37.0")


@pytest.mark.parametrize(
    ("values", "sets", "message"),
    [
        ([], [], "/database/cidrs"),  # no database: nothing to allow, so refuse to render
        (["ci/minimal-values.yaml"], ["unknown=1"], "unknown"),
        (["ci/minimal-values.yaml"], ["secrets.database.value=hunter2"], "value"),
        (["ci/minimal-values.yaml"], ["namespace.podSecurity=baseline"], "podSecurity"),
        (["ci/minimal-values.yaml"], ["database.cidrs[0]=0.0.0.0"], "cidrs"),
        (["ci/minimal-values.yaml"], ["sampler.uid=0"], "uid"),
    ],
)
def test_schema_rejects_bad_values(helm, tmp_path, values, sets, message):
    args = ["template", "x", ".", *[a for v in values for a in ("-f", v)], *[a for s in sets for a in ("--set", s)]]
    result = _helm(helm, tmp_path, *args)
    assert result.returncode != 0 and message in result.stderr, result.stderr


def test_pods_are_hardened(rendered):
    name, manifests = rendered
    specs = _pod_specs(manifests)
    assert specs, f"{name}: no pod rendered, nothing to check"
    for spec in specs:
        assert spec["automountServiceAccountToken"] is False
        assert not any(spec.get(k) for k in ("hostNetwork", "hostPID", "hostIPC"))
        assert not [v for v in spec.get("volumes", []) if "hostPath" in v]
        assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] > 0
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        for container in spec["containers"] + spec.get("initContainers", []):
            ctx = container["securityContext"]
            assert ctx.get("privileged", False) is False and ctx["allowPrivilegeEscalation"] is False
            assert ctx["readOnlyRootFilesystem"] is True and ctx["capabilities"]["drop"] == ["ALL"]
            assert ctx.get("runAsUser", 1) != 0
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind])


def test_service_account_has_no_token_and_no_secret_is_carried(rendered):
    _, manifests = rendered
    (account,) = [d for d in manifests if d["kind"] == "ServiceAccount"]
    assert account["metadata"]["name"] == "synthdata-sampler" and account["automountServiceAccountToken"] is False
    assert not [d for d in manifests if d["kind"] in ("Secret", "ConfigMap")]


def test_role_grants_the_pod_launcher_rules_only(rendered):
    name, manifests = rendered
    (role,) = [d for d in manifests if d["kind"] == "Role"]
    granted: dict[str, set[str]] = {}
    for rule in role["rules"]:
        assert rule["apiGroups"] == [""]
        for resource in rule["resources"]:
            granted.setdefault(resource, set()).update(rule["verbs"])
    assert granted == LAUNCHER_RULES
    (binding,) = [d for d in manifests if d["kind"] == "RoleBinding"]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "synthdata-pod-launcher",
    }
    values = yaml.safe_load((CHART / VALUE_SETS[name][0]).read_text())
    airflow_ns = values.get("airflow", {}).get("namespace", "airflow")
    assert binding["subjects"] and all(
        s["kind"] == "ServiceAccount" and s["namespace"] == airflow_ns for s in binding["subjects"]
    )


def test_network_is_default_deny_with_dns_and_database_only(rendered):
    name, manifests = rendered
    policies = {d["metadata"]["name"]: d["spec"] for d in manifests if d["kind"] == "NetworkPolicy"}
    assert policies.pop("default-deny-all") == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    (egress,) = policies.values()
    assert egress["policyTypes"] == ["Egress"] and "ingress" not in egress
    dns, database = egress["egress"]
    assert {(p["protocol"], p["port"]) for p in dns["ports"]} == {("UDP", 53), ("TCP", 53)}
    assert all("podSelector" in peer and "namespaceSelector" in peer for peer in dns["to"])
    values = yaml.safe_load((CHART / VALUE_SETS[name][0]).read_text())["database"]
    assert [peer["ipBlock"]["cidr"] for peer in database["to"]] == values["cidrs"]
    assert database["ports"] == [{"protocol": "TCP", "port": values.get("port", 5432)}]


def test_namespace_enforces_restricted_pod_security(helm, tmp_path):
    manifests = _render(helm, tmp_path, VALUE_SETS["minimal"])
    (namespace,) = [d for d in manifests if d["kind"] == "Namespace"]
    labels = namespace["metadata"]["labels"]
    assert all(labels[f"pod-security.kubernetes.io/{mode}"] == "restricted" for mode in ("enforce", "audit", "warn"))
    assert {d["metadata"].get("namespace") for d in manifests if d["kind"] != "Namespace"} == {"synthdata-prod"}


def test_quota_and_limits_bound_the_namespace(rendered):
    _, manifests = rendered
    (quota,) = [d for d in manifests if d["kind"] == "ResourceQuota"]
    assert {"pods", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"} <= set(quota["spec"]["hard"])
    (limits,) = [d for d in manifests if d["kind"] == "LimitRange"]
    (container,) = limits["spec"]["limits"]
    assert container["type"] == "Container" and {"default", "defaultRequest", "max"} <= set(container)
