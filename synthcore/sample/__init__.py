"""Runs inside production: aggregates only, protected, scanned, with a manifest bound to the pack bytes."""

from synthcore.sample.disclosure import DisclosurePolicy
from synthcore.sample.publish import export_pack
from synthcore.sample.sampler import SampleOptions, sample_shape

__all__ = ["DisclosurePolicy", "SampleOptions", "export_pack", "sample_shape"]
