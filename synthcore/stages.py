"""The stage API: one function per pipeline stage, called by the CLI, ``synthcore run`` and every DAG task.

Each stage takes plain arguments (paths, a libpq conninfo resolved by the caller, names, explicit keys), writes its
report, applies its gate (a :class:`~synthcore.errors.SynthError` whose ``retryable`` says whether a retry can help)
and returns a small JSON-serialisable summary, fit for an Airflow XCom. Heavy modules are imported inside the
stages, so the sampler path needs neither DuckDB nor SciPy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthcore.spec.database import BASELINE_RUNS, BASELINE_TIMEOUT_MS, BASELINE_WARMUP
from synthcore.spec.io import SPECS_DIR

if TYPE_CHECKING:
    from synthcore.sample.keyed_ids import AnonymizationKey
    from synthcore.sample.sampler import SampleOptions
    from synthcore.spec.fidelity import Tolerance

Summary = dict[str, Any]
DEFAULT_SPEC = SPECS_DIR / "distribution-spec.json"
PHASE_2_INDEXES = SPECS_DIR / "indexes" / "phase-2.sql"
INTEGRITY_REPORT = "integrity-report.json"
WARM_REPORT = "warm-report.json"


def sample(conninfo: str, out: Path, key: AnonymizationKey, options: SampleOptions | None = None) -> Summary:
    """Sample production into a scanned metrics pack plus its mapping manifest (nothing is written on a finding).

    Raises:
        PrivacyViolation: the key is unusable or the pack failed the scan.
    """
    from synthcore.sample import export_pack

    exported = export_pack(conninfo, out, key, options)
    return {
        "pack": str(exported.pack_path),
        "manifest": str(exported.manifest_path),
        "pack_sha256": exported.pack_sha256,
        "seconds": round(exported.result.seconds, 3),
        **pack_summary(exported.pack_path),
    }


def sampled_documents(summary: Summary) -> Summary:
    """The sampler's hand-over across the boundary: its summary plus the exact pack and manifest texts."""
    return {
        "summary": summary,
        "pack": Path(summary["pack"]).read_text(encoding="utf-8"),
        "manifest": Path(summary["manifest"]).read_text(encoding="utf-8"),
    }


def materialize_pack(documents: Mapping[str, Any], directory: Path) -> Path:
    """Write a hand-over's pack and manifest into ``directory`` under their own names; return the pack's path.

    Raises:
        SpecError: the manifest is invalid.
    """
    from synthcore.artifacts import write_bytes_atomic
    from synthcore.spec.io import parse_model
    from synthcore.spec.manifest import MappingManifest, manifest_path_for

    manifest = parse_model(MappingManifest, documents["manifest"], "sampler hand-over: manifest")
    pack = directory / manifest.pack_file
    write_bytes_atomic(pack, documents["pack"].encode("utf-8"))
    write_bytes_atomic(manifest_path_for(pack), documents["manifest"].encode("utf-8"))
    return pack


def pack_summary(pack: Path) -> Summary:
    """What a privacy officer reads before approving: window, entity counts, cells published and suppressed, k, ε.

    Raises:
        SpecError: the pack or its manifest is missing or invalid.
    """
    from synthcore.spec.io import load_model
    from synthcore.spec.manifest import MappingManifest, manifest_path_for
    from synthcore.spec.metrics_pack import MetricsPack

    parsed = load_model(MetricsPack, pack)
    manifest = load_model(MappingManifest, manifest_path_for(pack))
    disclosure = manifest.disclosure
    return {
        "window_start": manifest.provenance.window_start.isoformat(),
        "window_end": manifest.provenance.window_end.isoformat(),
        "window_days": parsed.window_days,
        "entities": parsed.entities.model_dump(mode="json"),
        "k": disclosure.k,
        "rounding": disclosure.rounding,
        "cells_published": disclosure.cells_published,
        "cells_suppressed": disclosure.cells_suppressed + disclosure.cells_secondary_suppressed,
        "epsilon": manifest.differential_privacy.epsilon_spent,
        "retention_days": manifest.retention.days,
        "expires_at": manifest.retention.expires_at.isoformat(),
    }


