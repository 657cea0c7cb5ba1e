"""Fit a DistributionSpec to a MetricsPack: every generator parameter the pack informs, with a fit report.

``calibrate_spec`` starts from a base spec and replaces each parameter the pack can estimate. Fits are binned
maximum likelihood on the published cells (``estimators``); mixes and rates are ratios of counts, inverted
through what the generator does (a first message is never a reply, a deleted message is never edited, ...);
the activity exponent is found by simulation (``activity``). Parameters whose cells were suppressed keep the
base value and are listed, with the reason, in the report.

Each spec section is fitted by its own function, which returns the typed section (``MessagesSpec``, ``TimeSpec``,
...) built from the base's and writes what it fitted, how and how well, to a ``FitLog``: the fit report.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from synthcore.artifacts import check_writable_dir, write_json_atomic
from synthcore.calibrate import estimators as est
from synthcore.calibrate import laws
from synthcore.calibrate.activity import fit_activity_alpha
from synthcore.errors import InputError, SpecError
from synthcore.spec.bands import Counts
from synthcore.spec.calibration import CalibrationReport, FittedParameter
from synthcore.spec.distribution import (
    DEVICE_TYPES,
    MEDIA_TYPES,
    MESSAGE_TYPES,
    MIME_TYPES,
    AttachmentsSpec,
    Binned,
    ConversationMix,
    ConversationsSpec,
    DeviceMix,
    DistributionSpec,
    GapClass,
    Geometric,
    HeavyRooms,
    Histogram,
    LogNormal,
    MediaMix,
    MessagesSpec,
    PowerLaw,
    ProfileCompleteness,
    ReadDelay,
    ReadReceiptsSpec,
    Sessions,
    TimeSpec,
    UsersSpec,
)
from synthcore.spec.io import load_model, model_sha256
from synthcore.spec.metrics_pack import (
    GAP_SIZE_CLASS_EDGES,
    GAP_SIZE_CLASS_FIELDS,
    SESSION_BREAK_S,
    SMALL_GROUP_MAX_MEMBERS,
    TIME_EDGES_S,
    MetricsPack,
)
from synthcore.stats.cells import cells, share
from synthcore.stats.laws import read_delay_cdf

KINDS = ("direct", "small_group", "large_group")
NO_HEAVY_SHARE = 0.02
"""When the heavy-room bins are suppressed and the bins below them hold all but this share of messages, production
has no heavy-room component worth modelling (its share is set to 0 instead of kept from the base)."""
DECIMALS = 4
"""Fitted values are rounded to this many decimals: more would be noise, and the spec stays readable."""
T = TypeVar("T")


class FitLog:
    """The fit report being written: each fitted parameter with its source and method, and what kept the base."""

    def __init__(self) -> None:
        self.params: list[FittedParameter] = []
        self.kept: dict[str, str] = {}

    def report(self, name: str, value: float | list[float], source: str, method: str, fit: est.Fit | None) -> None:
        """Add a fitted parameter to the report."""
        self.params.append(
            FittedParameter(
                name=name,
                value=value,
                source=source,
                method=method,
                goodness_ks=None if fit is None else round(fit.ks, DECIMALS),
                units=None if fit is None else fit.units,
            )
        )

    def value(self, name: str, value: float, source: str, method: str, fit: est.Fit | None = None) -> float:
        """Report a fitted number rounded to DECIMALS and return it as reported."""
        value = round(value, DECIMALS)
        self.report(name, value, source, method, fit)
        return value

    def law(self, name: str, chosen: laws.Chosen, source: str) -> laws.Chosen:
        """Report a chosen law: its main parameters, how it was chosen and every candidate's KS distance."""
        law = chosen.law
        if isinstance(law, Binned):
            shown = [float(len(law.edges)), law.tail_alpha]
        elif isinstance(law, LogNormal):
            shown = [law.mu, law.sigma]
        else:
            shown = [law.alpha, law.xmin]
        self.params.append(
            FittedParameter(
                name=name,
                value=shown,
                source=source,
                method=f"{law.kind} law, {chosen.method}",
                goodness_ks=round(chosen.ks, DECIMALS),
                units=chosen.units,
                candidates=chosen.candidates,
            )
        )
        return chosen

    def shares(self, name: str, shares: dict[str, float] | None, source: str) -> dict[str, float] | None:
        """Report shares of counts and return them rounded and summing to exactly 1; None (kept) when suppressed."""
        if shares is None:
            self.kept[name] = f"{source}: every cell is suppressed"
            return None
        rounded = {
            label: self.value(f"{name}.{label}", share, source, "share of counts") for label, share in shares.items()
        }
        total = sum(rounded.values())
        return {label: share / total for label, share in rounded.items()}

    def attempt(self, name: str, fit: Callable[[], T], base: T) -> T:
        """Return ``fit()``; a fit the pack cannot support returns ``base``, with the reason in the report."""
        try:
            return fit()
        except InputError as exc:
            self.kept[name] = str(exc)
            return base


