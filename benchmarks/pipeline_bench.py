"""Pipeline benchmark: every stage of the dev band and of a 25M-message band, one CLI process per stage.

Run: uv run python benchmarks/pipeline_bench.py [--bands dev,25m] [--seed bench] [--results benchmarks/RESULTS.md]

One throwaway PostgreSQL 15 server (synthcore.pgserver settings). Per band: generate → load → verify → warm →
fidelity (over PostgreSQL, against specs/distribution-spec.json) → baseline before → phase-2 indexes + baseline after
→ compare → teardown, each as ``python -m synthcore …`` in its own process, so that its wall time and peak RSS
(``wait4`` rusage: the largest process of the stage's tree) are its own. Also reported: seconds per million messages,
Parquet bytes on disk and the database size after the load and after the phase-2 indexes, the 1-minute load average
at each stage's start (other sessions share the 2 cores). A stage that fails is recorded with its exit code and the
band goes on (teardown always runs). Results are printed and appended to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from synthcore.pgserver import running_server
from synthcore.spec.io import SPECS_DIR

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
BANDS = {  # name: (band preset, users, conversations, messages)
    "dev": ("dev", 5_000, 8_000, 5_000_000),
    "25m": ("dev", 25_000, 40_000, 25_000_000),
}


@dataclass
class Stage:
    """One stage's measurement."""

    name: str
    seconds: float
    peak_rss_mib: float
    exit_code: int
    load_avg: float


def _run(name: str, args: list[str], log: Path) -> Stage:
    """Run ``python -m synthcore ARGS`` and measure it."""
    load_avg = os.getloadavg()[0]
    started = time.perf_counter()
    with log.open("ab") as out:
        out.write(f"\n### {name}: synthcore {' '.join(args)}\n".encode())
        out.flush()
        proc = subprocess.Popen([sys.executable, "-m", "synthcore", *args], stdout=out, stderr=out)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    stage = Stage(name, seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), load_avg)
    print(f"{name:32s} {seconds:8.1f}s  {stage.peak_rss_mib:7.0f} MiB  exit {stage.exit_code}  load {load_avg:.1f}")
    return stage


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _db_bytes(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0]) if row else 0


@dataclass
class BandResult:
    """Every stage of one band, and the disk it used."""

    messages: int
    stages: list[Stage]
    parquet: int
    db_loaded: int
    db_indexed: int


def run_band(name: str, dsn: str, seed: str, work: Path) -> BandResult:
    """Every stage of one band; returns the stage measurements and sizes."""
    band, users, conversations, messages = BANDS[name]
    data, runs, log = work / name / "data", work / name / "runs", work / f"{name}.log"
    shutil.rmtree(work / name, ignore_errors=True)
    schema = f"synth_bench_{name}"
    target = ["--dsn", dsn, "--schema", schema]
    counts = ["--users", str(users), "--conversations", str(conversations), "--messages", str(messages)]
    stages = [_run("generate", ["generate", "--band", band, "--seed", seed, "--out", str(data), *counts], log)]
    parquet = _du(data)
    stages.append(_run("load (data, keys, FKs)", ["load", *target, "--data", str(data), "--runs-dir", str(runs)], log))
    loaded_db = _db_bytes(dsn)
    report = data / "generation-report.json"
    stages.append(_run("verify", ["verify", *target, "--report", str(report), "--runs-dir", str(runs)], log))
    stages.append(_run("warm", ["warm", *target, "--runs-dir", str(runs)], log))
    spec = SPECS_DIR / "distribution-spec.json"
    fidelity = ["fidelity", "--target", str(spec), *target, "--out", str(work / name / "fidelity")]
    stages.append(_run("fidelity (over PostgreSQL)", fidelity, log))
    pre, post = work / name / "pre.json", work / name / "post.json"
    stages.append(_run("baseline before", ["baseline", *target, "--out", str(pre)], log))
    phase2 = ["--apply-indexes", str(SPECS_DIR / "indexes" / "phase-2.sql")]
    stages.append(_run("phase-2 indexes + baseline after", ["baseline", *target, *phase2, "--out", str(post)], log))
    indexed_db = _db_bytes(dsn)
    compare = ["baseline", "--compare", str(pre), str(post), "--out", str(work / name / "comparison.json")]
    stages.append(_run("compare", compare, log))
    stages.append(_run("teardown", ["teardown", *target], log))
    return BandResult(messages, stages, parquet, loaded_db, indexed_db)


def _render(results: dict[str, BandResult], started: str) -> str:
    names = list(results)
    lines = [
        f"\n## Pipeline: every stage, one CLI process each ({started})\n",
        f"Command: `uv run python benchmarks/pipeline_bench.py --bands {','.join(names)}`. Machine: 2 cores, 24 GiB,"
        " PostgreSQL 15 from synthcore.pgserver (shared_buffers 1GB, wal_level minimal, fsync off). Load = 1-minute"
        " load average at the stage's start (other sessions share the 2 cores; above 2 the times are upper bounds).\n",
        "| stage | " + " | ".join(f"{n}: s | {n}: s per M msgs | {n}: peak RSS MiB | {n}: load" for n in names) + " |",
        "|---|" + "---:|---:|---:|---:|" * len(names),
    ]
    for i, stage in enumerate(s.name for s in results[names[0]].stages):
        cells = []
        for r in results.values():
            s = r.stages[i]
            failed = "" if s.exit_code == 0 else f" (exit {s.exit_code})"
            per_m = s.seconds / (r.messages / 1e6)
            cells.append(f"{s.seconds:.1f}{failed} | {per_m:.2f} | {s.peak_rss_mib:.0f} | {s.load_avg:.1f}")
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    totals = [sum(s.seconds for s in r.stages) for r in results.values()]
    cells = [f"{t:.1f} | {t / (r.messages / 1e6):.2f} | | " for t, r in zip(totals, results.values(), strict=True)]
    lines += ["| **end to end** | " + " | ".join(cells) + " |", ""]
    for n, r in results.items():
        lines.append(
            f"- {n}: {r.messages:,} messages; Parquet {r.parquet / 2**30:.2f} GiB; database"
            f" {r.db_loaded / 2**30:.2f} GiB after load, {r.db_indexed / 2**30:.2f} GiB with the phase-2 indexes."
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bands", default="dev,25m", help=f"comma-separated, from {sorted(BANDS)}")
    parser.add_argument("--seed", default="bench")
    parser.add_argument("--work", type=Path, default=HERE / "out" / "pipeline")
    parser.add_argument("--results", type=Path, default=RESULTS, help="Markdown file the section is appended to.")
    args = parser.parse_args()
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    args.work.mkdir(parents=True, exist_ok=True)
    results = {}
    with running_server() as server:
        dsn = server.create_database("bench")
        for name in args.bands.split(","):
            print(f"--- band {name}", flush=True)
            results[name] = run_band(name, dsn, args.seed, args.work)
            shutil.rmtree(args.work / name / "data", ignore_errors=True)
    section = _render(results, started)
    print(section)
    with args.results.open("a") as f:
        f.write(section)


if __name__ == "__main__":
    main()