def scan(pack: Path) -> Summary:
    """Scan the exact pack bytes (closed schema, PII, secrets) and check them against the manifest's SHA-256.

    Raises:
        PrivacyViolation: any finding; the pack must not leave.
    """
    from synthcore.privacy import require_clean, scan_pack_file
    from synthcore.spec.io import sha256_hex

    require_clean(scan_pack_file(pack))
    digest = sha256_hex(Path(pack).read_bytes())
    summary = pack_summary(pack)
    return {
        "pack": str(pack),
        "verdict": "clean",
        "pack_sha256": digest,
        **summary,
        "approval_body": _body(digest, summary),
    }


def _body(digest: str, summary: Mapping[str, Any]) -> str:
    """The Markdown a privacy officer reads before approving a pack."""
    entities = ", ".join(f"{name} {count:,}" for name, count in summary["entities"].items() if count is not None)
    epsilon = summary["epsilon"]
    return "\n".join(
        [
            "**PII scan: clean** (closed schema; no PII, identifiers, tokens or secrets found).",
            "",
            f"- Pack SHA-256: `{digest}` (the upload re-checks these exact bytes)",
            f"- Window: {summary['window_start']} to {summary['window_end']} ({summary['window_days']} days)",
            f"- Entities: {entities}",
            f"- Cells: {summary['cells_published']} published, {summary['cells_suppressed']} suppressed "
            f"(k = {summary['k']} distinct users per cell, counts rounded to {summary['rounding']})",
            f"- Differential privacy: {'ε = ' + str(epsilon) if epsilon is not None else 'off'}",
            f"- Retention: {summary['retention_days']} days (expires {summary['expires_at'][:10]})",
        ]
    )


def upload(s3_client: Any, pack: Path, bucket: str, prefix: str, kms_key_id: str, approved_sha256: str) -> Summary:
    """Upload an approved pack and its manifest to S3 with SSE-KMS and retention tags, after re-checking the bytes.

    ``s3_client`` is a boto3 S3 client (in Airflow: the amazon provider's ``S3Hook(...).get_conn()``).

    Raises:
        PrivacyViolation: the pack is not the one approved (SHA-256 differs), fails the scan, or S3 did not
            store it encrypted with ``kms_key_id``.
        InputError: no KMS key id or bucket.
    """
    from urllib.parse import urlencode

    from synthcore.errors import InputError, PrivacyViolation
    from synthcore.privacy import require_clean, scan_pack_bytes
    from synthcore.spec.io import sha256_hex
    from synthcore.spec.manifest import manifest_path_for

    if not kms_key_id or not bucket:
        raise InputError("upload needs a bucket and a KMS key id (SSE-KMS is mandatory)")
    data = Path(pack).read_bytes()
    digest = sha256_hex(data)
    if digest != approved_sha256:
        raise PrivacyViolation(f"{pack}: SHA-256 {digest} is not the approved {approved_sha256}; nothing uploaded")
    require_clean(scan_pack_bytes(data, str(pack)))
    summary = pack_summary(pack)
    tags = urlencode({"retention-days": summary["retention_days"], "expires-at": summary["expires_at"][:10]})
    keys = {}
    manifest = manifest_path_for(Path(pack))
    for path, body in ((Path(pack), data), (manifest, manifest.read_bytes())):
        key = f"{prefix.strip('/')}/{path.name}".lstrip("/")
        s3_client.put_object(
            Bucket=bucket,
            Key=key,
            Body=body,
            ContentType="application/json",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=kms_key_id,
            Tagging=tags,
        )
        head = s3_client.head_object(Bucket=bucket, Key=key)
        if head.get("ServerSideEncryption") != "aws:kms" or kms_key_id not in str(head.get("SSEKMSKeyId", "")):
            raise PrivacyViolation(f"s3://{bucket}/{key} was not stored with SSE-KMS key {kms_key_id}")
        keys[path.name] = f"s3://{bucket}/{key}"
    return {"pack_uri": keys[Path(pack).name], "manifest_uri": keys[manifest.name], "pack_sha256": approved_sha256}


