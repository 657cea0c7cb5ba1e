"""Deterministic, chunk-invariant generation of the synthetic chat dataset."""

from synthcore.generate.generator import finalize_report, generate_chunk, generate_dataset
from synthcore.generate.plan import build_plan

__all__ = ["build_plan", "finalize_report", "generate_chunk", "generate_dataset"]
