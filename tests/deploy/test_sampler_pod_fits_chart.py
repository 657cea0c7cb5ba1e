"""The DAG's sampler pod, built with the environment the prod Airflow values give it, fits the namespace the
synthdata-prod chart makes: same namespace and service account, selected by the egress allow-list (else the
default-deny policy would cut it off from the database), the chart's secret references, within the LimitRange,
and a valid Kubernetes object."""

from __future__ import annotations

import re

import kubernetes_validate
import pytest
from kubernetes.client import ApiClient

from tests.airflow_home import DAGS  # noqa: F401  (Airflow settings for tests; puts dags/ on sys.path)
from tests.deploy.test_prod_chart import KUBE_VERSIONS, VALUE_SETS, _render
from tests.deploy.values import PROD_CHART, airflow_env, airflow_values

_UNITS = {"m": 1e-3, "": 1.0, "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30}


def _quantity(text: str) -> float:
    number, unit = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(text)).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


@pytest.fixture(scope="module")
def pod() -> dict:
    with pytest.MonkeyPatch.context() as mp:
        for name, value in airflow_env(airflow_values("prod")).items():
            mp.setenv(name, value)
        from synthdata_support import sampler_pod

        built = sampler_pod("sample").build_pod_request_obj(dry_run=True)
    return ApiClient().sanitize_for_serialization(built)


@pytest.fixture(scope="module", params=sorted(VALUE_SETS))
def chart(request, helm, tmp_path_factory) -> dict[str, list[dict]]:
    manifests = _render(helm, tmp_path_factory.mktemp("helm"), VALUE_SETS[request.param])
    by_kind: dict[str, list[dict]] = {}
    for doc in manifests:
        by_kind.setdefault(doc["kind"], []).append(doc)
    return by_kind


def test_pod_lands_in_the_chart_namespace_with_its_service_account(pod, chart):
    (account,) = chart["ServiceAccount"]
    assert pod["metadata"]["namespace"] == account["metadata"]["namespace"]
    assert pod["spec"]["serviceAccountName"] == account["metadata"]["name"]


def test_pod_is_selected_by_the_egress_allow_list(pod, chart):
    (egress,) = [p for p in chart["NetworkPolicy"] if p["spec"]["podSelector"]]
    selector = egress["spec"]["podSelector"]["matchLabels"]
    assert selector.items() <= pod["metadata"]["labels"].items()


def test_pod_reads_exactly_the_chart_secret_references(pod):
    refs = {
        e["valueFrom"]["secretKeyRef"]["name"]: e["valueFrom"]["secretKeyRef"]["key"]
        for c in pod["spec"]["containers"]
        for e in c.get("env") or []
        if "valueFrom" in e
    }
    assert refs == {ref["name"]: ref["key"] for ref in PROD_CHART["secrets"].values()}


def test_pod_fits_the_limit_range(pod, chart):
    (limit_range,) = chart["LimitRange"]
    ceiling = limit_range["spec"]["limits"][0]["max"]
    for container in pod["spec"]["containers"]:
        for kind in ("requests", "limits"):
            for resource, amount in (container.get("resources", {}).get(kind) or {}).items():
                assert _quantity(amount) <= _quantity(ceiling[resource]), (container["name"], kind, resource)


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
def test_pod_is_valid_kubernetes(pod, kube_version):
    kubernetes_validate.validate({"apiVersion": "v1", "kind": "Pod", **pod}, kube_version, strict=True)
