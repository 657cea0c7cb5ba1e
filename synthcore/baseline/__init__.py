"""EXPLAIN baselines of the hot-path query catalog, and the pre/post index comparison."""

from synthcore.baseline.compare import compare_baselines, comparison_markdown
from synthcore.baseline.explain import capture_baseline

__all__ = ["capture_baseline", "compare_baselines", "comparison_markdown"]
