"""Generate and load at the same time: chunk i loads while chunk i+1 is generated in another process.

On one machine this hides generation behind the load (or the other way round), and with ``delete_loaded`` a chunk's
Parquet files are removed once its load has committed, so disk holds the database plus about two chunks. Each chunk
goes through the same exactly-once chunk load as ``synthcore load --chunk I``, then one finalize adds the keys; a
rerun after a failure regenerates nothing that is complete and skips every chunk the ledger holds.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from synthcore.generate import generate_dataset
from synthcore.generate.plan import build_plan
from synthcore.load.loader import load_dataset
from synthcore.spec.bands import Band, Counts, resolve_counts
from synthcore.spec.database import LoadReceipt
from synthcore.spec.distribution import DistributionSpec
from synthcore.spec.io import DEFAULT_SPEC_PATH, load_model
from synthcore.spec.tables import TABLES, chunk_file

log = logging.getLogger(__name__)


def _generate_chunk(
    out_dir: Path, band: Band, seed: str, spec: DistributionSpec, counts: Counts, chunks: int, chunk: int
) -> int:
    """Process entry point: generate one chunk (its report is written beside the data)."""
    generate_dataset(out_dir, band=band, seed=seed, spec=spec, counts=counts, chunks=chunks, only_chunk=chunk)
    return chunk


def generate_and_load(
    conninfo: str,
    out_dir: Path,
    *,
    band: Band,
    seed: str,
    spec: DistributionSpec | None = None,
    counts: Counts | None = None,
    chunks: int | None = None,
    schema: str | None = None,
    parallel: int = 2,
    delete_loaded: bool = False,
    runs_dir: Path = Path("runs"),
) -> LoadReceipt:
    """Generate the dataset chunk by chunk into ``out_dir`` while loading the previous chunk, then finalize.

    Args:
        conninfo: target database.
        out_dir: the generator's output directory (chunk reports and the generation report stay there).
        band: preset sizes, as for ``generate_dataset``.
        seed: the dataset seed.
        spec: distribution spec; the default spec when None.
        counts: explicit entity counts; the band's when None.
        chunks: number of chunks; the generator's default when None.
        schema: run schema; ``synth_<band>_<seed>`` when None.
        parallel: COPY connections per chunk.
        runs_dir: where run records go.
        delete_loaded: remove a chunk's Parquet files once its load has committed.

    Returns:
        The finalize receipt (keys and foreign keys added).

    Raises:
        SynthError: generation or load failed (the first failure; chunks committed so far stay committed).
    """
    spec = spec or load_model(DistributionSpec, DEFAULT_SPEC_PATH)
    counts = counts or resolve_counts(band)
    chunks = chunks or build_plan(spec, counts, seed).default_chunks()
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:

        def submit(chunk: int) -> Future[int]:
            return pool.submit(_generate_chunk, out_dir, band, seed, spec, counts, chunks, chunk)

        pending = submit(0)
        for chunk in range(chunks):
            pending.result()
            if chunk + 1 < chunks:
                pending = submit(chunk + 1)  # generated while this chunk loads
            load_dataset(conninfo, out_dir, schema=schema, parallel=parallel, chunk=chunk, runs_dir=runs_dir)
            if delete_loaded:
                for table in TABLES:
                    chunk_file(out_dir, table, chunk).unlink(missing_ok=True)
            log.info("chunk %d of %d loaded", chunk + 1, chunks)
    return load_dataset(conninfo, out_dir, schema=schema, parallel=parallel, finalize_only=True, runs_dir=runs_dir)
