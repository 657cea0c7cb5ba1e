"""Compute a dataset's fidelity to a target (spec or metrics pack) and write the reports.

``compute_fidelity`` opens the dataset in DuckDB (Parquet files or a PostgreSQL schema), computes every metric
the target defines, judges each against the tolerance, and writes ``fidelity-report.json`` (FidelityReport),
``fidelity-report.md`` and one PNG per compared distribution into the output directory.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from functools import partial
from pathlib import Path

import duckdb
import numpy as np

from synthcore.artifacts import check_writable_dir, write_bytes_atomic, write_json_atomic
from synthcore.errors import InputError, SpecError
from synthcore.fidelity.gate import Limit, judge, thresholds_for, unknown_overrides, verdict
from synthcore.fidelity.observe import (
    SCALAR_UNITS,
    SHARE_CLUSTERS_SQL,
    observe_categories,
    observe_histogram,
    observe_quantiles,
    observe_scalar,
    observe_share_spread,
    observe_units,
    stage_dataset,
)
from synthcore.fidelity.pack_targets import pack_targets
from synthcore.fidelity.plots import render_markdown, write_plots
from synthcore.fidelity.source import open_parquet, open_postgres
from synthcore.fidelity.spec_targets import spec_targets
from synthcore.fidelity.targets import CategoryTarget, NumericTarget, ScalarTarget, Targets
from synthcore.load.preflight import preflight_dataset
from synthcore.names import validate_schema_name
from synthcore.spec.bands import Counts
from synthcore.spec.distribution import DistributionSpec
from synthcore.spec.fidelity import TOLERANCE_PRESETS, CheckResult, Comparison, FidelityReport, Tolerance
from synthcore.spec.io import parse_model, parse_strict_json
from synthcore.spec.metrics_pack import MetricsPack
from synthcore.stats import distances as stats
from synthcore.stats import noise as noise_bounds

REPORT_JSON = "fidelity-report.json"
REPORT_MD = "fidelity-report.md"
Target = DistributionSpec | MetricsPack


def load_target(path: Path) -> Target:
    """Read a target file: a DistributionSpec (``spec_version``) or a MetricsPack (``pack_version``).

    Raises:
        SpecError: the file cannot be read, is not strict JSON, or is neither a valid spec nor a valid pack.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(str(path), [f"cannot read file: {exc.strerror}"]) from None
    raw = parse_strict_json(data, str(path))
    if isinstance(raw, dict) and "spec_version" in raw:
        return parse_model(DistributionSpec, data, str(path))
    if isinstance(raw, dict) and "pack_version" in raw:
        return parse_model(MetricsPack, data, str(path))
    raise SpecError(str(path), ["<root>: neither a distribution spec (spec_version) nor a metrics pack (pack_version)"])


def build_targets(con: duckdb.DuckDBPyConnection, target: Target, counts: dict[str, int]) -> Targets:
    """Targets for ``target``; a spec's depend on the dataset's entity counts and observed group sizes."""
    if isinstance(target, MetricsPack):
        return pack_targets(target)
    sizes = {int(k): v for k, v in observe_categories(con, "group_message_sizes").items()}
    return spec_targets(target, Counts(**counts), sizes)


def _quantile_name(name: str, q: float) -> str:
    return f"{name}.p{round(q * 100)}"


def _shares(masses: np.ndarray, published: np.ndarray) -> list[float]:
    """Masses as shares of the published cells' total (unpublished cells are NaN in ``masses`` or left as is)."""
    total = float(masses[published].sum())
    return [float(v) for v in (masses / total if total > 0 else masses)]


def _expected_shares(expected: np.ndarray, published: np.ndarray) -> list[float | None]:
    shares = _shares(expected, published)
    return [v if ok else None for v, ok in zip(shares, published, strict=True)]


def _published(expected: np.ndarray) -> np.ndarray:
    return np.isfinite(expected)


def _scalar_error(observed: float | None, expected: float, kind: str) -> float:
    if observed is None:
        raise InputError("the dataset has no units for this share")
    return stats.relative_error(observed, expected) if kind == "relative_error" else abs(observed - expected)


