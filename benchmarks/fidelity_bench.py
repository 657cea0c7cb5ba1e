"""Fidelity benchmark: the dev band checked against its spec, over Parquet and over a loaded PostgreSQL schema.

Run: uv run python benchmarks/fidelity_bench.py [--band dev] [--seed bench]
Generates the band (skipped when benchmarks/out/fidelity/data already holds it), loads it into a throwaway
PostgreSQL server, then times compute_fidelity over each source, and DuckDB's staging scan alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from pathlib import Path

from synthcore.fidelity import compute_fidelity
from synthcore.fidelity.observe import stage_dataset
from synthcore.fidelity.source import open_parquet, open_postgres
from synthcore.generate import generate_dataset
from synthcore.load import load_dataset
from synthcore.pgserver import running_server
from synthcore.spec.bands import parse_band
from synthcore.spec.io import DEFAULT_SPEC_PATH
from synthcore.spec.tables import REPORT_NAME

OUT = Path(__file__).resolve().parent / "out" / "fidelity"
SCHEMA = "synth_fidelity_bench"


def timed(label: str, fn, results: list[tuple[str, float]]):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value = fn()
    results.append((label, time.perf_counter() - started))
    print(f"{label}: {results[-1][1]:.2f} s", flush=True)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--band", default="dev")
    parser.add_argument("--seed", default="bench")
    args = parser.parse_args()
    band = parse_band(args.band)
    data = OUT / f"data-{band}-{args.seed}"
    results: list[tuple[str, float]] = []
    if not (data / REPORT_NAME).exists():
        timed("generate", lambda: generate_dataset(data, band=band, seed=args.seed), results)
    rows = json.loads((data / REPORT_NAME).read_text())["tables"]
    with running_server() as server:
        dsn = server.create_database("fidelity_bench")
        timed(
            "load (not fidelity; for context)",
            lambda: load_dataset(dsn, data, schema=SCHEMA, parallel=2, runs_dir=OUT / "runs"),
            results,
        )
        files = timed(
            "fidelity over Parquet",
            lambda: compute_fidelity(DEFAULT_SPEC_PATH, OUT / "report-parquet", data_dir=data),
            results,
        )
        pg = timed(
            "fidelity over PostgreSQL",
            lambda: compute_fidelity(DEFAULT_SPEC_PATH, OUT / "report-postgres", dsn=dsn, schema=SCHEMA),
            results,
        )

        def stage_only() -> None:
            con = open_postgres(dsn, SCHEMA)
            stage_dataset(con)
            con.close()

        timed("  of which DuckDB staging scan of PostgreSQL", stage_only, results)

        def stage_files() -> None:
            con = open_parquet(data)
            stage_dataset(con)
            con.close()

        timed("  of which DuckDB staging scan of Parquet", stage_files, results)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"command: uv run python benchmarks/fidelity_bench.py --band {band} --seed {args.seed}")
    sizes = ", ".join(f"{table} {summary['rows']:,}" for table, summary in rows.items())
    print(f"dataset: {sizes}")
    print(
        f"verdicts: Parquet {files.verdict}, PostgreSQL {pg.verdict}; {len(files.checks)} checks; "
        f"peak RSS {peak:.0f} MiB"
    )
    print("| step | seconds |")
    print("|---|---:|")
    for label, seconds in results:
        print(f"| {label} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
