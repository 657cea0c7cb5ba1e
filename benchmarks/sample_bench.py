"""Sampler benchmark: the dev band loaded into a throwaway PostgreSQL as 'production', then sampled.

Run: uv run python benchmarks/sample_bench.py [--band dev] [--seed bench] [--data DIR]
Generates the band (unless --data points at an existing generator output), loads it with synthcore's loader,
then times ``sample_shape`` over the whole spec window (on one and on two connections) and over the default
30-day window, per query family.
Prints a Markdown section for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthcore.load import load_dataset
from synthcore.pgserver import running_server
from synthcore.sample import SampleOptions, sample_shape
from synthcore.sample.keyed_ids import AnonymizationKey
from synthcore.spec.distribution import DistributionSpec
from synthcore.spec.io import DEFAULT_SPEC_PATH, load_model
from synthcore.spec.tables import REPORT_NAME

OUT = Path(__file__).resolve().parent / "out" / "sample"


def _generate(band: str, seed: str) -> Path:
    data = OUT / f"{band}-{seed}"
    if not (data / REPORT_NAME).exists():
        cmd = [sys.executable, "-m", "synthcore", "generate", "--band", band, "--seed", seed, "--out", str(data)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--band", default="dev")
    parser.add_argument("--seed", default="bench")
    parser.add_argument("--data", type=Path, default=None, help="existing generator output to load instead")
    args = parser.parse_args()
    data = args.data or _generate(args.band, args.seed)
    report = json.loads((data / REPORT_NAME).read_text())
    spec = load_model(DistributionSpec, DEFAULT_SPEC_PATH)
    key = AnonymizationKey(os.urandom(32))
    with running_server() as server, tempfile.TemporaryDirectory() as runs:
        dsn = server.create_database("production")
        t0 = time.perf_counter()
        receipt = load_dataset(dsn, data, parallel=2, runs_dir=Path(runs))
        load_s = time.perf_counter() - t0
        results = {}
        for days, parallel in ((spec.time.window_days, 1), (spec.time.window_days, 2), (30, 2)):
            options = SampleOptions(
                window_days=days, window_end=spec.time.window_end, schema=receipt.schema_name, parallel=parallel
            )
            results[f"{days}-day window, parallel {parallel}"] = sample_shape(dsn, key, options)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"command: uv run python benchmarks/sample_bench.py --band {args.band} --seed {args.seed}")
    rows = report["tables"]
    print(
        f"data: {rows['users']['rows']:,} users, {rows['conversations']['rows']:,} conversations, "
        f"{rows['messages']['rows']:,} messages, {rows['read_receipts']['rows']:,} read receipts; "
        f"loaded in {load_s:.1f} s"
    )
    print("| query family (s) | " + " | ".join(results) + " |")
    print("|---|" + "---:|" * len(results))
    for family in next(iter(results.values())).query_seconds:
        print(f"| {family} | " + " | ".join(f"{r.query_seconds[family]:.2f}" for r in results.values()) + " |")
    print("| **total sample_shape** | " + " | ".join(f"**{r.seconds:.2f}**" for r in results.values()) + " |")
    for run, result in results.items():
        pack, tally = result.pack, result.tally
        print(
            f"{run}: {pack.entities.messages_in_window:,} messages sampled, "
            f"{tally.published} cells published, {tally.suppressed} suppressed, "
            f"{result.pack.entities.messages / result.seconds:,.0f} table messages per second of sampling"
        )


if __name__ == "__main__":
    main()
