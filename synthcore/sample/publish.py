"""Export a metrics pack and its mapping manifest: sample, scan the exact bytes, then write both atomically.

The pack is serialised once; those bytes are scanned (fail closed), written, and hashed into the manifest, so
approval and upload can re-check that the file they hold is the file that passed. Nothing is written when the
scan finds anything.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from synthcore import __version__, pg
from synthcore.artifacts import write_bytes_atomic
from synthcore.errors import OutputError
from synthcore.privacy.scan import require_clean, scan_pack_bytes
from synthcore.sample.keyed_ids import ALGORITHM, KEY_ENV, MIN_KEY_BYTES, AnonymizationKey
from synthcore.sample.sampler import SampleOptions, SampleResult, sample_shape
from synthcore.spec import manifest as mf
from synthcore.spec.io import sha256_hex
from synthcore.spec.metrics_pack import MetricsPack

OPERATOR_ENV = "SYNTHDATA_OPERATOR"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._@:/+-]")


@dataclass(frozen=True)
class ExportedPack:
    """Where the pack and its manifest were written, and the result they came from."""

    pack_path: Path
    manifest_path: Path
    pack_sha256: str
    result: SampleResult


def render_pack(pack: MetricsPack) -> bytes:
    """The canonical bytes of a pack: indented JSON with keys in model order, newline-terminated."""
    return (json.dumps(pack.model_dump(mode="json"), indent=2, allow_nan=False) + "\n").encode()


def export_pack(conninfo: str, out: Path, key: AnonymizationKey, options: SampleOptions | None = None) -> ExportedPack:
    """Sample the database at ``conninfo`` with ``key`` and write ``out`` plus its manifest, or nothing at all.

    Raises:
        PrivacyViolation: the pack failed the scan (nothing is written).
        OutputError: ``out`` is not a ``.json`` path with a plain file name.
    """
    if out.suffix != ".json" or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", out.name):
        raise OutputError(f"pack path must end in .json and have a plain file name (got {str(out)!r})")
    operator = operator_name()
    result = sample_shape(conninfo, key, options)
    data = render_pack(result.pack)
    require_clean(scan_pack_bytes(data, str(out)))
    digest = sha256_hex(data)
    source = pg.describe_target(conninfo)
    manifest = build_manifest(result, key, pack_file=out.name, pack_sha256=digest, source=source, operator=operator)
    manifest_path = mf.manifest_path_for(out)
    write_bytes_atomic(out, data)
    write_bytes_atomic(manifest_path, (manifest.model_dump_json(indent=2) + "\n").encode())
    return ExportedPack(out, manifest_path, digest, result)


def operator_name() -> str:
    """Who runs the sampler: ``SYNTHDATA_OPERATOR`` (set by the DAG), else the OS user, else ``uid-<n>``.

    A container running under an arbitrary uid has no passwd entry; its uid still identifies it.
    """
    name = os.environ.get(OPERATOR_ENV)
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid-{os.getuid()}"


def build_manifest(
    result: SampleResult, key: AnonymizationKey, *, pack_file: str, pack_sha256: str, source: str, operator: str
) -> mf.MappingManifest:
    """The mapping manifest of one sampled pack (no key, no token, no identifier)."""
    created = datetime.now(UTC)
    tally, ledger = result.tally, result.ledger
    entries = ledger.entries if ledger else []
    return mf.MappingManifest(
        manifest_version=1,
        pack_file=pack_file,
        pack_sha256=pack_sha256,
        privacy_level=mf.PRIVACY_LEVEL,
        tokenization=mf.Tokenization(
            algorithm=ALGORITHM,
            key_reference=f"env:{KEY_ENV}",
            key_fingerprint=key.fingerprint(),
            key_min_bytes=MIN_KEY_BYTES,
            normalisation=mf.NORMALISATION,
            tokens_exported=False,
        ),
        disclosure=mf.DisclosureRecord(
            k=result.pack.disclosure.k,
            rounding=result.pack.disclosure.rounding,
            cells_published=tally.published,
            cells_suppressed=tally.suppressed,
            cells_secondary_suppressed=tally.secondary_suppressed,
            percentiles_published=tally.percentiles_published,
            percentiles_withheld=tally.percentiles_withheld,
        ),
        differential_privacy=mf.DifferentialPrivacy(
            enabled=ledger is not None,
            epsilon_spent=ledger.spent if ledger else None,
            unit=mf.DP_UNIT if ledger else None,
            mechanism=mf.DP_MECHANISM if ledger else None,
            ledger=[mf.EpsilonSpend(metric=e.metric, epsilon=e.epsilon, sensitivity=e.sensitivity) for e in entries],
        ),
        retention=mf.Retention(days=mf.RETENTION_DAYS, created_at=created, expires_at=mf.expiry(created)),
        provenance=mf.Provenance(
            operator=_safe_name(operator),
            host=_safe_name(socket.gethostname()),
            source_database=_safe_name(source),
            code_version=f"synthcore-{__version__}",
            window_start=result.window_start,
            window_end=result.window_end,
            sampler_seconds=round(result.seconds, 3),
        ),
    )


def _safe_name(value: str) -> str:
    """``value`` restricted to the manifest's name alphabet (other characters become ``_``), at most 128 chars."""
    cleaned = _UNSAFE_NAME.sub("_", value)[:128]
    return cleaned if cleaned and cleaned[0].isalnum() else f"x{cleaned}"[:128]
