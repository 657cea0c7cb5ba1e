"""The whole pipeline on embedded defaults (the README's main job), against a throwaway or given PostgreSQL.

A synthetic "production" database stands in for the real one: the default spec's dataset is loaded into its own
schema, sampled into an aggregate-only metrics pack (scanned for PII), and calibrated into a spec. That spec is
generated, loaded, verified, warmed, baselined before and after the phase-2 indexes, and checked for fidelity
against the pack; then both schemas are torn down. Every stage is the same function its CLI command calls.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from synthcore.spec.bands import Band
from synthcore.spec.io import SPECS_DIR

log = logging.getLogger(__name__)
PHASE_2_INDEXES = SPECS_DIR / "indexes" / "phase-2.sql"
DEFAULT_SPEC = SPECS_DIR / "distribution-spec.json"
# The demo measures each query 3 times after 1 warm-up: the "before" plan of latest_message_per_conversation
# for the heaviest user takes ~10 s a run on the ci band. `synthcore baseline` defaults to 11 runs.
DEMO_BASELINE_RUNS = 3


@dataclass
class PipelineSummary:
    """Stage timings and the verdicts of a pipeline run."""

    work_dir: Path
    stages: dict[str, float] = field(default_factory=dict)
    verdicts: dict[str, str] = field(default_factory=dict)

    def markdown(self) -> str:
        """A short human summary."""
        lines = ["# synthdata pipeline run", "", "| stage | seconds |", "|---|---:|"]
        lines += [f"| {name} | {seconds:.2f} |" for name, seconds in self.stages.items()]
        lines += ["", "| verdict | result |", "|---|---|"]
        lines += [f"| {name} | {value} |" for name, value in self.verdicts.items()]
        return "\n".join(lines) + "\n"


@contextlib.contextmanager
def _database(dsn: str | None) -> Iterator[str]:
    if dsn:
        yield dsn
        return
    from synthcore.pgserver import running_server

    with running_server() as server:
        yield server.create_database("synthdata")


@contextlib.contextmanager
def _stage(summary: PipelineSummary, name: str) -> Iterator[None]:
    log.info("stage %s ...", name)
    started = time.perf_counter()
    yield
    summary.stages[name] = round(time.perf_counter() - started, 3)
    log.info("stage %s done in %.2fs", name, summary.stages[name])


def run_pipeline(
    work_dir: Path,
    *,
    band: Band = Band.CI,
    seed: str = "demo",
    dsn: str | None = None,
    baseline_runs: int = DEMO_BASELINE_RUNS,
) -> PipelineSummary:
    """Run sample → scan → calibrate → generate → load → verify → warm → baseline → indexes → compare → fidelity.

    Args:
        work_dir: where packs, specs, data, reports and run records go.
        band: dataset size of both the stand-in production and the synthetic dataset.
        seed: seed of the synthetic dataset (the stand-in production uses ``<seed>-production``).
        dsn: a database to use; a throwaway server is started (and removed) when None.
        baseline_runs: measured EXPLAIN ANALYZE runs per query and subject (after one warm-up run).

    Raises:
        SynthError: any stage failed; stages after it do not run, and the schemas created are torn down.
    """
    from synthcore.artifacts import write_bytes_atomic
    from synthcore.baseline import capture_baseline, compare_baselines, comparison_markdown
    from synthcore.baseline.indexes import apply_index_file
    from synthcore.calibrate import calibrate_files
    from synthcore.fidelity import compute_fidelity
    from synthcore.generate import generate_dataset
    from synthcore.load import load_dataset
    from synthcore.load.warm import warm_schema
    from synthcore.privacy import require_clean, scan_pack_file
    from synthcore.sample import SampleOptions, export_pack
    from synthcore.spec.distribution import DistributionSpec
    from synthcore.spec.io import load_model
    from synthcore.teardown import teardown_schema
    from synthcore.verify import check_integrity, raise_on_failure

    summary = PipelineSummary(work_dir)
    base = load_model(DistributionSpec, DEFAULT_SPEC)
    prod_schema, synth_schema = f"prod_{band}_{seed}", f"synth_{band}_{seed}"
    pack = work_dir / "metrics" / "pack.json"
    spec_path = work_dir / "calibrated-spec.json"
    runs = work_dir / "runs"
    # The stand-in production is keyed like the real one; its key exists only for this run (never stored).
    os.environ.setdefault("ANONYMIZATION_SALT", secrets.token_hex(32))
    with _database(dsn) as conninfo:
        created: list[str] = []
        try:
            with _stage(summary, "production: generate + load (stand-in)"):
                generate_dataset(work_dir / "production-data", band=band, seed=f"{seed}-production", spec=base)
                load_dataset(conninfo, work_dir / "production-data", schema=prod_schema, runs_dir=runs)
                created.append(prod_schema)
            with _stage(summary, "sample"):
                options = SampleOptions(base.time.window_days, base.time.window_end, schema=prod_schema)
                export_pack(conninfo, pack, options)
            with _stage(summary, "scan"):
                require_clean(scan_pack_file(pack))
            with _stage(summary, "calibrate"):
                calibrate_files(pack, spec_path, DEFAULT_SPEC)
            with _stage(summary, "generate"):
                spec = load_model(DistributionSpec, spec_path)
                generate_dataset(work_dir / "data", band=band, seed=seed, spec=spec)
            with _stage(summary, "load"):
                load_dataset(conninfo, work_dir / "data", schema=synth_schema, runs_dir=runs)
                created.append(synth_schema)
            with _stage(summary, "verify"):
                integrity = check_integrity(conninfo, synth_schema, work_dir / "data" / "generation-report.json")
                raise_on_failure(integrity)
                summary.verdicts["integrity"] = "all checks passed"
            with _stage(summary, "warm"):
                warm_schema(conninfo, synth_schema)
            with _stage(summary, "baseline (before indexes)"):
                before = capture_baseline(conninfo, synth_schema, runs=baseline_runs, warmup=1)
            with _stage(summary, "phase-2 indexes + baseline (after)"):
                apply_index_file(conninfo, synth_schema, PHASE_2_INDEXES)
                warm_schema(conninfo, synth_schema)
                after = capture_baseline(conninfo, synth_schema, runs=baseline_runs, warmup=1)
            comparison = compare_baselines(before, after)
            write_bytes_atomic(work_dir / "baseline-comparison.md", comparison_markdown(comparison).encode())
            summary.verdicts["phase-2 indexes"] = ("GO" if comparison.go else "NO-GO") + (
                f" (average improvement {comparison.average_improvement:.0%})"
            )
            with _stage(summary, "fidelity"):
                fidelity = compute_fidelity(pack, work_dir / "fidelity", dsn=conninfo, schema=synth_schema)
            summary.verdicts["fidelity vs pack"] = fidelity.verdict + (
                f": {'; '.join(fidelity.reasons)}" if fidelity.reasons else ""
            )
        finally:
            with _stage(summary, "teardown"):
                for schema in reversed(created):
                    teardown_schema(conninfo, schema)
    write_bytes_atomic(work_dir / "summary.md", summary.markdown().encode())
    return summary