def _unaccounted_message_share(
    edges: np.ndarray, conversations: np.ndarray, messages: np.ndarray, threshold: float, total: float
) -> float:
    """Share of the window's messages not in the bins below ``threshold``: what heavy rooms can at most carry.

    A bin whose message sum is suppressed (dominance) but whose conversation count is published is estimated at
    its conversations times the bin's geometric middle.
    """
    below = edges < threshold
    upper = np.append(edges[1:], edges[-1])
    middle = np.sqrt(np.maximum(edges, 1.0) * np.maximum(upper, 1.0))
    estimated = np.where(np.isnan(messages), np.nan_to_num(conversations) * middle, messages)
    return float(max(0.0, 1.0 - np.nansum(estimated[below]) / total))


def _messages(pack: MetricsPack, base: DistributionSpec, log: FitLog) -> MessagesSpec:
    per, spec = pack.messages.per_conversation, base.messages
    edges = np.asarray(per.conversations.EDGES, dtype=np.float64)
    counts = cells(per.conversations.counts)
    threshold = spec.heavy_rooms.min_messages
    source = "messages.per_conversation.conversations"

    def body() -> PowerLaw | Binned:
        positive = edges[(edges >= 1) & (np.nan_to_num(counts) > 0)]
        if not positive.size:
            raise InputError(f"{source}: no published bin holds a conversation")
        # the generator's body starts at xmin, so the smallest published message count is the estimate
        xmin = float(positive[0])
        fit = est.fit_power_law(edges, counts, xmin, rounding=0.5, upper=threshold, what="messages per conversation")
        power = PowerLaw(alpha=round(fit.params[0], DECIMALS), xmin=xmin)
        below_heavy = np.where(edges < threshold, counts, 0.0)
        empirical = laws.empirical_law(edges, below_heavy, 1.0, float(threshold), "messages per conversation")
        chosen = log.law(
            "messages.per_conversation", laws.choose(("power_law", power, fit), empirical, edges, below_heavy), source
        )
        if isinstance(chosen.law, LogNormal):
            raise InputError(f"{source}: a log-normal law is not a message count law")  # not a candidate here
        return chosen.law

    per_conversation = log.attempt("messages.per_conversation", body, spec.per_conversation)
    cl = spec.content_length
    hist = pack.messages.content_length.histogram
    lo, hi = (cl.min, cl.max) if isinstance(cl, LogNormal) else (1.0, float(hist.EDGES[-1]))

    def content() -> PowerLaw | LogNormal | Binned:
        counts = cells(hist.counts)
        fit = est.fit_lognormal(hist.EDGES, counts, lo, hi, "content length")
        lognormal = LogNormal(mu=round(fit.params[0], DECIMALS), sigma=round(fit.params[1], DECIMALS), min=lo, max=hi)
        empirical = laws.empirical_law(hist.EDGES, counts, 1.0, hi, "content length")
        chosen = laws.choose(("lognormal", lognormal, fit), empirical, hist.EDGES, counts)
        return log.law("messages.content_length", chosen, "messages.content_length.histogram").law

    content_length = log.attempt("messages.content_length", content, spec.content_length)
    prior = {"TEXT": 1 - spec.media_share} | {t: spec.media_share * getattr(spec.media_mix, t) for t in MEDIA_TYPES}
    types = est.shares(pack.messages.types.model_dump(), MESSAGE_TYPES, pack.entities.messages_in_window, prior)
    media_share, media_mix = spec.media_share, spec.media_mix
    if types is None or types["TEXT"] >= 1.0:
        log.kept["messages.media_share"] = "messages.types: every cell is suppressed, or there is no media"
    else:
        media_share = log.value("messages.media_share", 1.0 - types["TEXT"], "messages.types", "1 - TEXT share")
        media = {t: types[t] / (1.0 - types["TEXT"]) for t in MEDIA_TYPES}
        media_mix = MediaMix(**(log.shares("messages.media_mix", media, "messages.types") or media))
    return MessagesSpec(
        per_conversation=per_conversation,
        heavy_rooms=_heavy_rooms(pack, spec.heavy_rooms, log),
        content_length=content_length,
        media_share=media_share,
        media_mix=media_mix,
        **_flags(pack, spec, log),
    )


