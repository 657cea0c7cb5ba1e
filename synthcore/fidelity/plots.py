"""Figures and the human-readable page of a FidelityReport: one PNG per comparison, a Markdown page showing them.

Numeric metrics get overlaid histograms (densities per unit width) and CDFs; categorical ones grouped bars.
Everything is drawn from the report alone (matplotlib's Agg backend, no display needed).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, SymmetricalLogLocator

from synthcore.artifacts import atomic_path
from synthcore.spec.fidelity import Comparison, FidelityReport

PLOTS_DIR = "plots"
# Plain tick labels: the default log-axis labels go through mathtext, which costs about 0.5 s per figure here.
_PLAIN = FuncFormatter(lambda value, _pos: f"{value:g}")


def _upper_edges(lower: np.ndarray) -> np.ndarray:
    """Upper edges for plotting: the open last bin is drawn as wide as the one before it (log-wise if log-scaled)."""
    if lower.size == 1:
        return lower + 1
    last = lower[-1] * lower[-1] / lower[-2] if lower[-2] > 0 else 2 * lower[-1] - lower[-2]
    return np.append(lower[1:], last)


def _numeric_figure(c: Comparison) -> plt.Figure:
    lower = np.asarray(c.lower_edges, dtype=np.float64)
    upper = _upper_edges(lower)
    obs, exp = np.asarray(c.observed), np.array([np.nan if v is None else v for v in c.expected])
    log_x = lower[0] >= 0 and upper[-1] > 100 * max(lower[1] if lower.size > 1 else 1.0, 1.0)
    fig, (hist, cdf) = plt.subplots(1, 2, figsize=(11, 4))
    width = upper - lower
    for masses, label, style in ((exp, "expected", "-"), (obs, "observed", "--")):
        hist.stairs(masses / width, np.append(lower, upper[-1]), label=label, linestyle=style)
        cdf.step(upper, np.nancumsum(masses), where="post", label=label, linestyle=style)
    for ax in (hist, cdf):
        if log_x:
            ax.set_xscale("symlog", linthresh=1.0)
            ax.xaxis.set_major_locator(SymmetricalLogLocator(base=100, linthresh=1.0))
            ax.xaxis.set_major_formatter(_PLAIN)
        ax.minorticks_off()
        ax.set_xlabel(c.metric)
        ax.legend()
    if log_x:
        hist.set_yscale("log")
        hist.yaxis.set_major_formatter(_PLAIN)
        hist.minorticks_off()
    hist.set_title("density per unit")
    cdf.set_title("cumulative share")
    return fig


def _category_figure(c: Comparison) -> plt.Figure:
    labels = c.labels or []
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(max(6, 0.45 * len(labels) + 3), 4))
    ax.bar(x - 0.2, [np.nan if v is None else v for v in c.expected], 0.4, label="expected")
    ax.bar(x + 0.2, c.observed, 0.4, label="observed")
    ax.set_xticks(x, labels, rotation=45 if len(labels) > 8 else 0)
    ax.legend()
    return fig


def write_plots(report: FidelityReport, out_dir: Path) -> dict[str, str]:
    """Write one PNG per comparison under ``out_dir/plots``; return metric → path relative to ``out_dir``."""
    written: dict[str, str] = {}
    for c in report.comparisons:
        fig = _numeric_figure(c) if c.lower_edges is not None else _category_figure(c)
        fig.suptitle(f"{c.metric} (n = {c.observed_total:,.0f})")
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.18, top=0.85, wspace=0.25)
        relative = f"{PLOTS_DIR}/{c.metric}.png"
        with atomic_path(out_dir / relative) as tmp:
            fig.savefig(tmp, format="png", dpi=80)
        plt.close(fig)
        written[c.metric] = relative
    return written


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def render_markdown(report: FidelityReport, images: dict[str, str]) -> str:
    """The report as a Markdown page: verdict, reasons, the check table, what was not checked, and the plots."""
    lines = [
        f"# Fidelity: {report.verdict}",
        "",
        f"Target: {report.target_kind} `{report.target_sha256[:12]}` · source: {report.source} · "
        f"tolerance: {report.tolerance} (noise at the observed counts + {report.practical_tolerance}) ·"
        f" {report.seconds:.1f} s",
        "",
    ]
    if report.reasons:
        lines += ["## Reasons", "", *(f"- {r}" for r in report.reasons), ""]
    lines += [
        "## Checks",
        "",
        "| check | statistic | value | threshold | observed | expected | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in report.checks:
        result = "pass" if c.passed else f"**FAIL** {c.reason}"
        lines.append(
            f"| {c.name} | {c.kind} | {_fmt(c.value)} | {c.threshold:g} | {_fmt(c.observed)} "
            f"| {_fmt(c.expected)} | {result} |"
        )
    if report.not_checked:
        lines += ["", "## Not checked", "", *(f"- {k}: {v}" for k, v in report.not_checked.items())]
    if report.bent_targets:
        lines += ["", "## Bent by the counts", "", *(f"- {k}: {v}" for k, v in report.bent_targets.items())]
    if report.simulated_targets:
        lines += [
            "",
            "## Simulated targets",
            "",
            "No closed form: expected by simulating the generator's own draws (the generator is checked against"
            f" itself here): {', '.join(report.simulated_targets)}.",
        ]
    lines += ["", "## Plots", ""]
    lines += [f"### {metric}\n\n![{metric}]({path})\n" for metric, path in images.items()]
    return "\n".join(lines) + "\n"