def _effective(n: float, target_units: float | None) -> float:
    """Units of a two-sample comparison (``n`` observed against ``target_units``); ``n`` against a closed form."""
    return n if target_units is None or target_units <= 0 else n * target_units / (n + target_units)


def _share_noise(con: duckdb.DuckDBPyConnection, st: ScalarTarget) -> float:
    """The sampling-noise bound of a share: clustered by conversation for message-level shares, else Bernoulli."""
    if st.metric in SHARE_CLUSTERS_SQL:
        standard_error, conversations, effective = observe_share_spread(con, st.metric)
        return noise_bounds.clustered_share_critical(standard_error, conversations, st.units, effective)
    return noise_bounds.share_critical(st.expected, _effective(observe_units(con, SCALAR_UNITS[st.metric]), st.units))


def _quantile_checks(con: duckdb.DuckDBPyConnection, nt: NumericTarget, n: float, limit: Limit) -> list[CheckResult]:
    """Relative error of each quantile, with an order-statistic noise bound.

    The noise is how far the observed quantiles move over the band of levels that holds the target's quantile at
    ``n`` units (distribution-free, so right for heavy tails too).
    """
    levels = sorted(nt.quantiles)
    bands = [noise_bounds.quantile_band(q, n) for q in levels]
    values = observe_quantiles(con, nt.metric, [*levels, *(level for band in bands for level in band)])
    checks = []
    for i, (q, value) in enumerate(zip(levels, values, strict=False)):
        low, high = values[len(levels) + 2 * i], values[len(levels) + 2 * i + 1]
        qname, expected = _quantile_name(nt.name, q), nt.quantiles[q]
        noise = max(high - value, value - low) / abs(expected) if expected else 0.0
        error = partial(stats.relative_error, value, expected)
        threshold = limit(qname, "relative_error", noise)
        checks.append(judge(qname, nt.metric, "relative_error", error, threshold, value, expected, noise))
    return checks


def _numeric_checks(
    con: duckdb.DuckDBPyConnection, nt: NumericTarget, limit: Limit
) -> tuple[list[CheckResult], Comparison]:
    observed, total = observe_histogram(con, nt.metric, nt.lower_edges.tolist())
    distance = stats.ks_distance if nt.stat == "ks" else stats.total_variation
    name = f"{nt.name}.{nt.stat}"
    ok = _published(nt.expected)
    n = _effective(observe_units(con, nt.observed_units) if nt.observed_units else total, nt.units)
    noise = noise_bounds.ks_critical(n) if nt.stat == "ks" else noise_bounds.tv_critical(int(ok.sum()), n)
    compute = partial(distance, observed[ok], nt.expected[ok])
    checks = [judge(name, nt.metric, nt.stat, compute, limit(name, nt.stat, noise), noise=noise)]
    if nt.quantiles and total:
        checks += _quantile_checks(con, nt, _effective(total, nt.units), limit)
    comparison = Comparison(
        metric=nt.name,
        lower_edges=nt.lower_edges.tolist(),
        observed=_shares(observed, ok),
        expected=_expected_shares(nt.expected, ok),
        observed_total=total,
    )
    return checks, comparison


def _category_check(con: duckdb.DuckDBPyConnection, ct: CategoryTarget, limit: Limit) -> tuple[CheckResult, Comparison]:
    found = observe_categories(con, ct.metric)
    labels = list(ct.expected) + sorted(set(found) - set(ct.expected))  # unexpected labels count against TV
    obs = np.array([found.get(k, 0) for k in labels], dtype=np.float64)
    exp = np.array([ct.expected.get(k, 0.0) for k in labels])
    name = f"{ct.name}.tv"
    ok = _published(exp)
    units = observe_units(con, ct.observed_units) if ct.observed_units else float(obs.sum())
    noise = noise_bounds.tv_critical(int(ok.sum()), _effective(units, ct.units))
    compute = partial(stats.total_variation, obs[ok], exp[ok])
    check = judge(name, ct.metric, "tv", compute, limit(name, "tv", noise), noise=noise)
    comparison = Comparison(
        metric=ct.name,
        labels=labels,
        observed=_shares(obs, ok),
        expected=_expected_shares(exp, ok),
        observed_total=float(obs.sum()),
    )
    return check, comparison


