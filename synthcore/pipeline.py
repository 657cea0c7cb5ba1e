"""The whole pipeline on embedded defaults (the README's main job), against a throwaway or given PostgreSQL.

A synthetic "production" database stands in for the real one: the default spec's dataset is loaded into its own
schema, sampled into an aggregate-only metrics pack (scanned for PII), and calibrated into a spec. That spec is
generated, loaded, verified, warmed, baselined before and after the phase-2 indexes, and checked for fidelity
against the pack; then both schemas are torn down. Every stage is the same function its CLI command calls.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthcore import stages
from synthcore.spec.bands import Band

log = logging.getLogger(__name__)
# The demo measures each query 3 times after 1 warm-up: the "before" plan of latest_message_per_conversation
# for the heaviest user takes ~10 s a run on the ci band. `synthcore baseline` defaults to 11 runs.
DEMO_BASELINE_RUNS = 3


@dataclass
class PipelineSummary:
    """Stage timings and the verdicts of a pipeline run."""

    work_dir: Path
    stages: dict[str, float] = field(default_factory=dict)
    verdicts: dict[str, str] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

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
    try:
        yield
    finally:
        summary.stages[name] = round(time.perf_counter() - started, 3)
        log.info("stage %s ended after %.2fs", name, summary.stages[name])


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
        SynthError: a stage failed or a gate said NO-GO; stages after it do not run, the schemas created are torn
            down, and summary.md still records what ran.
    """
    from synthcore.artifacts import check_writable_dir, write_bytes_atomic
    from synthcore.generate.seeding import root_entropy
    from synthcore.names import default_schema_name
    from synthcore.pg import check_conninfo
    from synthcore.sample import SampleOptions
    from synthcore.sample.keyed_ids import AnonymizationKey
    from synthcore.spec.distribution import DistributionSpec
    from synthcore.spec.io import load_model

    root_entropy(seed)  # the whole configuration is checked before the first stage: seed, DSN, names, work dir
    if dsn is not None:
        check_conninfo(dsn)
    prod_schema, synth_schema = default_schema_name(band, seed, "prod"), default_schema_name(band, seed)
    check_writable_dir(work_dir)
    summary = PipelineSummary(work_dir)
    base = load_model(DistributionSpec, stages.DEFAULT_SPEC)
    pack, spec = work_dir / "metrics" / "pack.json", work_dir / "calibrated-spec.json"
    runs, reports, data = work_dir / "runs", work_dir / "reports", work_dir / "data"
    # The stand-in production is keyed like the real one; its key lives only in this call, never in the environment.
    key = AnonymizationKey(secrets.token_bytes(32))
    results = summary.results

    def stage(name: str) -> contextlib.AbstractContextManager[None]:
        return _stage(summary, name)

    with _database(dsn) as conninfo:
        created: list[str] = []
        try:
            with stage("production: generate + load (stand-in)"):
                stages.generate(work_dir / "production-data", band, f"{seed}-production")
                stages.load(conninfo, work_dir / "production-data", prod_schema, runs)
                created.append(prod_schema)
            with stage("sample"):
                options = SampleOptions(base.time.window_days, base.time.window_end, schema=prod_schema)
                results["sample"] = stages.sample(conninfo, pack, key, options)
            with stage("scan"):
                results["scan"] = stages.scan(pack)
            with stage("calibrate"):
                results["calibrate"] = stages.calibrate(pack, spec)
            with stage("generate + load (overlapped)"):
                created.append(synth_schema)  # torn down even when the load stops half-way
                results["load"] = stages.generate_and_load(conninfo, data, band, seed, spec, synth_schema, runs)
            with stage("verify"):
                results["verify"] = stages.verify(conninfo, synth_schema, reports, data / "generation-report.json")
                summary.verdicts["integrity"] = f"all {results['verify']['checks']} checks passed"
            with stage("warm"):
                results["warm"] = stages.warm(conninfo, synth_schema, reports)
            with stage("fidelity"):
                fidelity_dir = reports / "fidelity"
                results["fidelity"] = stages.fidelity(pack, fidelity_dir, conninfo=conninfo, schema=synth_schema)
                summary.verdicts["fidelity vs pack"] = "GO"
            with stage("baseline (before indexes)"):
                stages.baseline(conninfo, synth_schema, reports / "baseline-pre.json", runs=baseline_runs, warmup=1)
            with stage("phase-2 indexes + baseline (after)"):
                stages.apply_indexes(conninfo, synth_schema)
                stages.warm(conninfo, synth_schema, reports)
                stages.baseline(conninfo, synth_schema, reports / "baseline-post.json", runs=baseline_runs, warmup=1)
            with stage("compare"):
                results["compare"] = stages.compare(
                    reports / "baseline-pre.json", reports / "baseline-post.json", reports / "baseline-comparison.json"
                )
                improvement = results["compare"]["average_improvement"]
                summary.verdicts["phase-2 indexes"] = f"GO (average improvement {improvement:.0%})"
        finally:
            with stage("teardown"):
                for schema in reversed(created):
                    stages.teardown(conninfo, schema, missing_ok=True)
            write_bytes_atomic(work_dir / "summary.md", summary.markdown().encode())
            stages.run_report(work_dir / "run-report.json", results)
    return summary