def _heavy_rooms(pack: MetricsPack, base: HeavyRooms, log: FitLog) -> HeavyRooms:
    per, threshold = pack.messages.per_conversation, base.min_messages
    edges = np.asarray(per.conversations.EDGES, dtype=np.float64)
    counts, message_counts = cells(per.conversations.counts), cells(per.messages.counts)
    conv_heavy, msg_heavy = counts[edges >= threshold], message_counts[edges >= threshold]
    conversations, messages = pack.entities.conversations, pack.entities.messages_in_window
    suppressed = bool(np.isnan(conv_heavy).any() or np.isnan(msg_heavy).any())
    if suppressed and conversations and messages:
        unaccounted = _unaccounted_message_share(edges, counts, message_counts, threshold, messages)
        if unaccounted > NO_HEAVY_SHARE:
            log.kept["messages.heavy_rooms"] = (
                f"cells at or above {threshold} messages are suppressed and hold up to {unaccounted:.3f} of messages"
            )
            return base
        src, how = "messages.per_conversation.messages", f"bins below {threshold} hold all but {unaccounted:.3f}"
        conversation_share = log.value("messages.heavy_rooms.conversation_share", 0.0, src, how)
        message_share = log.value("messages.heavy_rooms.message_share", 0.0, src, how)
    elif suppressed or not conversations or not messages:
        log.kept["messages.heavy_rooms"] = f"cells at or above {threshold} messages are suppressed"
        return base
    else:
        src = "messages.per_conversation (bins >= min_messages)"
        conversation_share = log.value(
            "messages.heavy_rooms.conversation_share", float(conv_heavy.sum() / conversations), src, "share"
        )
        message_share = log.value(
            "messages.heavy_rooms.message_share", float(msg_heavy.sum() / messages), src, "share of messages"
        )
    return HeavyRooms(conversation_share=conversation_share, message_share=message_share, min_messages=threshold)


def _flags(pack: MetricsPack, base: MessagesSpec, log: FitLog) -> dict[str, float]:
    """Deleted, edited and reply shares, inverted through what the generator does (MessagesSpec field names)."""
    flags, n = pack.messages.flags, pack.entities.messages_in_window
    fitted = {"deleted_share": base.deleted_share, "edited_share": base.edited_share, "reply_share": base.reply_share}
    deleted = share(flags.deleted, n)
    conversations = pack.entities.conversations or 0
    src = "messages.flags"
    found = set()
    if deleted is not None:
        fitted["deleted_share"] = log.value("messages.deleted_share", deleted, src, "deleted / messages")
        found.add("deleted_share")
        edited = share(flags.edited, n)
        if edited is not None:
            rate = min(1.0, edited / (1 - deleted))
            fitted["edited_share"] = log.value("messages.edited_share", rate, src, "edited / non-deleted messages")
            found.add("edited_share")
    replies = share(flags.replies, n)
    if replies is not None and n and n > conversations:
        rate = min(1.0, replies / (1 - conversations / n))
        fitted["reply_share"] = log.value("messages.reply_share", rate, src, "replies / non-first messages")
        found.add("reply_share")
    for name in sorted(set(fitted) - found):
        log.kept[f"messages.{name}"] = "messages.flags: a count it needs is suppressed"
    return fitted


