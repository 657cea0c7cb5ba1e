"""Calibration: fit the generator's spec to a production metrics pack."""

from synthcore.calibrate.calibrate import calibrate_files, calibrate_spec

__all__ = ["calibrate_files", "calibrate_spec"]
