"""Files to typed models and back: strict JSON parsing, spec loading with named errors, schema export."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from synthcore.errors import SpecError


def _specs_dir() -> Path:
    """The specs/ folder: shipped in the wheel as ``synthcore/_specs``, else the source checkout's ``specs/``."""
    packaged = Path(__file__).resolve().parents[1] / "_specs"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "specs"


SPECS_DIR = _specs_dir()
DEFAULT_SPEC_PATH = SPECS_DIR / "distribution-spec.json"
SCHEMAS_DIR = SPECS_DIR / "schemas"

M = TypeVar("M", bound=BaseModel)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def parse_strict_json(data: bytes | str, source: str) -> Any:
    """Parse JSON, rejecting duplicate keys, NaN and Infinity.

    Raises:
        SpecError: the text is not strict JSON.
    """
    try:
        return json.loads(data, object_pairs_hook=_unique_pairs, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SpecError(source, [f"not valid JSON: {exc}"]) from None


def validation_problems(exc: ValidationError) -> list[str]:
    """Render each pydantic error as ``dotted.path: reason (got value)``."""
    problems = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"]) or "<root>"
        reason = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
        problems.append(f"{path}: {reason} (got {shown})")
    return problems


def parse_model(model: type[M], data: bytes | str, source: str) -> M:
    """Parse strict JSON into ``model``; every problem is named with its field path.

    Raises:
        SpecError: invalid JSON or a model violation.
    """
    raw = parse_strict_json(data, source)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(source, validation_problems(exc)) from None


def load_model(model: type[M], path: Path | str) -> M:
    """Read ``path`` and parse it into ``model``.

    Raises:
        SpecError: the file cannot be read or is invalid.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(str(path), [f"cannot read file: {exc.strerror}"]) from None
    return parse_model(model, data, str(path))


def sha256_hex(data: bytes) -> str:
    """SHA-256 of ``data`` as hex."""
    return hashlib.sha256(data).hexdigest()


def model_sha256(model: BaseModel) -> str:
    """Stable hash of a model's canonical JSON (sorted keys, no whitespace)."""
    canonical = json.dumps(model.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return sha256_hex(canonical.encode())


def schema_models() -> dict[str, type[BaseModel]]:
    """The contracts whose JSON Schemas live in specs/schemas/, by file stem."""
    from synthcore.spec.calibration import CalibrationReport
    from synthcore.spec.database import BaselineComparison, BaselineReport, IntegrityReport, RunRecord, WarmReport
    from synthcore.spec.distribution import DistributionSpec
    from synthcore.spec.fidelity import FidelityReport
    from synthcore.spec.manifest import MappingManifest
    from synthcore.spec.metrics_pack import MetricsPack
    from synthcore.spec.reports import GenerationReport

    return {
        "distribution-spec": DistributionSpec,
        "generation-report": GenerationReport,
        "metrics-pack": MetricsPack,
        "mapping-manifest": MappingManifest,
        "fidelity-report": FidelityReport,
        "calibration-report": CalibrationReport,
        "load-run-record": RunRecord,
        "integrity-report": IntegrityReport,
        "warm-report": WarmReport,
        "baseline-report": BaselineReport,
        "baseline-comparison": BaselineComparison,
    }


def render_schema(model: type[BaseModel]) -> str:
    """The JSON Schema text committed for ``model``."""
    return json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n"


def export_schemas(directory: Path = SCHEMAS_DIR) -> list[Path]:
    """Write every contract's JSON Schema into ``directory``; return the paths written."""
    from synthcore.artifacts import write_bytes_atomic

    return [
        write_bytes_atomic(directory / f"{stem}.schema.json", render_schema(model).encode())
        for stem, model in schema_models().items()
    ]
