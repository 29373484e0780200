"""Strategies: where and when the money goes (budgets per channel, flights, pacing, messaging), plus plain rate
multipliers. Flights and rate-multiplier windows are whole days, so every change of rates falls on a day boundary.

A horizon shorter than the plan is a window on the same plan: flights and windows past it are clipped to it, and a
clipped channel keeps the money its pacing puts on the days inside the horizon (the daily spend is the plan's; the
budget shrinks), so a quick look at a year's plan sees that plan's first weeks, not a compressed version of it.
Each clipping leaves a one-line note in `Strategy.notes`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from journeysim.errors import ConfigError, check_keys, did_you_mean, name_list, number
from journeysim.interventions import pacing as pacing_options
from journeysim.interventions.media import PACINGS, pacing_profile


@dataclass(frozen=True)
class Flight:
    """Days [start, end) during which a channel spends."""

    start: int
    end: int


@dataclass(frozen=True)
class ChannelPlan:
    """One channel in a strategy: its budget over the horizon, flights, pacing and targeted stages."""

    channel: str
    budget: float
    flights: tuple[Flight, ...]
    pacing: str = "even"
    profile: tuple[float, ...] | None = None
    stages: tuple[str, ...] | None = None  # stage-targeted messaging: stages or funnel positions of the audience


@dataclass(frozen=True)
class RateMultiplier:
    """Multiply the rate `source -> target` by `factor` on days [start, end) ("what if we fix this stage")."""

    source: str
    target: str
    factor: float
    start: int
    end: int
    segments: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Strategy:
    """Where and when the money goes, plus plain rate multipliers; `notes` say what was clipped to the horizon."""

    name: str = "none"
    plans: tuple[ChannelPlan, ...] = ()
    rate_multipliers: tuple[RateMultiplier, ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)
    promise: float = 0.0  # expectations raised by pre-purchase messaging (journey.satisfaction; sd units)
    service: float = 0.0  # experience raised by service and onboarding (journey.satisfaction; sd units)

    @property
    def total_budget(self) -> float:
        return float(sum(p.budget for p in self.plans))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], horizon_days: int) -> Strategy:
        """Build from `{budget, allocation | budgets, flights, pacing, profile, messaging, rate_multipliers}`."""
        check_keys("strategy", data, KNOWN)
        flights_cfg = dict(data.get("flights") or {})
        per_flight = _flight_budgets(flights_cfg)
        budgets = _budgets(data, per_flight)
        pacing, profile, options = _pacing(data)
        messaging = dict(data.get("messaging") or {})
        for key, mapping in (("flights", flights_cfg), ("messaging", messaging)):
            for c in mapping:
                if c not in budgets:
                    raise ConfigError(
                        f"strategy.{key}.{c}",
                        f"channel '{c}' has no budget in this strategy",
                        "give it a budget or remove the entry",
                    )
        plans, notes = [], []
        planned = {c: _flights(c, flights_cfg.get(c), horizon_days) for c in budgets}
        weekly = {} if profile is not None else _weekly_profiles(pacing, options, planned)
        for c, b in budgets.items():
            flights = planned[c]
            msg = None if messaging.get(c) is None else name_list(messaging[c])
            weights = weekly.get(c, profile)
            if c in per_flight:  # each flight's own money, spread within it by the pacing
                weights = _per_flight_profile(c, pacing, weights, flights, per_flight[c])
            plan = ChannelPlan(c, float(b), flights, pacing, weights, msg)
            clipped = clip_plan(plan, horizon_days)
            if clipped is not plan:
                notes.append(
                    f"{c} (flights to day {max(f.end for f in flights)}: "
                    f"spends {clipped.budget:,.0f} of {plan.budget:,.0f})"
                )
            plans.append(clipped)
        mults = []
        for i, rm in enumerate(_rate_multipliers(data.get("rate_multipliers") or [], horizon_days)):
            if rm.end > horizon_days:
                notes.append(f"rate_multipliers[{i}] (window to day {rm.end})")
                if rm.start >= horizon_days:
                    continue
                rm = dataclasses.replace(rm, end=horizon_days)
            mults.append(rm)
        name = str(data.get("name") or "strategy")
        note = (
            () if not notes else (f"strategy '{name}' clipped to the {horizon_days}-day horizon: {'; '.join(notes)}",)
        )
        promise, service = (
            number(f"strategy.{k}", data.get(k, 0.0), low=-np.inf, fix=f"give strategy.{k} as a number (sd units)")
            for k in ("promise", "service")
        )
        return cls(name, tuple(plans), tuple(mults), note, promise, service)


def clip_plan(plan: ChannelPlan, horizon_days: int) -> ChannelPlan:
    """The part of `plan` inside the horizon (`plan` itself when it fits): flights cut at the horizon, the budget
    and daily weights its pacing puts on the days kept, so each kept day spends what the whole plan spends on it."""
    if all(f.end <= horizon_days for f in plan.flights):
        return plan
    days = np.concatenate([np.arange(f.start, f.end) for f in plan.flights])
    weights = pacing_profile(plan.pacing, days.size, plan.profile)[days < horizon_days]
    flights = tuple(Flight(f.start, min(f.end, horizon_days)) for f in plan.flights if f.start < horizon_days)
    profile = tuple(float(w) for w in weights) if weights.size else None
    budget = plan.budget * float(weights.sum()) if weights.size else 0.0
    return dataclasses.replace(plan, budget=budget, flights=flights, profile=profile)


KNOWN = (
    "name",
    "budget",
    "allocation",
    "budgets",
    "flights",
    "pacing",
    "profile",
    "messaging",
    "rate_multipliers",
    "description",
    "promise",
    "service",
)


def budgeted_profile(
    weights: NDArray[np.float64], flights: tuple[Flight, ...], budgets: tuple[float, ...]
) -> tuple[float, ...]:
    """Daily weights over the flights' days (concatenated in order) that put `budgets[i]` on flight i: each
    flight's part of `weights` rescaled to its budget's share of the total (a flight whose weights are all zero
    gets nothing; the caller checks that it was given nothing)."""
    total = float(sum(budgets))
    out, at = [], 0
    for f, b in zip(flights, budgets, strict=True):
        part = np.asarray(weights[at : at + f.end - f.start], dtype=float)
        at += f.end - f.start
        mass = float(part.sum())
        out.append(part * (b / mass / total) if mass > 0 and total > 0 else np.zeros(part.size))
    return tuple(float(w) for w in np.concatenate(out)) if out else ()


def _per_flight_profile(
    c: str, pacing: str, weights: tuple[float, ...] | None, flights: tuple[Flight, ...], budgets: tuple[float, ...]
) -> tuple[float, ...] | None:
    """The daily profile of a channel whose flights carry their own budgets (None when it spends nothing)."""
    days = sum(f.end - f.start for f in flights)
    base = pacing_profile(pacing, days, weights)
    at = 0
    for i, (f, b) in enumerate(zip(flights, budgets, strict=True)):
        if b > 0 and float(base[at : at + f.end - f.start].sum()) <= 0:
            raise ConfigError(
                f"strategy.flights.{c}[{i}].budget",
                f"the pacing puts no money on days {f.start}..{f.end} of this flight, so its budget cannot be spent",
                "give the flight budget 0, move the flight, or choose another pacing",
            )
        at += f.end - f.start
    return budgeted_profile(base, flights, budgets) if sum(budgets) > 0 else weights


def _flight_budgets(flights_cfg: Mapping[str, Any]) -> dict[str, tuple[float, ...]]:
    """`strategy.flights.<c>[i].budget`: each flight's own money, for channels whose flights all carry one."""
    out = {}
    for c, cfg in flights_cfg.items():
        items = [dict(f) for f in (cfg or [])]
        given = [("budget" in f) for f in items]
        if not any(given):
            continue
        if not all(given):
            i = given.index(False)
            raise ConfigError(
                f"strategy.flights.{c}[{i}].budget",
                "some flights of this channel carry a budget and this one does not",
                "give every flight of the channel a budget (money), or none and the channel a budget",
            )
        out[str(c)] = tuple(
            number(f"strategy.flights.{c}[{i}].budget", f["budget"], fix="give the flight's money, a number >= 0")
            for i, f in enumerate(items)
        )
    return out