def calibrate(pack: Path, out: Path, base: Path = DEFAULT_SPEC) -> Summary:
    """Fit the distribution spec to a metrics pack; write the spec and its fit report beside it."""
    from synthcore.calibrate import calibrate_files
    from synthcore.calibrate.calibrate import fit_report_path

    report = calibrate_files(pack, out, base)
    counts = report.production_counts
    return {
        "spec": str(out),
        "fit_report": str(fit_report_path(out)),
        "parameters": len(report.parameters),
        "kept_from_base": len(report.kept_from_base),
        "production_counts": counts.model_dump(mode="json") if counts is not None else None,
    }


def resolve_run(band: str, seed: str, run_id: str) -> Summary:
    """Band, seed and schema of an orchestrated run; an empty seed is derived from the run id (and recorded).

    Raises:
        UnknownBand: ``band`` is not a preset.
    """
    import hashlib

    from synthcore.names import default_schema_name
    from synthcore.spec.bands import parse_band

    parsed = parse_band(band)
    derived = not seed.strip()
    if derived:
        seed = "run-" + hashlib.sha256(run_id.encode()).hexdigest()[:12]
    return {"band": str(parsed), "seed": seed, "seed_derived": derived, "schema": default_schema_name(parsed, seed)}


def builtin_spec(out: Path) -> Summary:
    """Use the built-in distribution spec (no approved pack yet): copy it to ``out``."""
    from synthcore.artifacts import write_bytes_atomic

    write_bytes_atomic(out, DEFAULT_SPEC.read_bytes())
    return {"spec": str(out), "calibrated": False, "source": "built-in specs/distribution-spec.json"}


def plan_chunks(
    band: str, seed: str, spec: Path = DEFAULT_SPEC, chunks: int | None = None, min_chunks: int = 1
) -> list[Summary]:
    """The chunks a dataset is generated and loaded in: one small dict per chunk, for dynamic task mapping.

    ``chunks`` None: about 1.25M messages per chunk, at least ``min_chunks`` (and at most one per block).

    Raises:
        SpecError: the spec is invalid.
        InputError: a bad band, seed or chunk count.
    """
    from synthcore.generate.plan import build_plan
    from synthcore.spec.bands import parse_band, resolve_counts
    from synthcore.spec.distribution import DistributionSpec
    from synthcore.spec.io import load_model

    plan = build_plan(load_model(DistributionSpec, spec), resolve_counts(parse_band(band)), seed)
    total = chunks or min(max(plan.default_chunks(), min_chunks), plan.conversation_blocks)
    plan.chunk_blocks(0, total)  # validates the chunk count
    return [{"chunk": c, "chunks": total, "label": f"{band}/{seed} chunk {c + 1} of {total}"} for c in range(total)]


def generate(
    out: Path,
    band: str,
    seed: str,
    spec: Path = DEFAULT_SPEC,
    *,
    chunk: int | None = None,
    chunks: int | None = None,
    workers: int | None = None,
) -> Summary:
    """Generate the whole dataset, or one chunk of it, as Parquet under ``out``."""
    from synthcore.generate import generate_dataset
    from synthcore.spec.bands import parse_band
    from synthcore.spec.distribution import DistributionSpec
    from synthcore.spec.io import load_model

    report = generate_dataset(
        out,
        band=parse_band(band),
        seed=seed,
        spec=load_model(DistributionSpec, spec),
        chunks=chunks,
        only_chunk=chunk,
        workers=workers,
    )
    rows = {name: table.rows for name, table in report.tables.items()}
    return {"data": str(out), "chunk": chunk, "rows": rows, "seconds": report.seconds}


