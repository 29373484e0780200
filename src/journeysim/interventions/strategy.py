"""Strategies: where and when the money goes (budgets per channel, flights, pacing, messaging), plus plain rate
multipliers. Flights and rate-multiplier windows are whole days, so every change of rates falls on a day boundary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from journeysim.errors import ConfigError, check_keys, did_you_mean, name_list, number
from journeysim.interventions.media import PACINGS


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
    """Where and when the money goes, plus plain rate multipliers."""

    name: str = "none"
    plans: tuple[ChannelPlan, ...] = ()
    rate_multipliers: tuple[RateMultiplier, ...] = ()

    @property
    def total_budget(self) -> float:
        return float(sum(p.budget for p in self.plans))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], horizon_days: int) -> Strategy:
        """Build from `{budget, allocation | budgets, flights, pacing, profile, messaging, rate_multipliers}`."""
        check_keys("strategy", data, KNOWN)
        budgets = _budgets(data)
        pacing, profile = _pacing(data)
        flights_cfg = dict(data.get("flights") or {})
        messaging = dict(data.get("messaging") or {})
        for key, mapping in (("flights", flights_cfg), ("messaging", messaging)):
            for c in mapping:
                if c not in budgets:
                    raise ConfigError(
                        f"strategy.{key}.{c}",
                        f"channel '{c}' has no budget in this strategy",
                        "give it a budget or remove the entry",
                    )
        plans = []
        for c, b in budgets.items():
            flights = _flights(c, flights_cfg.get(c), horizon_days)
            msg = None if messaging.get(c) is None else name_list(messaging[c])
            plans.append(ChannelPlan(c, float(b), flights, pacing, profile, msg))
        mults = _rate_multipliers(data.get("rate_multipliers") or [], horizon_days)
        return cls(name=str(data.get("name") or "strategy"), plans=tuple(plans), rate_multipliers=mults)


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
)


def _budgets(data: Mapping[str, Any]) -> dict[str, float]:
    """Money per channel: explicit `budgets`, or `allocation` shares of the total `budget`."""
    allocation = dict(data.get("allocation") or {})
    budgets = dict(data.get("budgets") or {})
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
        if data.get("budget") not in (None, 0, 0.0) and abs(sum(budgets.values()) - float(data["budget"])) > 1e-6:
            raise ConfigError(
                "strategy.budget",
                f"channel budgets sum to {sum(budgets.values()):g}, not the total {data['budget']}",
                "drop strategy.budget or make them agree",
            )
    return budgets


def _pacing(data: Mapping[str, Any]) -> tuple[str, tuple[float, ...] | None]:
    """The registered pacing name and the optional daily `profile` that overrides it."""
    pacing = str(data.get("pacing", "even"))
    if pacing not in PACINGS:
        raise ConfigError(
            "strategy.pacing",
            f"unknown pacing '{pacing}'{did_you_mean(pacing, PACINGS)}",
            f"use one of {', '.join(PACINGS)}, or give strategy.profile",
        )
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
    return pacing, profile


def _flights(c: str, cfg: Any, horizon_days: int) -> tuple[Flight, ...]:
    """`strategy.flights.<c>`: whole-day windows inside the horizon (the whole horizon when none are given)."""
    flights = []
    for i, f in enumerate(cfg or [{"start": 0, "end": horizon_days}]):
        f = dict(f)
        check_keys(f"strategy.flights.{c}[{i}]", f, ("start", "end"))
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
        if end > horizon_days:
            raise ConfigError(
                s,
                f"the flight ends on day {end}, after the horizon ({horizon_days} days)",
                f"end it by day {horizon_days} or raise sim.horizon_days",
            )
        flights.append(Flight(int(start), int(end)))
    return tuple(flights)


def _rate_multipliers(cfg: Any, horizon_days: int) -> tuple[RateMultiplier, ...]:
    """`strategy.rate_multipliers`: a factor on one transition over a whole-day window, optionally per segment."""
    mults = []
    for i, m in enumerate(cfg):
        m = dict(m)
        s = f"strategy.rate_multipliers[{i}]"
        check_keys(s, m, ("from", "to", "factor", "start", "end", "segments"))
        start, end = m.get("start", 0), m.get("end", horizon_days)
        if (
            not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end))
            or start < 0
            or end <= start
            or end > horizon_days
        ):
            raise ConfigError(
                f"{s}.end",
                f"window {start!r}..{end!r} is not whole days with 0 <= start < end <= {horizon_days}",
                "give whole days inside the horizon",
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