def evaluate(
    con: duckdb.DuckDBPyConnection, targets: Targets, limit: Limit
) -> tuple[list[CheckResult], list[Comparison]]:
    """Judge every target against the staged dataset; ``limit`` gives each check's threshold by name."""
    checks: list[CheckResult] = []
    comparisons: list[Comparison] = []
    for nt in targets.numeric:
        numeric_checks, comparison = _numeric_checks(con, nt, limit)
        checks += numeric_checks
        comparisons.append(comparison)
    for ct in targets.categories:
        check, comparison = _category_check(con, ct, limit)
        checks.append(check)
        comparisons.append(comparison)
    for st in targets.scalars:
        value = observe_scalar(con, st.metric, st.min_messages)
        name = f"{st.name}.error"
        error = partial(_scalar_error, value, st.expected, st.kind)
        noise = _share_noise(con, st) if st.kind == "absolute_error" else 0.0
        threshold = limit(name, st.kind, noise)
        checks.append(judge(name, st.metric, st.kind, error, threshold, value, st.expected, noise))
    return checks, comparisons


def compute_fidelity(
    target_path: Path,
    out_dir: Path,
    *,
    data_dir: Path | None = None,
    dsn: str | None = None,
    schema: str | None = None,
    tolerance: Tolerance = Tolerance.NORMAL,
    overrides: Mapping[str, float] | None = None,
) -> FidelityReport:
    """Compare a dataset with a target and write the JSON and Markdown reports with plots into ``out_dir``.

    Give either ``data_dir`` (generated Parquet) or ``dsn`` and ``schema`` (a loaded PostgreSQL schema).
    The report is written whatever the verdict; the caller decides what NO-GO means. Every input is checked
    before ``out_dir`` is created.

    Raises:
        InputError: both or neither sources given, an unsafe schema name, a missing dataset, an override names no
            check, or the dataset is empty.
        SpecError: the target file is invalid, or the Parquet dataset is damaged or mixed (see the load preflight).
        OutputError: ``out_dir`` cannot be created or written.
    """
    started = time.perf_counter()
    overrides = dict(overrides or {})
    if (data_dir is None) == (dsn is None) or (dsn is not None and not schema):
        raise InputError("give either a data directory, or a DSN together with a schema name")
    if schema is not None:
        validate_schema_name(schema)
    target = load_target(target_path)
    limit = thresholds_for(tolerance, overrides)
    if data_dir is not None:
        preflight_dataset(data_dir)
    check_writable_dir(out_dir)
    con = open_parquet(data_dir) if data_dir is not None else open_postgres(str(dsn), str(schema))
    try:
        counts = stage_dataset(con)
        targets = build_targets(con, target, counts)
        checks, comparisons = evaluate(con, targets, limit)
    finally:
        con.close()
    unknown = unknown_overrides(overrides, [c.name for c in checks])
    if unknown:
        raise InputError(
            f"overrides name no check: {', '.join(unknown)}; checks are: {', '.join(c.name for c in checks)}"
        )
    outcome, reasons = verdict(checks)
    report = FidelityReport(
        target_kind=targets.kind,
        target_sha256=targets.sha256,
        source="parquet" if data_dir is not None else f"postgres:{schema}",
        tolerance=tolerance,
        practical_tolerance=TOLERANCE_PRESETS[tolerance],
        overrides=overrides,
        verdict=outcome,
        reasons=reasons,
        checks=checks,
        comparisons=comparisons,
        not_checked=targets.not_checked,
        simulated_targets=targets.simulated,
        bent_targets=targets.bent,
        seconds=round(time.perf_counter() - started, 3),
    )
    write_json_atomic(out_dir / REPORT_JSON, report)
    images = write_plots(report, out_dir)
    write_bytes_atomic(out_dir / REPORT_MD, render_markdown(report, images).encode())
    return report