def _budgets(data: Mapping[str, Any], per_flight: Mapping[str, tuple[float, ...]]) -> dict[str, float]:
    """Money per channel: explicit `budgets`, or `allocation` shares of the total `budget`; a channel whose flights
    carry budgets gets their sum."""
    allocation = dict(data.get("allocation") or {})
    budgets = dict(data.get("budgets") or {})
    if per_flight and allocation:
        raise ConfigError(
            f"strategy.flights.{next(iter(per_flight))}",
            "flights carry their own budgets, but the strategy splits its money by allocation shares",
            "give the other channels' money as strategy.budgets instead of strategy.allocation",
        )
    if allocation and budgets:
        raise ConfigError(
            "strategy.budgets",
            "both allocation shares and explicit budgets are given",
            "use either strategy.allocation (shares of strategy.budget) or strategy.budgets",
        )
    if allocation:
        total = number("strategy.budget", data.get("budget", 0.0), fix="give the total budget (money) >= 0")
        shares = {
            c: number(f"strategy.allocation.{c}", s, high=1.0, fix="give a share in [0, 1]")
            for c, s in allocation.items()
        }
        if abs(sum(shares.values()) - 1.0) > 1e-6:
            raise ConfigError(
                "strategy.allocation",
                f"shares sum to {sum(shares.values()):.6g}, not 1",
                "make the shares add up to 1 (e.g. 0.5, 0.3, 0.2)",
            )
        budgets = {c: total * s for c, s in shares.items()}
    else:
        budgets = {c: number(f"strategy.budgets.{c}", b, fix="give a budget (money) >= 0") for c, b in budgets.items()}
        for c, parts in per_flight.items():
            if c in budgets and abs(budgets[c] - sum(parts)) > 1e-6 * max(1.0, sum(parts)):
                raise ConfigError(
                    f"strategy.budgets.{c}",
                    f"is {budgets[c]:g}, but the channel's flights carry {sum(parts):g}",
                    f"drop strategy.budgets.{c} (the flights carry the money) or make them agree",
                )
            budgets[c] = float(sum(parts))
        if data.get("budget") not in (None, 0, 0.0) and abs(sum(budgets.values()) - float(data["budget"])) > 1e-6:
            raise ConfigError(
                "strategy.budget",
                f"channel budgets sum to {sum(budgets.values()):g}, not the total {data['budget']}",
                "drop strategy.budget or make them agree",
            )
    return budgets