def _conversations(pack: MetricsPack, base: DistributionSpec, log: FitLog) -> ConversationsSpec:
    c, spec = pack.conversations, base.conversations
    edges, counts = c.group_members.EDGES, cells(c.group_members.counts)
    # A suppressed group kind (often by secondary suppression beside an empty one) is read off the group-size
    # histogram's published bins instead of being guessed from the base's mix.
    small_edge = np.asarray(edges) <= SMALL_GROUP_MAX_MEMBERS
    from_sizes = {"small_group": np.nansum(counts[small_edge]), "large_group": np.nansum(counts[~small_edge])}
    kinds = {k: from_sizes[k] if v is None and k in from_sizes else v for k, v in c.kinds.model_dump().items()}
    type_mix = log.shares(
        "conversations.type_mix",
        est.shares(kinds, KINDS, pack.entities.conversations, spec.type_mix.model_dump()),
        "conversations.kinds (suppressed group kinds: conversations.group_members)",
    )
    small, large = spec.small_group_members, spec.large_group_members
    src = "conversations.group_members"
    if isinstance(small, Geometric):
        geometric = small

        def fit_small() -> Geometric:
            fit = est.fit_geometric(edges, counts, geometric.min, geometric.max, "small group members")
            p = log.value("conversations.small_group_members.p", fit.params[0], src, "binned MLE, geometric", fit)
            return Geometric(**(geometric.model_dump() | {"p": p}))

        small = log.attempt("conversations.small_group_members", fit_small, small)
    else:
        log.kept["conversations.small_group_members"] = f"the base spec's small groups are a {small.kind}"
    if isinstance(large, PowerLaw):
        power = large

        def fit_large() -> PowerLaw:
            fit = est.fit_power_law_members(edges, counts, power, "large group members")
            alpha = log.value(
                "conversations.large_group_members.alpha", fit.params[0], src, "binned MLE, power law", fit
            )
            return PowerLaw(**(power.model_dump() | {"alpha": alpha}))

        large = log.attempt("conversations.large_group_members", fit_large, large)
    else:
        log.kept["conversations.large_group_members"] = f"the base spec's large groups are a {large.kind}"
    groups = (c.kinds.small_group or 0) + (c.kinds.large_group or 0)
    others = (c.group_memberships or 0) - groups  # the creator never leaves
    inactive = spec.inactive_member_share
    if c.inactive_group_memberships is not None and others > 0:
        inactive = log.value(
            "conversations.inactive_member_share",
            min(1.0, c.inactive_group_memberships / others),
            "conversations.inactive_group_memberships",
            "inactive / non-creator group memberships",
        )
    else:
        log.kept["conversations.inactive_member_share"] = "group membership counts are suppressed"
    return ConversationsSpec(
        type_mix=spec.type_mix if type_mix is None else ConversationMix(**type_mix),
        small_group_members=small,
        large_group_members=large,
        inactive_member_share=inactive,
    )


