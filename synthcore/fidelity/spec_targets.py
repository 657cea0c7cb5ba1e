"""Targets from a DistributionSpec: the distributions the generator draws, in closed form.

They follow ``synthcore.generate`` exactly: power-law message counts allocated to the dataset's totals with a
separate heavy-room component (the plan's effective cut-offs), integer draws rounded down, the hyper-exponential
read-delay mixture, and the hourly intensity of the window. Readers per GROUP message are expected given the
observed group sizes (the generator caps readers at the other members). Messages per user and real-time gaps have
no closed form; their expectation is a simulation of the generator's draws (``simulated``), on the metrics
pack's bins.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from synthcore.fidelity.simulated import SIMULATION_SEED, SimulatedShape, simulate_shape
from synthcore.fidelity.targets import CategoryTarget, NumericTarget, ScalarTarget, Targets
from synthcore.generate.draws import power_law_mean
from synthcore.generate.plan import build_plan, heavy_alpha, message_sizes
from synthcore.generate.timeline import US_PER_HOUR, Timeline
from synthcore.spec.bands import Counts
from synthcore.spec.distribution import DEVICE_TYPES, MEDIA_TYPES, MIME_TYPES, DistributionSpec, LogNormal, PowerLaw
from synthcore.spec.io import model_sha256
from synthcore.spec.metrics_pack import ACTIVITY_EDGES, SESSION_BREAK_S, TIME_EDGES_S
from synthcore.stats.distances import bin_masses
from synthcore.stats.laws import (
    below,
    binomial_cdf,
    cdf,
    discrete_quantiles,
    integer_edges,
    masses_from_below,
    read_delay_cdf,
)

# Percentile checks (relative error) for the two heavy-tailed message metrics; the other distributions are
# checked by KS only, as their small-integer quantiles jump by whole units between neighbouring samples.
SPEC_QUANTILES = (0.5, 0.95, 0.99)
# Read-delay buckets of the issue: within 30 s, within 1 h, longer.
DELAY_BUCKET_EDGES_S = (0.0, 30.0, 3600.0)
# Monte Carlo targets: each simulated dataset has the data's own counts up to this many messages (scaling down
# changes the heavy rooms and cut-offs, which shifts gaps and per-user counts), and small datasets are simulated
# several times until about POOLED_MESSAGES messages are pooled. Gaps and messages per user are dominated by the
# few busiest conversations, so even two full-size datasets of one spec differ by KS ~0.05-0.1 on these two.
SIMULATED_MESSAGES = 5_000_000
POOLED_MESSAGES = 2_000_000
MAX_SIMULATIONS = 10
# A component's sizes stretched by more than this (``body_scale``, ``heavy_scale``) are reported as bent by the band.
BENT_SCALE = 0.01
# The plan's effective cut-offs depend on (spec, counts) only; any fixed seed yields them.
_PLAN_SEED = "fidelity-target"


def _quantiles(edges: NDArray[np.float64], masses: NDArray[np.float64]) -> dict[float, float]:
    return dict(zip(SPEC_QUANTILES, discrete_quantiles(edges, masses, SPEC_QUANTILES), strict=True))


def messages_per_conversation(
    spec: DistributionSpec, counts: Counts
) -> tuple[NumericTarget, ScalarTarget, dict[str, str]]:
    """Expected messages per conversation (body + heavy rooms) and the share of messages in heavy-size rooms.

    The plan's sizes are the laws' quantiles shared out to the band's totals (``message_sizes``): a closed form of
    (spec, counts), the same for every seed. Where the band cannot hold a law's mean, sharing out stretches the law
    (``body_scale``); the target is the stretched law, as generated, and the returned notes name the stretch.
    """
    body, heavy, eff = message_sizes(spec, counts)
    law, hr = spec.messages.per_conversation, spec.messages.heavy_rooms
    # a component's mean over the law's own mean (beyond each law's minimum); a binned law's is its stretch itself
    stretch = {"body": eff["body_scale"]}
    if isinstance(law, PowerLaw):
        stretch["body"] = (body.mean() - 1.0) / (power_law_mean(law.alpha, law.xmin, eff["body_xmax"]) - 1.0)
    if heavy.size:
        heavy_mean = power_law_mean(heavy_alpha(spec), hr.min_messages, eff["heavy_xmax"])
        stretch["heavy-room"] = (heavy.mean() - hr.min_messages) / (heavy_mean - hr.min_messages)
    bent = {
        f"messages_per_conversation ({part})": (
            f"the band's mean of {sizes.mean():.0f} messages per {part} conversation is not the law's: the law is"
            f" stretched x{stretch[part]:.3g}, and the target is the stretched law, as generated"
        )
        for part, sizes in (("body", body), ("heavy-room", heavy))
        if part in stretch and abs(stretch[part] - 1.0) > BENT_SCALE
    }
    sizes = np.concatenate([body, heavy]).astype(np.float64)
    edges = integer_edges(0, float(sizes.max()) * 1.5 + 2)
    masses = bin_masses(sizes, np.ones(sizes.size), [*edges, np.inf])
    numeric = NumericTarget(
        "messages_per_conversation", "messages_per_conversation", edges, masses, quantiles=_quantiles(edges, masses)
    )
    min_messages = spec.messages.heavy_rooms.min_messages
    share = float(sizes[sizes >= min_messages].sum()) / counts.messages
    scalar = ScalarTarget("heavy_room_message_share", "heavy_room_message_share", share, min_messages=min_messages)
    return numeric, scalar, bent


def _integer_target(
    name: str, metric: str, dist_below: NDArray[np.float64], edges: NDArray[np.float64], with_quantiles: bool = True
) -> NumericTarget:
    masses = masses_from_below(dist_below)
    return NumericTarget(name, metric, edges, masses, quantiles=_quantiles(edges, masses) if with_quantiles else {})


def group_members(spec: DistributionSpec, n_users: int) -> NumericTarget:
    """Expected member rows per GROUP conversation (small and large kinds, capped at the user count)."""
    c = spec.conversations
    edges = integer_edges(0, 1100)
    group = c.type_mix.small_group + c.type_mix.large_group
    f = (
        c.type_mix.small_group * below(c.small_group_members, edges)
        + c.type_mix.large_group * below(c.large_group_members, edges)
    ) / group
    return _integer_target(
        "group_members", "group_members", np.where(edges > n_users, 1.0, f), edges, with_quantiles=False
    )


def group_readers(spec: DistributionSpec, sizes: dict[int, int]) -> NumericTarget:
    """Expected readers per GROUP message, given the observed member count of each GROUP message's conversation."""
    edges = integer_edges(0, 600)
    base = below(spec.read_receipts.group_readers, edges)
    total = sum(sizes.values())
    f = sum(n * np.where(edges > size - 1, 1.0, base) for size, n in sizes.items()) / total
    return _integer_target("group_readers", "group_readers", np.asarray(f), edges, with_quantiles=False)


