"""Generation benchmark: the dev band into Parquet; rows/s per table, per CPU-second, and peak memory.

Run: uv run python benchmarks/generate_bench.py [--band dev] [--seed bench] [--workers N]
Generation runs in a child process so that its CPU time and peak RSS (all worker processes) are measured alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out" / "generate"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--band", default="dev")
    parser.add_argument("--seed", default="bench")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--chunks", type=int, default=None)
    args = parser.parse_args()
    shutil.rmtree(OUT, ignore_errors=True)
    cmd = [
        sys.executable,
        "-m",
        "synthcore",
        "generate",
        "--band",
        args.band,
        "--seed",
        args.seed,
        "--out",
        str(OUT),
        "--workers",
        str(args.workers),
    ]
    if args.chunks:
        cmd += ["--chunks", str(args.chunks)]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    report = json.loads((OUT / "generation-report.json").read_text())
    size = sum(f.stat().st_size for f in OUT.rglob("*.parquet"))
    messages = report["tables"]["messages"]["rows"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"command: {' '.join(cmd[1:])}")
    print(
        f"chunks {report['chunks']}, workers {args.workers}: wall {wall:.2f} s, CPU {cpu:.2f} s,"
        f" peak RSS of one process {usage.ru_maxrss / 1024:.0f} MiB, Parquet {size / 2**20:.0f} MiB"
    )
    print(f"messages: {messages / wall:,.0f} rows/s wall, {messages / cpu:,.0f} rows per CPU-second")
    print("| table | rows | rows/s (wall) |")
    print("|---|---:|---:|")
    for name, table in report["tables"].items():
        print(f"| {name} | {table['rows']:,} | {table['rows'] / wall:,.0f} |")
    total = sum(t["rows"] for t in report["tables"].values())
    print(f"| all tables | {total:,} | {total / wall:,.0f} |")


if __name__ == "__main__":
    main()
