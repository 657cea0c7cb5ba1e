"""Generate a dataset: every chunk, or one chunk, into DIR/<table>/part-NNNNN.parquet plus reports.

Determinism contract: the same spec, counts and seed give the identical dataset whatever the number of chunks
and whichever chunks run where and in which order. Each chunk writes its files under temporary names and
renames them when complete, then its report ``DIR/_chunks/chunk-NNNNN.json``; once every chunk's report is
present, ``DIR/generation-report.json`` is written with per-table rows and order-independent checksums.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import numpy as np

import synthcore
from synthcore.artifacts import ensure_writable_dir, write_json_atomic
from synthcore.errors import OutputError
from synthcore.generate.block import build_conversation_block
from synthcore.generate.checksum import combine
from synthcore.generate.plan import DatasetPlan, build_plan
from synthcore.generate.tables.users import build_users
from synthcore.generate.timeline import Timeline
from synthcore.generate.writer import ChunkWriter
from synthcore.spec.bands import Band, Counts, resolve_counts
from synthcore.spec.distribution import DistributionSpec
from synthcore.spec.io import DEFAULT_SPEC_PATH, load_model, model_sha256, parse_model
from synthcore.spec.reports import ChunkReport, GenerationReport, TableSummary
from synthcore.spec.tables import REPORT_NAME, TABLE_SCHEMAS

log = logging.getLogger(__name__)
ProgressCallback = Callable[[int, int], None]
CHUNK_REPORTS = "_chunks"
SPEC_COPY = "distribution-spec.json"


def _chunk_report_path(out_dir: Path, chunk: int) -> Path:
    return out_dir / CHUNK_REPORTS / f"chunk-{chunk:05d}.json"


def generate_chunk(
    plan: DatasetPlan,
    chunk: int,
    chunks: int,
    out_dir: Path,
    band: str,
    seed: str,
    on_block: ProgressCallback | None = None,
) -> ChunkReport:
    """Write every table's file for ``chunk`` (of ``chunks``) and its chunk report; return the report."""
    started = time.perf_counter()
    conv_blocks, user_blocks = plan.chunk_blocks(chunk, chunks)
    timeline = Timeline.from_spec(plan.spec.time)
    writer = ChunkWriter(out_dir, chunk, TABLE_SCHEMAS)
    total_blocks = len(conv_blocks) + len(user_blocks)
    try:
        for done, block in enumerate(user_blocks, start=1):
            writer.write("users", build_users(plan, block))
            if on_block:
                on_block(done, total_blocks)
        for done, block in enumerate(conv_blocks, start=len(user_blocks) + 1):
            for name, table in build_conversation_block(plan, block, timeline).items():
                writer.write(name, table)
            if on_block:
                on_block(done, total_blocks)
        checksums = writer.commit()
    except BaseException:
        writer.abort()
        raise
    rows = writer.rows
    report = ChunkReport(
        chunk=chunk,
        chunks=chunks,
        spec_sha256=model_sha256(plan.spec),
        band=band,
        seed=seed,
        counts=plan.counts,
        tables={n: TableSummary(rows=rows[n], checksum=f"{checksums[n]:016x}") for n in TABLE_SCHEMAS},
        effective=plan.effective,
        seconds=round(time.perf_counter() - started, 3),
    )
    write_json_atomic(_chunk_report_path(out_dir, chunk), report)
    log.info("chunk %d/%d: %d messages in %.2fs", chunk + 1, chunks, rows["messages"], report.seconds)
    return report


def _check_existing(out_dir: Path, identity: dict[str, object]) -> None:
    """Refuse an output directory that holds a different dataset (other spec, seed, counts or chunking)."""
    found = sorted((out_dir / CHUNK_REPORTS).glob("chunk-*.json"))
    for path in found:
        other = parse_model(ChunkReport, path.read_bytes(), str(path))
        theirs = {k: getattr(other, k) for k in identity}
        if theirs != identity:
            diff = ", ".join(f"{k}={theirs[k]!r}" for k in identity if theirs[k] != identity[k])
            raise OutputError(f"{out_dir} already holds a different dataset ({diff}); use an empty directory")