def read_delays(spec: DistributionSpec) -> list[NumericTarget]:
    """Expected read-delay distribution (fine log bins) and its three buckets."""
    fine = np.concatenate([[0.0], np.geomspace(0.1, 3.0e6, 300)])
    buckets = np.asarray(DELAY_BUCKET_EDGES_S)
    return [
        NumericTarget(
            "read_delay_s", "read_delay_s", fine, masses_from_below(read_delay_cdf(spec.read_receipts.delay, fine))
        ),
        NumericTarget(
            "read_delay_buckets",
            "read_delay_s",
            buckets,
            masses_from_below(read_delay_cdf(spec.read_receipts.delay, buckets)),
            stat="tv",
        ),
    ]


def size_bytes(spec: DistributionSpec) -> list[NumericTarget]:
    """Expected attachment sizes per media type (log-normal, clipped, rounded down)."""
    out = []
    for media in MEDIA_TYPES:
        dist: LogNormal = spec.attachments.size_bytes[media]
        edges = np.unique(np.floor(np.geomspace(max(dist.min, 1.0), dist.max + 1, 300)))
        out.append(
            _integer_target(
                f"size_bytes.{media}", f"size_bytes.{media}", below(dist, edges), edges, with_quantiles=False
            )
        )
    return out


def time_profiles(spec: DistributionSpec) -> list[CategoryTarget]:
    """Expected message shares per UTC hour and weekday: the window's hourly intensity, summed."""
    tl = Timeline.from_spec(spec.time)
    intensity = np.diff(tl.cumulative)
    hours = tl.edges_us[:-1] // US_PER_HOUR
    weekday = (hours // 24 + 3) % 7  # 1970-01-01 was a Thursday
    by_hour = np.bincount(hours % 24, weights=intensity, minlength=24)
    by_day = np.bincount(weekday, weights=intensity, minlength=7)
    return [
        CategoryTarget(
            "hour_of_day", "hour_of_day", {str(h): float(v) for h, v in enumerate(by_hour)}, observed_units="sessions"
        ),
        CategoryTarget(
            "day_of_week",
            "day_of_week",
            {str(d): float(v) for d, v in enumerate(by_day)},
            observed_units="conversation_days",
        ),
    ]


def mixes(spec: DistributionSpec) -> list[CategoryTarget]:
    """Expected conversation kinds, message and media types, device and MIME mixes."""
    m, tm = spec.messages, spec.conversations.type_mix
    types = {"TEXT": 1 - m.media_share} | {t: m.media_share * getattr(m.media_mix, t) for t in MEDIA_TYPES}
    out = [
        CategoryTarget(
            "conversation_kind",
            "conversation_kind",
            {"direct": tm.direct, "small_group": tm.small_group, "large_group": tm.large_group},
        ),
        CategoryTarget("message_type", "message_type", types),
        CategoryTarget("media_type", "media_type", {t: getattr(m.media_mix, t) for t in MEDIA_TYPES}),
        CategoryTarget("device_type", "device_type", {d: getattr(spec.users.device_mix, d) for d in DEVICE_TYPES}),
    ]
    for media in MEDIA_TYPES:
        shares = spec.attachments.mime_types[media]
        out.append(
            CategoryTarget(
                f"mime_type.{media}", f"mime_type.{media}", {mime: shares.get(mime, 0.0) for mime in MIME_TYPES[media]}
            )
        )
    return out


def simulated_targets(spec: DistributionSpec, counts: Counts) -> list[NumericTarget]:
    """Messages per user and inter-arrival gaps, expected by simulating the generator (on the pack's bins).

    Small datasets are simulated several times with different seeds and pooled, so the expectation averages over
    the dataset-level randomness (which users land in a heavy room) instead of being one more draw of it.
    """
    repeats = min(MAX_SIMULATIONS, max(1, POOLED_MESSAGES // counts.messages))
    shapes = [simulate_shape(spec, counts, SIMULATED_MESSAGES, seed=f"{SIMULATION_SEED}-{i}") for i in range(repeats)]
    between = tuple(e for e in TIME_EDGES_S if e >= SESSION_BREAK_S)
    metrics: dict[str, tuple[Sequence[float], Callable[[SimulatedShape], NDArray[np.float64]]]] = {
        "messages_per_user": (ACTIVITY_EDGES, lambda s: s.messages_per_user),
        "inter_arrival_s": (TIME_EDGES_S, lambda s: s.gaps_s),
        "between_session_gap_s": (between, lambda s: s.gaps_s[s.gaps_s >= SESSION_BREAK_S]),
        "active_span_s": (TIME_EDGES_S, lambda s: s.spans_s),
    }
    out = []
    for name, (edges, values_of) in metrics.items():
        lower = np.asarray(edges, dtype=np.float64)
        masses = np.zeros(lower.size)
        for shape in shapes:
            values = values_of(shape)
            masses += bin_masses(values, np.ones(values.size), [*lower, np.inf])
        clustered = "conversations" if name != "messages_per_user" else None  # gaps and spans: per conversation
        out.append(NumericTarget(name, name, lower, masses, units=float(masses.sum()), observed_units=clustered))
    return out


def session_targets(spec: DistributionSpec, counts: Counts) -> list[NumericTarget]:
    """Gaps within sessions and sessions per conversation, in closed form from the gap laws of each size class.

    Gaps inside a session are real time, so their law is each class's below the session break, mixed by the gaps
    each class has in the plan. Sessions per conversation of n messages are 1 + Binomial(n - 1, q), q the class's
    share of gaps above the break (between-session gaps are warped onto the profile, which can move a gap just
    above the break below it: a small effect, well inside the tolerance).
    """
    sessions = spec.time.sessions
    n = build_plan(spec, counts, _PLAN_SEED).messages
    mins = np.array([c.min_messages for c in sessions.by_size])
    size_class = np.searchsorted(mins, n, side="right") - 1
    fine = np.concatenate([[0.0], np.geomspace(0.01, sessions.break_s, 300)])[:-1]
    within = np.zeros(fine.size)
    edges = integer_edges(1, float(n.max()) + 2)
    below_sessions = np.zeros(edges.size)
    for k, gap_class in enumerate(sessions.by_size):  # a few size classes
        in_class = size_class == k
        gaps = float((n[in_class] - 1).sum())
        q = 1.0 - float(cdf(gap_class.gaps_s, np.array([sessions.break_s]))[0])
        within += gaps * masses_from_below(cdf(gap_class.gaps_s, fine) / max(1.0 - q, 1e-12))
        sizes, repeats = np.unique(n[in_class], return_counts=True)
        # P(1 + B < e) = P(B <= e - 2) for every conversation size, weighted by how many conversations have it
        below_sessions += (repeats[:, None] * binomial_cdf(edges[None, :] - 2, sizes[:, None] - 1, q)).sum(axis=0)
    single = float((size_class < 0).sum())  # one message: one session
    below_sessions += single * (edges > 1)
    return [
        NumericTarget("within_session_gap_s", "within_session_gap_s", fine, within, observed_units="conversations"),
        NumericTarget(
            "sessions_per_conversation",
            "sessions_per_conversation",
            edges,
            masses_from_below(below_sessions / n.size),
        ),
    ]


def spec_targets(spec: DistributionSpec, counts: Counts, group_sizes: dict[int, int]) -> Targets:
    """Everything the spec determines about a dataset of ``counts`` entities.

    Args:
        spec: the spec the data was generated from.
        counts: the dataset's users, conversations and messages (the plan's cut-offs depend on them).
        group_sizes: observed member count → number of GROUP messages in conversations of that size.
    """
    per_conv, heavy, bent = messages_per_conversation(spec, counts)
    content = _integer_target(
        "content_length",
        "content_length",
        below(spec.messages.content_length, integer_edges(0, 2100)),
        integer_edges(0, 2100),
    )
    name_edges = integer_edges(0, 40)
    usernames = _integer_target(
        "username_length",
        "username_length",
        np.where(name_edges <= 3, 0.0, below(spec.users.username_length, name_edges)),
        name_edges,
        with_quantiles=False,
    )
    numeric = [per_conv, group_members(spec, counts.users), content, usernames, *read_delays(spec), *size_bytes(spec)]
    if group_sizes:
        numeric.append(group_readers(spec, group_sizes))
    m, p = spec.messages, spec.users.profile
    scalars = [
        heavy,
        ScalarTarget("direct_read_rate", "direct_read_rate", spec.read_receipts.direct_read_probability),
        # a conversation's first message cannot be a reply; a deleted message is never edited
        ScalarTarget("reply_share", "reply_share", m.reply_share * (1 - counts.conversations / counts.messages)),
        ScalarTarget("edited_share", "edited_share", m.edited_share * (1 - m.deleted_share)),
        ScalarTarget("deleted_share", "deleted_share", m.deleted_share),
        *(ScalarTarget(f"profile.{f}", f"profile.{f}", getattr(p, f)) for f in type(p).model_fields),
    ]
    numeric += simulated_targets(spec, counts) + session_targets(spec, counts)
    not_checked: dict[str, str] = {}
    if not group_sizes:
        not_checked["group_readers"] = "the dataset has no GROUP messages"
    simulated = [t.name for t in numeric if t.units is not None]
    return Targets(
        "spec",
        model_sha256(spec),
        numeric,
        [*mixes(spec), *time_profiles(spec)],
        scalars,
        not_checked,
        simulated,
        bent,
    )