def load(
    conninfo: str,
    data: Path,
    schema: str | None,
    runs_dir: Path,
    *,
    chunk: int | None = None,
    finalize: bool = False,
    parallel: int = 2,
) -> Summary:
    """Load generated chunks exactly once with binary COPY (all, one chunk, or only keys and foreign keys).

    Raises:
        LoadError: a chunk failed (TransientLoadError when a retry can help).
        ProductionTargetRefused: the environment guard refused the target.
    """
    from synthcore.load import load_dataset

    receipt = load_dataset(
        conninfo, data, schema=schema, parallel=parallel, chunk=chunk, finalize_only=finalize, runs_dir=runs_dir
    )
    rows = {name: table.rows for name, table in receipt.tables.items()}
    seconds = max(receipt.seconds, 1e-9)
    return {
        "schema": receipt.schema_name,
        "chunk": chunk,
        "rows": rows,
        "rows_per_second": round(sum(rows.values()) / seconds),
        "chunks_skipped": sorted({c for t in receipt.tables.values() for c in t.chunks_skipped}),
        "finalized": receipt.finalized,
        "seconds": receipt.seconds,
    }


def generate_and_load(
    conninfo: str, data: Path, band: str, seed: str, spec: Path, schema: str, runs_dir: Path
) -> Summary:
    """On one machine: load chunk i while chunk i+1 is generated, then add keys and foreign keys.

    Raises:
        LoadError: a chunk failed to load (TransientLoadError when a retry can help).
    """
    from synthcore.load.overlap import generate_and_load as overlapped
    from synthcore.spec.bands import parse_band
    from synthcore.spec.distribution import DistributionSpec
    from synthcore.spec.io import load_model

    receipt = overlapped(
        conninfo,
        data,
        band=parse_band(band),
        seed=seed,
        spec=load_model(DistributionSpec, spec),
        schema=schema,
        runs_dir=runs_dir,
    )
    return {
        "schema": receipt.schema_name,
        "data": str(data),
        "finalized": receipt.finalized,
        "seconds": receipt.seconds,
    }


def finalize_dataset(conninfo: str, data: Path, schema: str, runs_dir: Path) -> Summary:
    """After every chunk is generated and loaded: write the generation report, then add keys and foreign keys.

    Raises:
        InputError: chunk reports are missing (not every chunk was generated).
    """
    from synthcore.errors import InputError
    from synthcore.generate.generator import finalize_report
    from synthcore.load.preflight import read_chunk_reports

    chunks = next(iter(read_chunk_reports(data).values())).chunks
    report = finalize_report(data, chunks)
    if report is None:
        raise InputError(f"{data}: not every one of the {chunks} chunks has a chunk report; generate them first")
    return {
        **load(conninfo, data, schema, runs_dir, finalize=True),
        "generation_report": str(data / "generation-report.json"),
    }


def verify(
    conninfo: str, schema: str, report_dir: Path, generation_report: Path | None = None, *, full: bool = False
) -> Summary:
    """Run the integrity checks (``full``: every one in SQL); write ``report_dir/integrity-report.json``.

    Raises:
        IntegrityCheckFailed: any check failed (never retryable).
    """
    from synthcore.artifacts import write_json_atomic
    from synthcore.verify import check_integrity, raise_on_failure

    result = check_integrity(conninfo, schema, generation_report, full=full)
    path = write_json_atomic(report_dir / INTEGRITY_REPORT, result)
    raise_on_failure(result)
    return {"schema": schema, "report": str(path), "checks": len(result.checks), "failed": 0}


def warm(conninfo: str, schema: str, report_dir: Path) -> Summary:
    """VACUUM (ANALYZE) and pg_prewarm the run schema; write ``report_dir/warm-report.json``."""
    from synthcore.artifacts import write_json_atomic
    from synthcore.load.warm import warm_schema

    report = warm_schema(conninfo, schema)
    path = write_json_atomic(report_dir / WARM_REPORT, report)
    prewarmed = sum(r.prewarmed_blocks for r in report.relations)
    return {
        "schema": schema,
        "report": str(path),
        "prewarmed_blocks": prewarmed,
        "seconds": round(report.vacuum_seconds + report.prewarm_seconds, 3),
    }


def apply_indexes(conninfo: str, schema: str, index_file: Path = PHASE_2_INDEXES) -> Summary:
    """Apply an index set (e.g. specs/indexes/phase-2.sql) to the run schema."""
    from synthcore.baseline.indexes import apply_index_file

    return {
        "schema": schema,
        "indexes": str(index_file),
        "seconds": round(apply_index_file(conninfo, schema, index_file), 3),
    }


