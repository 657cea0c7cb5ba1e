"""Load benchmark: synthcore load vs psql \\copy of the same rows, side by side, then pre/post phase-2 baselines.

Run: uv run python benchmarks/load_bench.py [--data benchmarks/out/dev-bench] [--rounds 2] [--baseline-runs 11]

One throwaway PostgreSQL 15 server (synthcore.pgserver settings). The dataset (dev band, seed "bench", generated if
missing) is loaded once into a scratch schema and exported with psql \\copy to CSV and binary files (untimed). Each
round then loads the same rows into fresh empty schemas created from specs/schema.sql, in turn with: psql \\copy CSV,
psql \\copy binary (one table after another, as an operator would), synthcore load --parallel 1 and --parallel 2;
odd rounds run the methods in reverse order, so drift in machine load does not favour one method.
"Data" is schema creation + COPY; "whole" adds the keys and foreign keys (the same SQL for every method). After the
rounds the last synthcore schema is verified, warmed and measured before and after specs/indexes/phase-2.sql.
Results are printed and appended to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from synthcore.baseline import capture_baseline, compare_baselines, comparison_markdown
from synthcore.baseline.indexes import apply_index_file
from synthcore.generate import generate_dataset
from synthcore.load import load_dataset
from synthcore.load.schema import add_keys, schema_sections, use_schema
from synthcore.load.warm import warm_schema
from synthcore.pgserver import running_server
from synthcore.spec.bands import Band
from synthcore.spec.io import SPECS_DIR
from synthcore.spec.tables import REPORT_NAME, TABLE_SCHEMAS, TABLES
from synthcore.teardown import teardown_schema
from synthcore.verify import check_integrity

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"


def _psql(server_bindir: Path, dsn: str, command: str) -> None:
    psql = shutil.which("psql") or str(server_bindir / "psql")
    subprocess.run([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", command], check=True)


def _columns(table: str) -> str:
    return ", ".join(f'"{c}"' for c in TABLE_SCHEMAS[table].names)


def _create_tables(dsn: str, schema: str) -> None:
    with psycopg.connect(dsn) as conn, conn.transaction():
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        use_schema(conn, schema)
        for statement in schema_sections().tables:
            conn.execute(statement)


def _add_keys(dsn: str, schema: str) -> float:
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn, conn.transaction():
        add_keys(conn, schema)
    return time.perf_counter() - started


def _drop(dsn: str, schema: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        conn.execute("CHECKPOINT")


def _heap_bytes(dsn: str, schema: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {
            t: conn.execute("SELECT pg_relation_size(%s::regclass)", [f'"{schema}"."{t}"']).fetchone()[0]
            for t in TABLES
        }


def _export(bindir: Path, dsn: str, data: Path, export_dir: Path) -> None:
    """Load once (untimed) and write each table as CSV and as PostgreSQL binary COPY files."""
    export_dir.mkdir(parents=True, exist_ok=True)
    if all((export_dir / f"{t}.bin").exists() for t in TABLES):
        return
    load_dataset(dsn, data, schema="export_src", parallel=2, runs_dir=export_dir / "runs")
    for table in TABLES:
        for fmt, ext in (("csv", "csv"), ("binary", "bin")):
            target = export_dir / f"{table}.{ext}"
            _psql(bindir, dsn, f"\\copy export_src.{table} ({_columns(table)}) TO '{target}' (FORMAT {fmt})")
    teardown_schema(dsn, "export_src")


def _psql_round(bindir: Path, dsn: str, export_dir: Path, fmt: str, schema: str) -> dict[str, object]:
    started = time.perf_counter()
    _create_tables(dsn, schema)
    per_table = {}
    ext = "csv" if fmt == "csv" else "bin"
    for table in TABLES:
        tick = time.perf_counter()
        source = export_dir / f"{table}.{ext}"
        _psql(bindir, dsn, f"\\copy {schema}.{table} ({_columns(table)}) FROM '{source}' (FORMAT {fmt})")
        per_table[table] = time.perf_counter() - tick
    data = time.perf_counter() - started
    heap = _heap_bytes(dsn, schema)
    keys = _add_keys(dsn, schema)
    return {"data_s": data, "whole_s": data + keys, "keys_s": keys, "tables_s": per_table, "heap": heap}


def _synthcore_round(dsn: str, data_dir: Path, parallel: int, schema: str, runs: Path) -> dict[str, object]:
    receipt = load_dataset(dsn, data_dir, schema=schema, parallel=parallel, runs_dir=runs)
    data = receipt.seconds - receipt.finalize_seconds
    return {
        "data_s": data,
        "whole_s": receipt.seconds,
        "keys_s": receipt.finalize_seconds,
        "tables_s": {t: v.seconds for t, v in receipt.tables.items()},
        "copy_bytes": {t: v.bytes for t, v in receipt.tables.items()},
        "heap": _heap_bytes(dsn, schema),
    }


def _ensure_data(data: Path, seed: str) -> dict[str, int]:
    if not (data / REPORT_NAME).exists():
        generate_dataset(data, band=Band.DEV, seed=seed)
    report = json.loads((data / REPORT_NAME).read_text())
    return {t: report["tables"][t]["rows"] for t in TABLES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=HERE / "out" / "dev-bench")
    parser.add_argument("--seed", default="bench")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--baseline-runs", type=int, default=31, help="at most this many runs per query (adaptive)")
    parser.add_argument("--methods", default="psql_csv,psql_binary,synthcore_p1,synthcore_p2")
    parser.add_argument("--results", type=Path, default=RESULTS, help="Markdown file the section is appended to.")
    args = parser.parse_args()
    rows = _ensure_data(args.data, args.seed)
    load_before = os.getloadavg()[1]
    out = HERE / "out" / "load"
    methods = args.methods.split(",")
    results: dict[str, list[dict[str, object]]] = {m: [] for m in methods}
    with running_server() as server:
        dsn = server.create_database("bench")
        _export(server.bindir, dsn, args.data, out / "export")
        last = ""
        for r in range(args.rounds):
            for method in methods if r % 2 == 0 else methods[::-1]:  # alternate the order against drift
                schema = f"{method}_r{r}"
                if method.startswith("psql"):
                    fmt = method.removeprefix("psql_")
                    results[method].append(_psql_round(server.bindir, dsn, out / "export", fmt, schema))
                    _drop(dsn, schema)
                else:
                    results[method].append(_synthcore_round(dsn, args.data, int(method[-1]), schema, out / "runs"))
                    if last:
                        teardown_schema(dsn, last)
                    last = schema
                print(
                    method,
                    r,
                    {k: round(float(results[method][-1][k]), 2) for k in ("data_s", "keys_s", "whole_s")},
                    flush=True,
                )
        integrity = check_integrity(dsn, last, args.data / REPORT_NAME)
        warm = warm_schema(dsn, last)
        pre = capture_baseline(dsn, last, runs=args.baseline_runs)
        index_s = apply_index_file(dsn, last, SPECS_DIR / "indexes" / "phase-2.sql")
        warm_schema(dsn, last)
        post = capture_baseline(dsn, last, runs=args.baseline_runs)
        version = pre.server_version
    comparison = compare_baselines(pre, post)
    (out / "baseline-pre.json").write_text(pre.model_dump_json(indent=2))
    (out / "baseline-post.json").write_text(post.model_dump_json(indent=2))
    (out / "baseline-comparison.json").write_text(comparison.model_dump_json(indent=2))
    args.load_avg = (load_before, os.getloadavg()[1])
    section = _render(
        args,
        rows,
        results,
        integrity.passed,
        integrity.seconds,
        warm.vacuum_seconds,
        warm.prewarm_seconds,
        index_s,
        version,
        comparison_markdown(comparison),
    )
    print(section)
    with args.results.open("a") as f:
        f.write(section)


def _median(runs: list[dict[str, object]], key: str) -> float:
    return statistics.median(float(r[key]) for r in runs)  # type: ignore[arg-type]


def _render(
    args: argparse.Namespace,
    rows: dict[str, int],
    results: dict[str, list[dict[str, object]]],
    verified: bool,
    verify_s: float,
    vacuum_s: float,
    prewarm_s: float,
    index_s: float,
    version: str,
    baseline_md: str,
) -> str:
    total_rows = sum(rows.values())
    heap = results["synthcore_p2"][-1]["heap"]
    heap_mb = sum(heap.values()) / 1e6  # type: ignore[union-attr]
    psqls = [m for m in results if m.startswith("psql")]
    best_psql = min(psqls, key=lambda m: _median(results[m], "data_s"))
    best_whole = min(_median(results[m], "whole_s") for m in psqls)
    lines = [
        f"\n## Load: synthcore load vs psql \\copy, dev band ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)\n",
        f"Command: `uv run python benchmarks/load_bench.py --rounds {args.rounds} --baseline-runs "
        f"{args.baseline_runs} --methods {args.methods}` (data: `{args.data.relative_to(HERE.parent)}`, dev band,"
        f" seed `{args.seed}`).",
        f"Machine: {os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB,"
        f" {platform.platform()}; PostgreSQL {version} from synthcore.pgserver (shared_buffers 1GB, wal_level"
        " minimal, fsync off); same server, same rows, fresh empty schemas from specs/schema.sql, medians of"
        f" {args.rounds} rounds. {total_rows:,} rows, {heap_mb:,.0f} MB of heap. 5-minute load average"
        f" {args.load_avg[0]:.1f} at start, {args.load_avg[1]:.1f} at end (other sessions share the 2 cores).\n",
        "| method | data (COPY) s | rows/s | heap MB/s | keys + FKs s | whole s | data ratio vs best psql"
        " | whole speed-up vs best psql |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    best = _median(results[best_psql], "data_s")
    for method, runs in results.items():
        data_s, keys_s, whole_s = (_median(runs, k) for k in ("data_s", "keys_s", "whole_s"))
        lines.append(
            f"| {method} | {data_s:.2f} | {total_rows / data_s:,.0f} | {heap_mb / data_s:,.0f} | {keys_s:.2f}"
            f" | {whole_s:.2f} | {best / data_s:.2f}x | {best_whole / whole_s:.2f}x |"
        )
    lines += [
        "",
        f"Throughput ratio = best psql data time ({best_psql}) / method data time; whole speed-up = best psql whole"
        " time (data + the same keys and foreign keys, run serially as `psql -f` would) / method whole time;"
        " target ≥ 1.5x.",
        "",
        "Per table (synthcore --parallel 2: seconds summed over its chunk transactions; COPY MB = binary stream):\n",
        "| table | rows | synthcore s | rows/s | COPY MB/s | heap MB/s | " + " | ".join(f"{m} s" for m in psqls) + " |",
        "|---|---:|---:|---:|---:|---:|" + "---:|" * len(psqls),
    ]
    last = results["synthcore_p2"]
    for table in TABLES:
        s = statistics.median(float(r["tables_s"][table]) for r in last)  # type: ignore[index]
        copy_mb = last[-1]["copy_bytes"][table] / 1e6  # type: ignore[index]
        heap_t = heap[table] / 1e6  # type: ignore[index]
        psql_s = [statistics.median(float(r["tables_s"][table]) for r in results[m]) for m in psqls]  # type: ignore[index]
        lines.append(
            f"| {table} | {rows[table]:,} | {s:.2f} | {rows[table] / s:,.0f} | {copy_mb / s:,.0f} | {heap_t / s:,.0f}"
            " | " + " | ".join(f"{p:.2f}" for p in psql_s) + " |"
        )
    lines += [
        "",
        f"Then on the last synthcore schema: verify {'passed' if verified else 'FAILED'} in {verify_s:.1f}s;"
        f" warm: VACUUM (ANALYZE) {vacuum_s:.1f}s, pg_prewarm {prewarm_s:.1f}s; phase-2 indexes built in"
        f" {index_s:.1f}s.",
        "",
        f"### Baselines before/after specs/indexes/phase-2.sql (dev band, adaptive: 3 to {args.baseline_runs} runs"
        " within a 2 s budget per query after up to 2 warm-ups, jit=off, no parallel workers, 30 s timeout)\n",
        baseline_md,
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