def finalize_report(out_dir: Path, chunks: int) -> GenerationReport | None:
    """Write DIR/generation-report.json once all ``chunks`` chunk reports exist; None while some are missing."""
    paths = [_chunk_report_path(out_dir, c) for c in range(chunks)]
    if not all(p.exists() for p in paths):
        return None
    parts = [parse_model(ChunkReport, p.read_bytes(), str(p)) for p in paths]
    first = parts[0]
    tables = {
        name: TableSummary(
            rows=sum(p.tables[name].rows for p in parts),
            checksum=f"{combine([int(p.tables[name].checksum, 16) for p in parts]):016x}",
        )
        for name in TABLE_SCHEMAS
    }
    report = GenerationReport(
        spec_sha256=first.spec_sha256,
        band=first.band,
        seed=first.seed,
        counts=first.counts,
        chunks=chunks,
        numpy_version=np.__version__,
        synthcore_version=synthcore.__version__,
        tables=tables,
        effective=first.effective,
        chunk_seconds={p.chunk: p.seconds for p in parts},
        seconds=round(sum(p.seconds for p in parts), 3),
    )
    write_json_atomic(out_dir / REPORT_NAME, report)
    return report


def _run_chunk(spec_json: str, counts: Counts, seed: str, band: str, chunk: int, chunks: int, out_dir: str) -> int:
    """Process-pool entry point: rebuild the plan (cheap) and generate one chunk."""
    spec = parse_model(DistributionSpec, spec_json, "<spec>")
    generate_chunk(build_plan(spec, counts, seed), chunk, chunks, Path(out_dir), band, seed)
    return chunk


def generate_dataset(
    out_dir: Path,
    *,
    band: Band,
    seed: str,
    spec: DistributionSpec | None = None,
    counts: Counts | None = None,
    chunks: int | None = None,
    only_chunk: int | None = None,
    workers: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> GenerationReport | ChunkReport:
    """Generate the dataset (or one chunk of it) into ``out_dir``.

    Args:
        out_dir: output directory (created if missing).
        band: preset sizes; ``counts`` overrides them.
        seed: any non-empty string; the same seed gives the same data.
        spec: distribution spec; the default spec when None.
        counts: explicit entity counts.
        chunks: number of chunks; about 1.25M messages per chunk when None.
        only_chunk: generate just this chunk (its report is returned).
        workers: processes for generating all chunks; defaults to the CPU count.
        on_progress: called with (done, total) blocks (or chunks when running in processes).

    Returns:
        The generation report, or the chunk report when ``only_chunk`` is set.
    """
    spec = spec or load_model(DistributionSpec, DEFAULT_SPEC_PATH)
    counts = counts or resolve_counts(band)
    plan = build_plan(spec, counts, seed)
    chunks = chunks or plan.default_chunks()
    plan.chunk_blocks(only_chunk or 0, chunks)  # validates chunks and only_chunk before any write
    ensure_writable_dir(out_dir)
    identity = {"spec_sha256": model_sha256(spec), "band": str(band), "seed": seed, "counts": counts, "chunks": chunks}
    _check_existing(out_dir, identity)
    write_json_atomic(out_dir / SPEC_COPY, spec)
    if only_chunk is not None:
        chunk_report = generate_chunk(plan, only_chunk, chunks, out_dir, str(band), seed, on_progress)
        finalize_report(out_dir, chunks)
        return chunk_report
    workers = max(1, min(workers or os.cpu_count() or 1, chunks))
    if workers == 1:
        for chunk in range(chunks):
            generate_chunk(plan, chunk, chunks, out_dir, str(band), seed, on_progress)
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = [
                pool.submit(_run_chunk, spec.model_dump_json(), counts, seed, str(band), c, chunks, str(out_dir))
                for c in range(chunks)
            ]
            for done, future in enumerate(as_completed(futures), start=1):
                future.result()
                if on_progress:
                    on_progress(done, chunks)
    report = finalize_report(out_dir, chunks)
    if report is None:
        raise OutputError(f"{out_dir}: chunk reports are missing after generation")
    return report
