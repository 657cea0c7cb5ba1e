"""Calibration benchmark: ``calibrate_spec`` on a production-size metrics pack.

Run: uv run python benchmarks/calibrate_bench.py [--scale 2000]
A pack is sampled from the ci band loaded into a throwaway PostgreSQL, then every count is multiplied by ``--scale``
(100M messages at 2000): the pack a production of that size would publish, as far as calibration's work goes
(histogram fits, law choices, and the activity simulation, which runs at most 1M messages whatever the size).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from synthcore.calibrate import calibrate_spec
from synthcore.generate import generate_dataset
from synthcore.load import load_dataset
from synthcore.pgserver import running_server
from synthcore.sample import SampleOptions, sample_shape
from synthcore.sample.keyed_ids import AnonymizationKey
from synthcore.spec.bands import Band
from synthcore.spec.distribution import DistributionSpec
from synthcore.spec.io import DEFAULT_SPEC_PATH, load_model
from synthcore.spec.metrics_pack import MetricsPack


def _scaled(node: Any, factor: int) -> Any:
    """Every count (an int) times ``factor``; floats (percentiles, settings) and nulls unchanged."""
    if isinstance(node, dict):
        return {
            k: node[k] if k in ("disclosure", "window_days", "pack_version") else _scaled(v, factor)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_scaled(v, factor) for v in node]
    return node * factor if isinstance(node, int) and not isinstance(node, bool) else node


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=2000)
    args = parser.parse_args()
    spec = load_model(DistributionSpec, DEFAULT_SPEC_PATH)
    with running_server() as server, tempfile.TemporaryDirectory() as tmp:
        generate_dataset(Path(tmp) / "ci", band=Band.CI, seed="calibrate-bench", workers=1)
        dsn = server.create_database("bench")
        load_dataset(dsn, Path(tmp) / "ci", schema="prod", runs_dir=Path(tmp) / "runs")
        options = SampleOptions(window_days=spec.time.window_days, window_end=spec.time.window_end, schema="prod")
        pack = sample_shape(dsn, AnonymizationKey(b"calibrate-bench-key-0123456789abcdef"), options).pack
    big = MetricsPack.model_validate(_scaled(json.loads(pack.model_dump_json()), args.scale))
    started = time.perf_counter()
    cpu = time.process_time()
    _, report = calibrate_spec(big, spec)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"pack: {big.entities.messages_in_window:,} messages, {big.entities.conversations:,} conversations,"
        f" {big.entities.users:,} users (ci-band pack x {args.scale})"
    )
    print(
        f"calibrate_spec: {wall:.1f} s wall, {cpu:.1f} s CPU; {len(report.parameters)} parameters,"
        f" {len(report.kept_from_base)} kept from the base"
    )
    for p in report.parameters:
        if p.candidates:
            print(f"  {p.name}: {p.method}")


if __name__ == "__main__":
    main()
