"""The Airflow chart values as Helm layers them for one environment, and the environment they give the DAGs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
VALUES = ROOT / "helm" / "airflow"
PROD_CHART = yaml.safe_load((ROOT / "helm" / "synthdata-prod" / "values.yaml").read_text())


def airflow_values(environment: str) -> dict:
    """``values.yaml`` overlaid with ``values-<environment>.yaml``."""
    base = yaml.safe_load((VALUES / "values.yaml").read_text())
    return _merge(base, yaml.safe_load((VALUES / f"values-{environment}.yaml").read_text()))


def _merge(base: Any, override: Any) -> Any:
    """Helm's -f layering: maps merge key by key, anything else (lists included) is replaced."""
    if not (isinstance(base, dict) and isinstance(override, dict)):
        return override
    merged = dict(base)
    for key, value in override.items():
        merged[key] = _merge(base[key], value) if key in base else value
    return merged


def airflow_env(values: dict) -> dict[str, str]:
    """The environment the chart gives every Airflow container: ``env`` plus the templated ``extraEnv``."""
    entries = values["env"] + (yaml.safe_load(values.get("extraEnv") or "[]") or [])
    names = [e["name"] for e in entries]
    assert len(names) == len(set(names)), "a variable set twice: which one wins is up to the kubelet"
    return {e["name"]: e["value"] for e in entries}