def _pacing(data: Mapping[str, Any]) -> tuple[str, tuple[float, ...] | None, dict[str, Any] | None]:
    """The registered pacing name, the optional daily `profile` that overrides it, and the options of a pacing
    written as a mapping (`{kind: pulsing, low: 0.2}`; None when written as a name)."""
    raw = data.get("pacing", "even")
    options = None
    if isinstance(raw, Mapping):
        options = {str(k): v for k, v in raw.items() if k != "kind"}
        raw = raw.get("kind", "even")
    pacing = str(raw)
    if pacing not in PACINGS:
        raise ConfigError(
            "strategy.pacing",
            f"unknown pacing '{pacing}'{did_you_mean(pacing, PACINGS)}",
            f"use one of {', '.join(PACINGS)}, or give strategy.profile",
        )
    if options is not None:
        options = pacing_options.check_options(pacing, options)
    profile = data.get("profile")
    if profile is not None:
        prof = tuple(number("strategy.profile", x, fix="give non-negative daily weights") for x in profile)
        if not prof or sum(prof) <= 0:
            raise ConfigError(
                "strategy.profile",
                "the daily profile has no positive weight",
                "give non-negative daily weights with a positive sum",
            )
        profile = prof
    return pacing, profile, options


def _weekly_profiles(
    pacing: str, options: dict[str, Any] | None, flights: Mapping[str, tuple[Flight, ...]]
) -> dict[str, tuple[float, ...]]:
    """Each channel's daily weights over its planned flight days for the weekly pacings (flighted, pulsing,
    random), resolved once here so that removing a channel leaves the others' money as it was; random weights
    come from one stream per channel spawned from `strategy.pacing.seed` (default 0)."""
    if pacing not in pacing_options.OPTIONS:
        return {}
    opts = dict(options or {})
    streams = np.random.SeedSequence(int(opts.pop("seed", 0))).spawn(len(flights))
    out = {}
    for i, (c, fl) in enumerate(flights.items()):
        days = sum(f.end - f.start for f in fl)
        out[c] = tuple(float(w) for w in pacing_options.resolve(pacing, opts, days, i, streams[i]))
    return out


def _flights(c: str, cfg: Any, horizon_days: int) -> tuple[Flight, ...]:
    """`strategy.flights.<c>`: whole-day windows, as planned (the whole horizon when none are given); the part
    past the horizon is clipped by `clip_plan`."""
    flights = []
    for i, f in enumerate(cfg or [{"start": 0, "end": horizon_days}]):
        f = dict(f)
        check_keys(f"strategy.flights.{c}[{i}]", f, ("start", "end", "budget"))
        start, end = f.get("start", 0), f.get("end", horizon_days)
        s = f"strategy.flights.{c}[{i}]"
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
            raise ConfigError(
                s,
                f"flight days {start!r}..{end!r} are not whole days",
                "give start and end as whole days, e.g. {start: 0, end: 90}",
            )
        if start < 0 or end <= start:
            raise ConfigError(s, f"the flight ends (day {end}) before it starts (day {start})", "give 0 <= start < end")
        flights.append(Flight(int(start), int(end)))
    return tuple(flights)


def _rate_multipliers(cfg: Any, horizon_days: int) -> tuple[RateMultiplier, ...]:
    """`strategy.rate_multipliers`: a factor on one transition over a whole-day window, optionally per segment (as
    written; `Strategy.from_dict` clips windows past the horizon)."""
    mults = []
    for i, m in enumerate(cfg):
        m = dict(m)
        s = f"strategy.rate_multipliers[{i}]"
        check_keys(s, m, ("from", "to", "factor", "start", "end", "segments"))
        start, end = m.get("start", 0), m.get("end", horizon_days)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)) or start < 0 or end <= start:
            raise ConfigError(
                f"{s}.end",
                f"window {start!r}..{end!r} is not whole days with 0 <= start < end",
                "give whole days, e.g. start: 0, end: 30",
            )
        for k in ("from", "to"):
            if k not in m:
                raise ConfigError(f"{s}.{k}", "is missing", "name the transition, e.g. from: intent, to: purchase")
        segs = m.get("segments")
        mults.append(
            RateMultiplier(
                str(m["from"]),
                str(m["to"]),
                number(f"{s}.factor", m.get("factor", 1.0), fix="give a factor >= 0 (1 = unchanged)"),
                int(start),
                int(end),
                None if segs is None else name_list(segs),
            )
        )
    return tuple(mults)
