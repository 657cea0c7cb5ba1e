"""Dataset preflight: prove a generated dataset is whole and from one generation before anything is written.

Reads only the chunk reports and the Parquet footers (milliseconds per file, whatever the size): each chunk report
is valid, named after its chunk and from the same generation as the others (band, seed, spec hash, counts,
chunking); every Parquet file of the chunks to load has a readable footer, exactly the table's Arrow schema and the
row count its chunk report states; a full load needs every chunk and no stray part files. Every problem found is
listed at once.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from synthcore.errors import ChunkOutOfRange, InputError, SpecError
from synthcore.generate.generator import CHUNK_REPORTS, chunk_report_path
from synthcore.spec.io import load_model
from synthcore.spec.reports import ChunkReport
from synthcore.spec.tables import TABLE_SCHEMAS, chunk_file

_PART = re.compile(r"part-(\d+)\.parquet")


def dataset_identity(report: ChunkReport) -> dict[str, Any]:
    """What makes chunks one dataset: band, seed, spec hash, counts and chunking (JSON-ready)."""
    return {
        "band": report.band,
        "seed": report.seed,
        "spec_sha256": report.spec_sha256,
        "counts": report.counts.model_dump(),
        "chunks": report.chunks,
    }


def read_chunk_reports(data_dir: Path) -> dict[int, ChunkReport]:
    """The generator's chunk reports under ``data_dir/_chunks``, by chunk; all must describe one generation.

    Raises:
        InputError: the directory or its chunk reports are missing.
        SpecError: a report is invalid, misnamed, or from another generation than the others.
    """
    if not data_dir.is_dir():
        raise InputError(f"dataset directory {str(data_dir)!r} does not exist; generate the dataset first")
    paths = sorted((data_dir / CHUNK_REPORTS).glob("chunk-*.json"))
    if not paths:
        raise InputError(f"{data_dir}: no chunk reports in {CHUNK_REPORTS}/; generate the dataset first")
    reports = [load_model(ChunkReport, p) for p in paths]
    problems = [
        f"{p.relative_to(data_dir)}: holds the report of chunk {r.chunk} of {r.chunks}"
        for p, r in zip(paths, reports, strict=True)
        if p != chunk_report_path(data_dir, r.chunk) or r.chunk >= r.chunks
    ]
    first = dataset_identity(reports[0])
    for report in reports[1:]:
        theirs = dataset_identity(report)
        differ = [f"{k} {first[k]!r} vs {theirs[k]!r}" for k in first if theirs[k] != first[k]]
        if differ:
            problems.append(
                f"chunk reports {reports[0].chunk} and {report.chunk} are from different generations: "
                + "; ".join(differ)
            )
    if problems:
        raise SpecError(str(data_dir), problems)
    return {r.chunk: r for r in reports}


def _field(field: pa.Field) -> str:
    return f"'{field.name} {field.type}{'' if field.nullable else ' not null'}'"


def _schema_difference(found: pa.Schema, expected: pa.Schema) -> str | None:
    """How ``found`` differs from ``expected`` (columns missing, unexpected or of another type), or None."""
    if found.equals(expected, check_metadata=False):
        return None
    missing = [f.name for f in expected if f.name not in found.names]
    extra = [f.name for f in found if f.name not in expected.names]
    changed = [
        f"column {_field(found.field(f.name))} instead of {_field(f)}"
        for f in expected
        if f.name in found.names and found.field(f.name) != f
    ]
    parts = [f"missing columns {missing}" if missing else "", f"unexpected columns {extra}" if extra else "", *changed]
    return "; ".join(p for p in parts if p) or "columns are in another order than the table's"


def chunk_file_problems(data_dir: Path, report: ChunkReport) -> list[str]:
    """Problems of one chunk's Parquet files: footer unreadable, schema or row count not the report's."""
    problems = []
    for table, expected in TABLE_SCHEMAS.items():
        path = chunk_file(data_dir, table, report.chunk)
        name = path.relative_to(data_dir)
        try:
            with pq.ParquetFile(path) as parquet:
                schema, rows = parquet.schema_arrow, parquet.metadata.num_rows
        except FileNotFoundError:
            problems.append(f"{name}: missing")
            continue
        except (OSError, pa.ArrowException) as exc:
            problems.append(f"{name}: not a readable Parquet file ({exc})")
            continue
        difference = _schema_difference(schema, expected)
        if difference:
            problems.append(f"{name}: schema differs from table {table}: {difference}")
        if rows != report.tables[table].rows:
            problems.append(f"{name}: {rows} rows but chunk report {report.chunk} says {report.tables[table].rows}")
    return problems


def _stray_parts(data_dir: Path, chunks: int) -> list[str]:
    """Part files of a chunk index the dataset does not have (left over from another chunking)."""
    strays = []
    for table in TABLE_SCHEMAS:
        for path in sorted((data_dir / table).glob("part-*.parquet")):
            match = _PART.fullmatch(path.name)
            if match is None or int(match[1]) >= chunks:
                strays.append(f"{path.relative_to(data_dir)}: not part of a dataset of {chunks} chunks")
    return strays


def preflight_dataset(data_dir: Path, *, chunk: int | None = None, footers: bool = True) -> dict[int, ChunkReport]:
    """Check a generated dataset before loading it; return its chunk reports by chunk.

    Args:
        data_dir: the generator's output directory.
        chunk: check only this chunk (a mapped load); every chunk, none missing and no strays, when None.
        footers: check the Parquet footers; False checks the chunk reports only (finalize copies nothing).

    Raises:
        InputError: the dataset is missing, or ``chunk`` has not been generated.
        ChunkOutOfRange: ``chunk`` is not a chunk of the dataset.
        SpecError: damaged or mixed: every problem found is listed.
    """
    reports = read_chunk_reports(data_dir)
    chunks = next(iter(reports.values())).chunks
    if chunk is not None and not 0 <= chunk < chunks:
        raise ChunkOutOfRange(chunk, chunks)
    if not footers:
        return reports
    wanted = [chunk] if chunk is not None else list(range(chunks))
    absent = [c for c in wanted if c not in reports]
    if absent:
        raise InputError(f"{data_dir}: chunk(s) {absent} of {chunks} have not been generated (no chunk report)")
    problems = [p for c in wanted for p in chunk_file_problems(data_dir, reports[c])]
    if chunk is None:
        problems += _stray_parts(data_dir, chunks)
    if problems:
        raise SpecError(str(data_dir), problems)
    return reports
