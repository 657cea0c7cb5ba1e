"""Arrival times: conversations as sessions, session starts warped onto the window by the diurnal and weekday profile.

Operational time u in [0, 1] has uniform intensity; ``Timeline.to_us`` maps it to real time so that the density of
events follows hour_profile × weekday_profile. Times are int64 microseconds since the Unix epoch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthcore.generate.draws import draw
from synthcore.spec.distribution import Sessions, TimeSpec

US_PER_S = 1_000_000
US_PER_HOUR = 3600 * US_PER_S
_EPOCH_MONDAY_OFFSET_DAYS = 3  # 1970-01-01 was a Thursday (weekday 3 with Monday = 0)
_FIT = 0.999  # share of the window a conversation's lifetime may fill (keeps the last message inside the window)


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

    @property
    def slowest_pace(self) -> float:
        """The least real time per unit of operational time, as a share of the window's mean (<= 1)."""
        return float(1.0 / (np.diff(self.cumulative).max() * (self.cumulative.size - 1)))

    def to_us(self, u: np.ndarray) -> np.ndarray:
        """Real time (µs) of operational times ``u`` in [0, 1]; monotone non-decreasing."""
        return np.interp(u, self.cumulative, self.edges_us.astype(np.float64)).astype(np.int64)


def session_times(rng: np.random.Generator, counts: np.ndarray, sessions: Sessions, timeline: Timeline) -> np.ndarray:
    """Message times (µs) for conversations of ``counts`` messages, groups concatenated, strictly increasing in each.

    Each conversation's gaps come from its size class. Gaps above ``break_s`` separate sessions and are spent in
    operational time, so session starts follow the hour × weekday profile; gaps inside a session are real time, and
    a session's own duration is reserved in operational time before the next session starts (none overlap).
    A conversation starts at a uniform operational time that leaves room for its lifetime; one whose sessions
    would not fit in the window has its between-session gaps shrunk to fit (and its time inside sessions, beyond
    half the window: a giant room of a small band).
    """
    total = int(counts.sum())
    starts = np.cumsum(counts) - counts
    conv_of = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    first = np.zeros(total, dtype=bool)
    first[starts] = True
    mins = np.array([c.min_messages for c in sessions.by_size])
    size_class = np.searchsorted(mins, counts, side="right") - 1
    gaps = np.zeros(total)
    for k, gap_class in enumerate(sessions.by_size):  # a handful of size classes, not rows
        rows = ranges(starts[size_class == k] + 1, counts[size_class == k] - 1)  # all but each first message
        gaps[rows] = draw(gap_class.gaps_s, rng, rows.size)
    window_s = (timeline.end_us - timeline.start_us) / US_PER_S
    between = gaps > sessions.break_s
    within_us = np.where(between, 0.0, gaps * US_PER_S)
    # Sessions take operational time at the profile's slowest pace (no stretch of operational time maps to less real
    # time), so a session never runs into the next one; together they take at most half the window (a giant room of a
    # small band is squeezed), gaps between sessions at most the rest.
    to_op = 1.0 / (US_PER_S * window_s * timeline.slowest_pace)
    within_op = np.bincount(conv_of, within_us, counts.size) * to_op
    squeeze = np.minimum(1.0, 0.5 * _FIT / np.maximum(within_op, 1e-300))
    within_us *= squeeze[conv_of]
    room = _FIT - within_op * squeeze
    gap_op = np.where(between, gaps / window_s, 0.0)
    span = np.bincount(conv_of, gap_op, counts.size)
    shrink = np.where(span > room, room / np.maximum(span, 1e-300), 1.0)
    session = np.cumsum(first | between) - 1
    session_op = np.bincount(session, within_us) * to_op
    # operational time from one session start to the next: the session before, then the (shrunk) gap
    step = np.where(between, gap_op * shrink[conv_of] + session_op[session - 1], 0.0)
    u0 = rng.random(counts.size) * np.maximum(room - span * shrink, 0.0)
    csum = np.cumsum(step)
    op = u0[conv_of] + csum - np.repeat(csum[starts], counts)
    session_start = np.flatnonzero(first | between)
    wsum = np.cumsum(within_us)
    offset = wsum - np.repeat(wsum[session_start], np.diff(np.append(session_start, total)))
    times = np.minimum(timeline.to_us(op) + offset.astype(np.int64), timeline.end_us - 1)
    return strictly_increasing(times, counts)


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The concatenated ranges ``starts[i] .. starts[i] + lengths[i] - 1``, ascending when the ranges are."""
    ends = np.cumsum(lengths)
    return np.arange(int(ends[-1]) if ends.size else 0) + np.repeat(starts - (ends - lengths), lengths)


def strictly_increasing(times_us: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Nudge equal neighbours apart by 1 µs so times increase strictly within each group of ``counts``."""
    groups = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    rank = np.arange(times_us.size, dtype=np.int64)
    # Offsetting each group by a span larger than any time keeps the running maximum inside its group.
    base = int(times_us.min()) if times_us.size else 0
    spread = int(times_us.max() - base + times_us.size + 1) if times_us.size else 1
    shifted = (times_us - base) - rank + groups * spread
    return np.maximum.accumulate(shifted) - groups * spread + rank + base