def _time(pack: MetricsPack, base: DistributionSpec, log: FitLog) -> TimeSpec:
    t, spec = pack.timing, base.time
    log.report("time.window_days", pack.window_days, "window_days", "the pack's window", None)
    end_day = int(spec.window_end.timestamp() // 86400)
    days = np.arange(end_day - pack.window_days, end_day)
    exposure = np.bincount((days + 3) % 7, minlength=7)  # 1970-01-01 was a Thursday; Monday = 0

    def profile(name: str, source: str, method: str, fit: Callable[[], list[float]]) -> Callable[[], list[float]]:
        def reported() -> list[float]:
            values = fit()
            log.report(name, values, source, method, None)
            return values

        return reported

    hours = profile(
        "time.hour_profile",
        "timing.hour_of_day",
        "messages per hour, relative to the mean",
        lambda: est.relative_profile(t.hour_of_day),
    )
    weekdays = profile(
        "time.weekday_profile",
        "timing.day_of_week",
        "messages per weekday / days of that weekday in the window, relative to the mean",
        lambda: est.relative_profile(t.day_of_week, exposure),
    )
    return TimeSpec(
        window_end=spec.window_end,
        window_days=pack.window_days,
        hour_profile=log.attempt("time.hour_profile", hours, spec.hour_profile),
        weekday_profile=log.attempt("time.weekday_profile", weekdays, spec.weekday_profile),
        sessions=log.attempt("time.sessions", lambda: _sessions(pack, log), spec.sessions),
    )


def _sessions(pack: MetricsPack, log: FitLog) -> Sessions:
    """One empirical gap law per conversation size class.

    A class with too few published gaps (its cells had fewer than k senders) gets the law of the gaps the published
    classes leave unexplained: the pooled gap histogram minus theirs, bin by bin. Failing that, the next smaller
    class's law (the smallest class: the pooled gaps).
    """
    window_s = float(pack.window_days * 86_400)
    pooled = cells(pack.timing.interarrival.counts)

    def law_of(counts: np.ndarray, what: str) -> laws.Chosen:
        law = laws.empirical_law(TIME_EDGES_S, counts, 0.0, window_s, what)
        return laws.choose(None, law, TIME_EDGES_S, counts)

    fitted: dict[str, laws.Chosen] = {}
    explained = np.zeros(pooled.size)
    for name in GAP_SIZE_CLASS_FIELDS:
        counts = cells(getattr(pack.timing.gaps_by_size, name).counts)
        try:
            fitted[name] = law_of(counts, f"gaps of timing.gaps_by_size.{name}")
            explained += np.nan_to_num(counts)
        except InputError as exc:
            log.kept[f"time.sessions.by_size.{name}"] = f"{exc}; uses the gaps the published classes leave unexplained"
    residual: laws.Chosen | None = None
    with contextlib.suppress(InputError):  # too few unexplained gaps: the next smaller class's law is used
        residual = law_of(np.maximum(pooled - explained, 0.0), "gaps unexplained by the published size classes")
    previous = law_of(pooled, "timing.interarrival")
    classes = []
    for name, min_messages in zip(GAP_SIZE_CLASS_FIELDS, GAP_SIZE_CLASS_EDGES, strict=True):
        chosen = fitted.get(name) or residual or previous
        if not isinstance(chosen.law, Binned):
            raise InputError(f"time.sessions: the gap law of {name} is not binned")  # only binned candidates
        classes.append(GapClass(min_messages=min_messages, gaps_s=chosen.law))
        source = f"timing.gaps_by_size.{name}" if name in fitted else "timing.interarrival - published classes"
        log.law(f"time.sessions.by_size.{name}.gaps_s", chosen, source)
        previous = chosen
    return Sessions(break_s=SESSION_BREAK_S, by_size=classes)


def _read_receipts(pack: MetricsPack, base: DistributionSpec, log: FitLog) -> ReadReceiptsSpec:
    r, spec = pack.read_receipts, base.read_receipts
    direct = share(r.direct_messages_read, r.direct_messages)
    probability = spec.direct_read_probability
    if direct is None:
        log.kept["read_receipts.direct_read_probability"] = "direct message counts are suppressed"
    else:
        probability = log.value(
            "read_receipts.direct_read_probability",
            direct,
            "read_receipts.direct_messages_read",
            "read / DIRECT messages",
        )
    readers = spec.group_readers
    if isinstance(readers, Geometric):
        geometric = readers

        def fit_readers() -> Geometric:
            edges, counts = r.group_readers.EDGES, cells(r.group_readers.counts)
            fit = est.fit_geometric(edges, counts, geometric.min, geometric.max, "group readers")
            p = log.value(
                "read_receipts.group_readers.p",
                fit.params[0],
                "read_receipts.group_readers",
                "binned MLE, geometric (ignores the cap at the group's other members)",
                fit,
            )
            return geometric.model_copy(update={"p": p})

        readers = log.attempt("read_receipts.group_readers", fit_readers, readers)
    else:
        log.kept["read_receipts.group_readers"] = f"the base spec's group readers are a {readers.kind}"
    delay = log.attempt("read_receipts.delay", lambda: _read_delay(pack, spec.delay, log), spec.delay)
    return ReadReceiptsSpec(direct_read_probability=probability, group_readers=readers, delay=delay)


def _read_delay(pack: MetricsPack, d: ReadDelay, log: FitLog) -> ReadDelay:
    edges = np.asarray(TIME_EDGES_S, dtype=np.float64)

    def model(params: np.ndarray) -> ReadDelay:
        fast, medium_frac, mean, mu, sigma = (float(v) for v in params)
        slow = LogNormal(mu=mu, sigma=sigma, min=d.slow.min, max=d.slow.max)
        return ReadDelay(
            fast_share=fast,
            fast_max_s=d.fast_max_s,
            medium_share=(1 - fast) * medium_frac,
            medium_mean_s=mean,
            slow=slow,
        )

    x0 = [d.fast_share, d.medium_share / max(1 - d.fast_share, 1e-6), d.medium_mean_s, d.slow.mu, d.slow.sigma]
    bounds = [(0.0, 1.0), (0.0, 1.0), (1.0, 36_000.0), (5.0, 16.0), (0.05, 5.0)]
    fit = est.fit_binned(
        lambda p: read_delay_cdf(model(p), edges - 1e-9),
        cells(pack.read_receipts.delay.counts),
        x0,
        bounds,
        what="read delay",
    )
    fitted = model(np.asarray(fit.params))

    def reported(name: str, value: float) -> float:
        return log.value(
            f"read_receipts.delay.{name}", value, "read_receipts.delay", "binned MLE, fast/medium/slow mixture", fit
        )

    fast = reported("fast_share", fitted.fast_share)
    # rounding may push the sum a hair above 1
    medium = min(reported("medium_share", fitted.medium_share), 1.0 - fast)
    slow = fitted.slow.model_copy(
        update={"mu": reported("slow.mu", fitted.slow.mu), "sigma": reported("slow.sigma", fitted.slow.sigma)}
    )
    return ReadDelay(
        fast_share=fast,
        fast_max_s=d.fast_max_s,
        medium_share=medium,
        medium_mean_s=reported("medium_mean_s", fitted.medium_mean_s),
        slow=slow,
    )


def _users(pack: MetricsPack, base: DistributionSpec, log: FitLog) -> UsersSpec:
    """Profiles, devices and user names; the activity exponent is fitted afterwards, by simulating the whole spec."""
    u, users, spec = pack.users, pack.entities.users, base.users
    profile = spec.profile.model_dump()
    for field in profile:
        value = share(getattr(u.profile, field), users)
        if value is None:
            log.kept[f"users.profile.{field}"] = "the count is suppressed"
        else:
            profile[field] = log.value(
                f"users.profile.{field}", min(1.0, value), f"users.profile.{field}", "users with it / users"
            )
    devices = est.shares(u.devices.model_dump(), DEVICE_TYPES, users, spec.device_mix.model_dump())
    device_mix = log.shares("users.device_mix", devices, "users.devices")
    lengths = cells(u.username_length.counts)[:-1]  # the last bin is top-coded
    present = np.flatnonzero(np.nan_to_num(lengths) > 0)
    username_length = spec.username_length
    if present.size:
        lo, hi = int(present[0]), int(present[-1])
        weights = np.nan_to_num(lengths[lo : hi + 1])
        username_length = Histogram(edges=list(range(lo, hi + 2)), weights=[float(w / weights.sum()) for w in weights])
        log.report(
            "users.username_length",
            [float(lo), float(hi)],
            "users.username_length",
            "the published histogram, over these lengths",
            None,
        )
    else:
        log.kept["users.username_length"] = "users.username_length: every cell is suppressed"
    return UsersSpec(
        username_length=username_length,
        profile=ProfileCompleteness(**profile),
        device_mix=spec.device_mix if device_mix is None else DeviceMix(**device_mix),
        activity=spec.activity,
    )


def _attachments(pack: MetricsPack, base: DistributionSpec, log: FitLog) -> AttachmentsSpec:
    a, spec = pack.attachments, base.attachments
    mime_types, size_bytes = dict(spec.mime_types), dict(spec.size_bytes)
    for media in MEDIA_TYPES:
        published = est.shares(
            dict(getattr(a.mime_types, media)), MIME_TYPES[media], getattr(a.types, media), spec.mime_types[media]
        )
        mime_types[media] = (
            log.shares(f"attachments.mime_types.{media}", published, f"attachments.mime_types.{media}")
            or mime_types[media]
        )
        hist, dist = getattr(a.size_bytes, media), spec.size_bytes[media]

        def size(media: str = media, hist: Any = hist, dist: LogNormal = dist) -> LogNormal:
            fit = est.fit_lognormal(hist.EDGES, cells(hist.counts), dist.min, dist.max, f"{media} size")
            src, how = f"attachments.size_bytes.{media}", "binned MLE, clipped log-normal"
            mu = log.value(f"{src}.mu", fit.params[0], src, how, fit)
            return dist.model_copy(update={"mu": mu, "sigma": log.value(f"{src}.sigma", fit.params[1], src, how, fit)})

        size_bytes[media] = log.attempt(f"attachments.size_bytes.{media}", size, dist)
    return AttachmentsSpec(mime_types=mime_types, size_bytes=size_bytes)


def production_counts(pack: MetricsPack) -> Counts | None:
    """Users, conversations with a message in the window, and messages in the window; None when one is suppressed.

    The generator gives every conversation at least one message, so conversations silent in the window (bin 0 of
    messages per conversation) are not counted.
    """
    e = pack.entities
    if e.users is None or e.conversations is None or e.messages_in_window is None:
        return None
    silent = pack.messages.per_conversation.conversations.counts[0] or 0
    conversations = e.conversations - silent
    if e.messages_in_window < conversations or conversations < 1 or e.users < 2:
        return None
    return Counts(users=e.users, conversations=conversations, messages=e.messages_in_window)


def calibrate_spec(pack: MetricsPack, base: DistributionSpec) -> tuple[DistributionSpec, CalibrationReport]:
    """Fit ``base``'s parameters to ``pack``; return the calibrated spec and its fit report.

    Raises:
        SpecError: the fitted values do not form a valid spec (the message names the field).
    """
    log = FitLog()
    try:
        spec = DistributionSpec(
            spec_version=base.spec_version,
            blocks=base.blocks,
            messages=_messages(pack, base, log),
            conversations=_conversations(pack, base, log),
            time=_time(pack, base, log),
            read_receipts=_read_receipts(pack, base, log),
            users=_users(pack, base, log),
            attachments=_attachments(pack, base, log),
        )
    except ValueError as exc:
        raise SpecError("calibrated spec", [str(exc)]) from None
    counts = production_counts(pack)
    observed = cells(pack.users.messages_sent.counts)
    if counts is None or np.nansum(observed) < est.MIN_UNITS:
        log.kept["users.activity"] = "entity counts or messages per user are suppressed"
    else:
        alpha, ks = fit_activity_alpha(spec, counts, pack.users.messages_sent.EDGES, observed)
        fit = est.Fit((alpha,), ks, float(np.nansum(observed)))
        how = "simulated member and sender draws, exponent with the smallest KS distance"
        alpha = log.value("users.activity.alpha", alpha, "users.messages_sent", how, fit)
        activity = PowerLaw(**(spec.users.activity.model_dump() | {"alpha": alpha}))
        spec = spec.model_copy(update={"users": spec.users.model_copy(update={"activity": activity})})
    report = CalibrationReport(
        pack_sha256=model_sha256(pack),
        base_sha256=model_sha256(base),
        spec_sha256=model_sha256(spec),
        window_days=pack.window_days,
        production_counts=production_counts(pack),
        parameters=log.params,
        kept_from_base=log.kept,
    )
    return spec, report


def fit_report_path(spec_path: Path) -> Path:
    """Where the fit report of ``spec_path`` goes: beside it, ``<stem>.fit-report.json``."""
    return spec_path.with_name(f"{spec_path.stem}.fit-report.json")


def calibrate_files(metrics: Path, out: Path, base: Path) -> CalibrationReport:
    """Read a pack and a base spec, write the calibrated spec to ``out`` and its fit report beside it.

    Raises:
        SpecError: the pack or base spec is invalid.
        OutputError: the folder of ``out`` cannot be written (checked before fitting).
    """
    check_writable_dir(out.parent)
    spec, report = calibrate_spec(load_model(MetricsPack, metrics), load_model(DistributionSpec, base))
    write_json_atomic(out, spec)
    write_json_atomic(fit_report_path(out), report)
    return report
