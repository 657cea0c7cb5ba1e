"""Generate a dataset: every chunk, or one chunk, into DIR/<table>/part-NNNNN.parquet plus reports.

Determinism contract: the same spec, counts and seed give the identical dataset whatever the number of chunks
and whichever chunks run where and in which order. Each chunk writes its files under temporary names and
renames them when complete, then its report ``DIR/_chunks/chunk-NNNNN.json``; once every chunk's report is
present, ``DIR/generation-report.json`` is written with per-table rows and order-independent checksums.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

import synthcore
from synthcore.artifacts import check_writable_dir, ensure_writable_dir, write_json_atomic
from synthcore.errors import InputError, OutputError, WriteFailed
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
from synthcore.spec.tables import REPORT_NAME, TABLE_SCHEMAS, chunk_file

log = logging.getLogger(__name__)
ProgressCallback = Callable[[int, int], None]
CHUNK_REPORTS = "_chunks"
SPEC_COPY = "distribution-spec.json"
# Memory the counts may ask for, from the dev band (418 MiB peak RSS for a 447,572-message block, imports included):
# the plan holds a few numbers per conversation and per user, a block about a kilobyte per message with its rows
# of every table. Counts are refused when the plan or the busiest block would need more than half of the machine.
PLAN_BYTES_PER_ENTITY = 64
BLOCK_BYTES_PER_MESSAGE = 1024
# Chunks this process generates at once, in threads: the heavy work (numpy, Arrow, Parquet, DuckDB) runs without the
# GIL, so two threads generate the dev band about as fast as two processes, without a second interpreter's start-up
# and imports (~0.6 CPU-seconds). More workers than this are spawned processes, since the Python between native calls
# holds the GIL (~10% of the time) and would serialise many threads.
OWN_THREADS = 2


def chunk_report_path(out_dir: Path, chunk: int) -> Path:
    """Where the report of ``chunk`` goes: ``DIR/_chunks/chunk-NNNNN.json``."""
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
    try:
        write_json_atomic(chunk_report_path(out_dir, chunk), report)
    except BaseException:  # a part file never stands without its chunk report
        for name in TABLE_SCHEMAS:
            chunk_file(out_dir, name, chunk).unlink(missing_ok=True)
        raise
    log.info("chunk %d/%d: %d messages in %.2fs", chunk + 1, chunks, rows["messages"], report.seconds)
    return report


def machine_memory() -> int:
    """Physical memory of this machine in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _gib(size: float) -> str:
    return f"{size / 2**30:,.1f} GiB"


