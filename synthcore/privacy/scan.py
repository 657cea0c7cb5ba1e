"""Scan a metrics pack before it leaves: closed-schema check plus PII and secret detection on every key and value.

A pack with its mapping manifest beside it must also match the manifest's SHA-256 (approval and upload re-check),
and the manifest is scanned like the pack (closed MappingManifest schema, every key and value).

Fails closed: anything that is not strict JSON, breaks the MetricsPack schema, is too large or too deep, or
holds a detectable email, phone number, SSN, card, IBAN, IP address, UUID, token, JWT, cloud key, private key,
person name or street address (in any key or value, also after URL, base64 and hex decoding and Unicode
normalisation) is a finding with its JSON path. Pure and offline: no network, no models.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from synthcore.errors import PrivacyViolation, SpecError
from synthcore.privacy.decoders import decoded_variants
from synthcore.privacy.detectors import detect, redact
from synthcore.spec.io import parse_model, parse_strict_json, sha256_hex
from synthcore.spec.manifest import MappingManifest, manifest_path_for
from synthcore.spec.metrics_pack import MetricsPack

MAX_PACK_BYTES = 4 * 1024 * 1024
"""A valid pack is about 30 KB; anything this large is not one."""
MAX_NESTING = 16
"""A valid pack nests 5 levels deep."""
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
MANIFEST_EXEMPT: dict[str, frozenset[str]] = {
    "$.pack_sha256": frozenset({"hex_token", "uuid"}),
    "$.tokenization.key_fingerprint": frozenset({"hex_token"}),
    "$.provenance.source_database": frozenset({"ip_address"}),
}
"""Detections the manifest schema makes harmless: its pattern admits only a digest there, or a database host."""


@dataclass(frozen=True)
class Finding:
    """One problem at one JSON path: its category and a redacted detail."""

    path: str
    category: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.category}: {self.detail}"


@dataclass(frozen=True)
class ScanResult:
    """Every finding in one pack; clean when there are none."""

    source: str
    findings: tuple[Finding, ...]

    @property
    def clean(self) -> bool:
        """True when the pack may leave."""
        return not self.findings


def scan_pack_bytes(data: bytes, source: str) -> ScanResult:
    """Scan the exact bytes of a pack (the bytes that are hashed, approved and uploaded)."""
    return _scan_bytes(data, source, MetricsPack, {})


def scan_manifest_bytes(data: bytes, source: str) -> ScanResult:
    """Scan the exact bytes of a mapping manifest like a pack, against the MappingManifest schema.

    Only the detections listed in MANIFEST_EXEMPT, at their paths, are not findings.
    """
    return _scan_bytes(data, source, MappingManifest, MANIFEST_EXEMPT)


def _scan_bytes(data: bytes, source: str, model: type[BaseModel], exempt: dict[str, frozenset[str]]) -> ScanResult:
    findings: list[Finding] = []
    if len(data) > MAX_PACK_BYTES:
        findings.append(Finding("$", "size", f"{len(data)} bytes exceeds {MAX_PACK_BYTES}"))
    text = data.decode("utf-8", errors="replace")
    if "\ufffd" in text:
        findings.append(Finding("$", "encoding", "not valid UTF-8"))
    try:
        document = parse_strict_json(data, source)
    except SpecError as exc:
        findings.append(Finding("$", "schema", _without_quoted("; ".join(exc.problems))))
        findings.extend(_text_findings("$", text))
        return ScanResult(source, tuple(findings))
    depth = _depth(document)
    if depth > MAX_NESTING:
        findings.append(Finding("$", "schema", f"nesting depth {depth} exceeds {MAX_NESTING}"))
    else:
        findings.extend(_schema_findings(document, model))
    findings.extend(f for f in _content_findings(document) if f.category not in exempt.get(f.path, ()))
    return ScanResult(source, tuple(findings))


def scan_pack_file(path: Path | str) -> ScanResult:
    """Read and scan a pack file and, if it is beside it, its mapping manifest, whose SHA-256 the pack must match.

    Manifest findings carry the manifest's file name before their JSON path.

    Raises:
        SpecError: the file (or its manifest) cannot be read.
    """
    path = Path(path)
    data = _read(path)
    result = scan_pack_bytes(data, str(path))
    manifest_path = manifest_path_for(path)
    if not manifest_path.exists():
        return result
    manifest_data = _read(manifest_path)
    manifest = scan_manifest_bytes(manifest_data, str(manifest_path))
    named = (Finding(f"{manifest_path.name}:{f.path}", f.category, f.detail) for f in manifest.findings)
    findings = [*result.findings, *named]
    digest = parse_model(MappingManifest, manifest_data, str(manifest_path)).pack_sha256 if manifest.clean else None
    if digest is not None and digest != sha256_hex(data):
        findings.append(Finding("$", "manifest", f"pack bytes do not match the SHA-256 in {manifest_path.name}"))
    return ScanResult(result.source, tuple(findings))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SpecError(str(path), [f"cannot read file: {exc.strerror}"]) from None


def require_clean(result: ScanResult) -> None:
    """Raise unless the scan found nothing.

    Raises:
        PrivacyViolation: lists every finding with its JSON path.
    """
    if not result.clean:
        lines = "\n".join(f"  {f}" for f in result.findings)
        raise PrivacyViolation(f"{result.source}: {len(result.findings)} finding(s); the pack must not leave:\n{lines}")


def _depth(node: Any) -> int:
    if isinstance(node, dict):
        return 1 + max((_depth(v) for v in node.values()), default=0)
    if isinstance(node, list):
        return 1 + max((_depth(v) for v in node), default=0)
    return 0


def _schema_findings(document: Any, model: type[BaseModel]) -> list[Finding]:
    """One finding per schema violation; the offending value is never echoed (it may be the PII)."""
    try:
        model.model_validate(document)
    except ValidationError as exc:
        return [
            Finding(
                "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in ("$", *err["loc"]))[1:],
                "schema",
                err["msg"].removeprefix("Value error, "),
            )
            for err in exc.errors()
        ]
    return []


def _without_quoted(text: str) -> str:
    """``text`` with every quoted part redacted (parser messages quote the offending key)."""
    return _QUOTED.sub(lambda m: redact(m.group()), text)


def _walk(node: Any, path: str) -> Iterator[tuple[str, str, bool]]:
    """Yield ``(path, text, numeric)`` for every key and leaf value; numbers are rendered as JSON renders them."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield f"{path}.{key}", str(key), False
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")
    elif isinstance(node, bool) or node is None:
        return
    elif isinstance(node, int | float):
        yield path, repr(node), True
    else:
        yield path, str(node), False


def _content_findings(document: Any) -> list[Finding]:
    findings = []
    for path, text, numeric in _walk(document, "$"):
        findings.extend(_text_findings(path, text, numeric=numeric))
    return findings


def _text_findings(path: str, text: str, *, numeric: bool = False) -> list[Finding]:
    """Detections in ``text`` and its decodings, one finding per (category, decoding)."""
    found: dict[tuple[str, str], Finding] = {}
    for how, variant in decoded_variants(text):
        for detection in detect(variant, numeric=numeric):
            key = (detection.category, detection.hint)
            if key not in found:
                via = "" if how == "plain" else f" (after {how.removeprefix('plain+')})"
                found[key] = Finding(path, detection.category, f"{detection.hint}{via}")
    return list(found.values())