def baseline(
    conninfo: str,
    schema: str,
    out: Path,
    *,
    runs: int = BASELINE_RUNS,
    warmup: int = BASELINE_WARMUP,
    timeout_ms: int = BASELINE_TIMEOUT_MS,
) -> Summary:
    """Capture EXPLAIN (ANALYZE, BUFFERS) baselines of the query catalog into ``out``."""
    from synthcore.artifacts import write_json_atomic
    from synthcore.baseline import capture_baseline

    report = capture_baseline(conninfo, schema, runs=runs, warmup=warmup, timeout_ms=timeout_ms)
    write_json_atomic(out, report)
    return {
        "schema": schema,
        "report": str(out),
        "queries": len(report.results),
        "timed_out": sum(r.timed_out for r in report.results),
    }


def compare(pre: Path, post: Path, out: Path) -> Summary:
    """Compare two baselines; write the comparison as JSON and Markdown.

    Raises:
        GateFailed: NO-GO (a regression); the report names the queries.
    """
    from synthcore.artifacts import write_bytes_atomic, write_json_atomic
    from synthcore.baseline import compare_baselines, comparison_markdown
    from synthcore.errors import GateFailed
    from synthcore.spec.database import BaselineReport
    from synthcore.spec.io import load_model

    result = compare_baselines(load_model(BaselineReport, pre), load_model(BaselineReport, post))
    write_json_atomic(out, result)
    write_bytes_atomic(out.with_suffix(".md"), comparison_markdown(result).encode())
    if not result.go:
        raise GateFailed("baseline", result.reasons, str(out))
    return {"report": str(out), "verdict": "GO", "average_improvement": round(result.average_improvement, 4)}


def fidelity(
    target: Path,
    out: Path,
    *,
    data: Path | None = None,
    conninfo: str | None = None,
    schema: str | None = None,
    tolerance: Tolerance | None = None,
    overrides: Mapping[str, float] | None = None,
) -> Summary:
    """Judge a dataset (Parquet or a loaded schema) against a pack or spec; write JSON, Markdown and plots.

    Raises:
        GateFailed: NO-GO, naming the failed checks.
    """
    from synthcore.errors import GateFailed
    from synthcore.fidelity import compute_fidelity
    from synthcore.spec.fidelity import Tolerance

    report = compute_fidelity(
        target,
        out,
        data_dir=data,
        dsn=conninfo,
        schema=schema,
        tolerance=tolerance or Tolerance.NORMAL,
        overrides=overrides,
    )
    if report.verdict != "GO":
        raise GateFailed("fidelity", report.reasons, str(out / "fidelity-report.json"))
    passed = sum(c.passed for c in report.checks)
    return {"report": str(out), "verdict": report.verdict, "checks": len(report.checks), "passed": passed}


def teardown(conninfo: str, schema: str, *, missing_ok: bool = False) -> Summary:
    """Drop a run schema, only if synthcore created it; with ``missing_ok``, a schema never created is no error."""
    from synthcore import pg
    from synthcore.load.ownership import schema_exists
    from synthcore.teardown import teardown_schema

    if missing_ok:
        with pg.connect(conninfo, application_name="synthcore-teardown") as conn:
            if not schema_exists(conn, schema):
                return {"schema": schema, "dropped": False}
    teardown_schema(conninfo, schema)
    return {"schema": schema, "dropped": True}


def run_report(out: Path, results: Mapping[str, Any]) -> Summary:
    """Write the stage summaries of a run as ``out`` (JSON) and ``out.md``; return where they are."""
    from synthcore.artifacts import write_bytes_atomic

    write_bytes_atomic(out, (json.dumps(results, indent=2, sort_keys=True, default=str) + "\n").encode())
    lines = ["# synthdata run report", "", "| stage | summary |", "|---|---|"]
    lines += [f"| {name} | `{json.dumps(value, default=str)}` |" for name, value in results.items()]
    write_bytes_atomic(out.with_suffix(".md"), ("\n".join(lines) + "\n").encode())
    return {"report": str(out), "markdown": str(out.with_suffix(".md"))}