def check_memory(counts: Counts, conversations_per_block: int, message_offsets: np.ndarray | None = None) -> None:
    """Refuse counts whose plan, or whose busiest block of conversations (given the plan's offsets), cannot fit.

    Raises:
        InputError: the estimate exceeds half of the machine's memory; names the counts and both sizes.
    """
    budget = machine_memory() // 2
    plan = PLAN_BYTES_PER_ENTITY * (counts.users + counts.conversations)
    if plan > budget:
        raise InputError(
            f"--users {counts.users} and --conversations {counts.conversations} need about {_gib(plan)} for the"
            f" dataset plan; this machine allows {_gib(budget)} (half its memory)"
        )
    if message_offsets is None:
        return
    starts = np.arange(0, counts.conversations, conversations_per_block)
    ends = np.minimum(starts + conversations_per_block, counts.conversations)
    busiest = int((message_offsets[ends] - message_offsets[starts]).max())
    if busiest * BLOCK_BYTES_PER_MESSAGE > budget:
        raise InputError(
            f"--messages {counts.messages} over --conversations {counts.conversations} put {busiest:,} messages in"
            f" one block of {conversations_per_block} conversations, which needs about"
            f" {_gib(busiest * BLOCK_BYTES_PER_MESSAGE)}; this machine allows {_gib(budget)} (half its memory):"
            " give more conversations or fewer messages"
        )


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
    paths = [chunk_report_path(out_dir, c) for c in range(chunks)]
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
        workers: chunks generated at once when generating all; defaults to the CPU count (see OWN_THREADS).
        on_progress: called with (done, total) blocks (or chunks when several workers run).

    Returns:
        The generation report, or the chunk report when ``only_chunk`` is set.

    Raises:
        InputError: bad counts, chunking, workers or seed, or counts this machine cannot hold; nothing is written.
        OutputError: ``out_dir`` cannot be written or holds another dataset.
        WriteFailed: writing failed part way (e.g. the disk filled up); no partial file is left, finished chunks are
            kept and a rerun completes the rest.
    """
    spec = spec or load_model(DistributionSpec, DEFAULT_SPEC_PATH)
    counts = counts or resolve_counts(band)
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be at least 1 (got {workers})")
    check_memory(counts, spec.blocks.conversations_per_block)
    plan = build_plan(spec, counts, seed)
    check_memory(counts, spec.blocks.conversations_per_block, plan.message_offsets)
    chunks = chunks or plan.default_chunks()
    plan.chunk_blocks(only_chunk or 0, chunks)  # validates chunks and only_chunk before any write
    check_writable_dir(out_dir)
    try:
        return _generate(out_dir, plan, str(band), seed, chunks, only_chunk, workers, on_progress)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise WriteFailed(
            f"writing the dataset to {str(out_dir)!r} failed: {reason}; no partial file is left (finished chunks are"
            " kept, a rerun completes the rest)"
        ) from exc


def _generate(
    out_dir: Path,
    plan: DatasetPlan,
    band: str,
    seed: str,
    chunks: int,
    only_chunk: int | None,
    workers: int | None,
    on_progress: ProgressCallback | None,
) -> GenerationReport | ChunkReport:
    """Write the chunks (all, or ``only_chunk``) and the reports; see ``generate_dataset``."""
    spec, counts = plan.spec, plan.counts
    ensure_writable_dir(out_dir)
    identity = {"spec_sha256": model_sha256(spec), "band": band, "seed": seed, "counts": counts, "chunks": chunks}
    _check_existing(out_dir, identity)
    write_json_atomic(out_dir / SPEC_COPY, spec)
    if only_chunk is not None:
        chunk_report = generate_chunk(plan, only_chunk, chunks, out_dir, band, seed, on_progress)
        finalize_report(out_dir, chunks)
        return chunk_report
    workers = max(1, min(workers or os.cpu_count() or 1, chunks))
    if workers == 1:
        for chunk in range(chunks):
            generate_chunk(plan, chunk, chunks, out_dir, band, seed, on_progress)
    else:
        _generate_in_parallel(plan, out_dir, band, seed, chunks, workers, on_progress)
    report = finalize_report(out_dir, chunks)
    if report is None:
        raise OutputError(f"{out_dir}: chunk reports are missing after generation")
    return report


def _generate_in_parallel(
    plan: DatasetPlan,
    out_dir: Path,
    band: str,
    seed: str,
    chunks: int,
    workers: int,
    on_progress: ProgressCallback | None,
) -> None:
    """Write every chunk, ``workers`` at a time: up to OWN_THREADS in threads of this process, the rest in spawned ones.

    Each worker gets one chunk at a time, threads from the end and processes from the start, so that whichever
    finishes first takes the next one. The first failure stops handing out chunks and is raised.
    """
    threads = min(workers, OWN_THREADS)
    pending = deque(range(chunks))
    with contextlib.ExitStack() as stack:
        own = stack.enter_context(ThreadPoolExecutor(threads))
        pool, spec_json = None, ""
        if workers > threads:
            pool = stack.enter_context(ProcessPoolExecutor(workers - threads, mp_context=get_context("spawn")))
            spec_json = plan.spec.model_dump_json()
        mine: set[Future[Any]] = set()
        theirs: set[Future[Any]] = set()
        done = 0
        while pending or mine or theirs:
            while pending and len(mine) < threads:
                mine.add(own.submit(generate_chunk, plan, pending.pop(), chunks, out_dir, band, seed))
            while pool and pending and len(theirs) < workers - threads:
                args = (spec_json, plan.counts, seed, band, pending.popleft(), chunks, str(out_dir))
                theirs.add(pool.submit(_run_chunk, *args))
            finished, _ = wait(mine | theirs, return_when=FIRST_COMPLETED)
            mine -= finished
            theirs -= finished
            for future in finished:
                future.result()
                done += 1
                if on_progress:
                    on_progress(done, chunks)
