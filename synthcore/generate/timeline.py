"""Arrival times: bursty gaps in "operational time", warped onto the window by the diurnal and weekday profile.

Operational time u in [0, 1] has uniform intensity; ``Timeline.to_us`` maps it to real time so that the density of
events follows hour_profile × weekday_profile. Gaps within a conversation are a two-phase hyper-exponential whose
coefficient of variation is the spec's burstiness. Times are int64 microseconds since the Unix epoch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthcore.errors import InputError
from synthcore.generate.draws import bisect_root
from synthcore.spec.distribution import TimeSpec

US_PER_S = 1_000_000
US_PER_HOUR = 3600 * US_PER_S
_EPOCH_MONDAY_OFFSET_DAYS = 3  # 1970-01-01 was a Thursday (weekday 3 with Monday = 0)


def burst_probability(cv: float, ratio: float) -> float:
    """Share of in-burst gaps giving a hyper-exponential (means ``ratio`` and 1) this coefficient of variation.

    Raises:
        InputError: no mixture with this mean ratio reaches ``cv``.
    """
    if cv <= 1.0 + 1e-9:
        return 0.0

    def cv_of(p: float) -> float:
        mean = p * ratio + (1 - p)
        second = 2 * (p * ratio**2 + (1 - p))
        return float(np.sqrt(second / mean**2 - 1))

    grid = np.linspace(1e-6, 1 - 1e-6, 2001)
    values = np.array([cv_of(p) for p in grid])
    best = int(values.argmax())
    if values[best] < cv:
        raise InputError(
            f"time.burstiness.cv: {cv} is unreachable with burst_mean_ratio {ratio} (max {values[best]:.2f});"
            " lower burst_mean_ratio or cv"
        )
    return bisect_root(lambda p: cv_of(p) - cv, 1e-9, float(grid[best]))


@dataclass(frozen=True)
class Timeline:
    """The window's cumulative intensity on an hourly grid, for warping operational time to real time."""

    start_us: int
    end_us: int
    cumulative: np.ndarray  # normalised cumulative intensity at each hour edge, 0 .. 1
    edges_us: np.ndarray  # hour edges in µs

    @classmethod
    def from_spec(cls, time: TimeSpec) -> Timeline:
        """Build the hourly grid for the spec's window."""
        end_us = int(time.window_end.timestamp()) * US_PER_S
        start_us = end_us - time.window_days * 24 * US_PER_HOUR
        edges = np.arange(start_us, end_us + 1, US_PER_HOUR, dtype=np.int64)
        hours = edges[:-1] // US_PER_HOUR
        weekday = (hours // 24 + _EPOCH_MONDAY_OFFSET_DAYS) % 7
        intensity = np.asarray(time.hour_profile)[hours % 24] * np.asarray(time.weekday_profile)[weekday]
        cumulative = np.concatenate([[0.0], np.cumsum(intensity)])
        return cls(start_us, end_us, cumulative / cumulative[-1], edges)

    def to_us(self, u: np.ndarray) -> np.ndarray:
        """Real time (µs) of operational times ``u`` in [0, 1]; monotone non-decreasing."""
        return np.interp(u, self.cumulative, self.edges_us.astype(np.float64)).astype(np.int64)


def bursty_positions(rng: np.random.Generator, counts: np.ndarray, burst_p: float, ratio: float) -> np.ndarray:
    """Event positions in (0, 1] per group of ``counts`` events, from hyper-exponential gaps; last event at 1.

    Returns one float per event, groups concatenated in order; strictly increasing within a group.
    """
    total = int(counts.sum())
    gaps = rng.exponential(1.0, total) * np.where(rng.random(total) < burst_p, ratio, 1.0)
    csum = np.cumsum(gaps)
    ends = np.cumsum(counts) - 1
    starts = ends - counts + 1
    before = np.repeat(csum[starts] - gaps[starts], counts)
    span = np.repeat(csum[ends], counts) - before
    return (csum - before) / span


def strictly_increasing(times_us: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Nudge equal neighbours apart by 1 µs so times increase strictly within each group of ``counts``."""
    groups = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    rank = np.arange(times_us.size, dtype=np.int64)
    # Offsetting each group by a span larger than any time keeps the running maximum inside its group.
    base = int(times_us.min()) if times_us.size else 0
    spread = int(times_us.max() - base + times_us.size + 1) if times_us.size else 1
    shifted = (times_us - base) - rank + groups * spread
    return np.maximum.accumulate(shifted) - groups * spread + rank + base
