"""Marketing interventions: channels (cost, audience, response, carryover, effects), strategies, rate multipliers.

An *effect* names the hazards a channel lifts for the customers it reaches, by meaning so one channel catalogue
fits every journey: `advance` (moves to a later non-terminal stage), `regress` (moves back), `purchase` (moves
into a conversion stage), `churn` (moves into a terminal stage), `arrivals` (new prospects from the market),
`referrals` (advocates' referrals), given as `kind:`, or one explicit transition `{from: a, to: b}`.
At full response a rate is
multiplied by `1 + lift`; a negative lift (down to -1) reduces it, e.g. churn cut by service and loyalty.
Flights and rate-multiplier windows are whole days, so every change of rates falls on a day boundary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from journeysim.errors import ConfigError, check_keys, did_you_mean, name_list, number
from journeysim.interventions.media import COST_MODELS, PACINGS, RESPONSES

ARRIVALS = "arrivals"
REFERRALS = "referrals"
EFFECT_KINDS = ("advance", "regress", "purchase", "churn", ARRIVALS, REFERRALS, "transition")
POSITIONS = ("top", "middle", "bottom", "post_purchase")


@dataclass(frozen=True)
class Effect:
    """Multiply the hazards of kind `on` (or the one transition `source -> target`) by `1 + lift * response`.

    (YAML spells the kind `kind:`; `on` would be read as a boolean by YAML 1.1 loaders.)
    """

    on: str
    lift: float
    source: str | None = None
    target: str | None = None


@dataclass(frozen=True)
class Response:
    """A saturating response to adstocked exposures per person, looked up by `kind` in `media.RESPONSES`."""

    kind: str = "hill"
    half_saturation: float = 1.0
    slope: float = 1.0


@dataclass(frozen=True)
class Channel:
    """A touchpoint with a cost model, an audience, a response curve, carryover and the rates it changes.

    Cost: `cpm` (money per 1000 impressions), `cpc` (per click), `per_send`, or `fixed_fee` (money per day that
    exposes the whole audience `frequency` times a day at full fee). Audience: the journey stages at the funnel
    `positions` and the named `stages`, optional `segments`, plus `market_audience` people not yet in the journey.
    """

    name: str
    cost_model: str
    unit_cost: float
    positions: tuple[str, ...]
    stages: tuple[str, ...]
    effects: tuple[Effect, ...]
    segments: tuple[str, ...] | None = None
    response: Response = field(default_factory=Response)
    adstock: float = 0.0
    frequency_cap: float | None = None
    frequency: float = 1.0
    market_audience: float = 0.0
    cost_per_referral: float = 0.0

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> Channel:
        p = f"channels.{name}"
        known = (
            "cost_model",
            "unit_cost",
            "positions",
            "stages",
            "segments",
            "response",
            "adstock",
            "frequency_cap",
            "frequency",
            "market_audience",
            "effects",
            "cost_per_referral",
            "description",
        )
        check_keys(p, data, known)
        model = data.get("cost_model", "cpm")
        if model not in COST_MODELS:
            raise ConfigError(
                f"{p}.cost_model",
                f"unknown cost model '{model}'{did_you_mean(str(model), COST_MODELS)}",
                f"use one of {', '.join(COST_MODELS)}",
            )
        unit_cost = number(f"{p}.unit_cost", data.get("unit_cost", 0.0), fix="give the cost per unit (money) > 0")
        if unit_cost <= 0:
            raise ConfigError(f"{p}.unit_cost", "must be > 0", "give the price of one media unit, e.g. unit_cost: 8.0")
        resp = dict(data.get("response") or {})
        check_keys(f"{p}.response", resp, ("kind", "half_saturation", "slope"))
        kind = resp.get("kind", "hill")
        if kind not in RESPONSES:
            raise ConfigError(
                f"{p}.response.kind",
                f"unknown response '{kind}'{did_you_mean(str(kind), RESPONSES)}",
                f"use one of {', '.join(RESPONSES)}",
            )
        response = Response(
            kind=kind,
            half_saturation=number(
                f"{p}.response.half_saturation",
                resp.get("half_saturation", 1.0),
                low=1e-12,
                fix="give the exposures per person giving half the maximum effect (> 0)",
            ),
            slope=number(f"{p}.response.slope", resp.get("slope", 1.0), low=1e-12, fix="give a Hill slope > 0"),
        )
        cap = data.get("frequency_cap")
        if cap is not None:
            cap = number(f"{p}.frequency_cap", cap, fix="give a cap >= 0 exposures per person per day, or null")
            if cap != int(cap):
                raise ConfigError(f"{p}.frequency_cap", f"{cap} is not a whole number", "give a whole number, e.g. 3")
        effects = []
        for i, e in enumerate(data.get("effects") or []):
            e = dict(e)
            q = f"{p}.effects[{i}]"
            check_keys(q, e, ("kind", "from", "to", "lift"))
            lift = number(
                f"{q}.lift",
                e.get("lift", 0.0),
                low=-1.0,
                fix="give the relative change at full response, >= -1 (e.g. 0.5 = +50%)",
            )
            if "from" in e or "to" in e:
                if e.get("from") is None or e.get("to") is None:
                    raise ConfigError(
                        q,
                        "an explicit transition needs both 'from' and 'to'",
                        "give from: <stage> and to: <stage>, or kind: advance|purchase|churn|...",
                    )
                effects.append(Effect("transition", lift, str(e["from"]), str(e["to"])))
                continue
            on = str(e.get("kind", ""))
            if on not in EFFECT_KINDS[:-1]:
                raise ConfigError(
                    f"{q}.kind",
                    f"unknown effect kind '{on}'{did_you_mean(on, EFFECT_KINDS)}",
                    f"use one of {', '.join(EFFECT_KINDS[:-1])}, or from/to for one transition",
                )
            effects.append(Effect(on, lift))
        if not effects:
            raise ConfigError(
                f"{p}.effects",
                "the channel changes no rate",
                "list at least one effect, e.g. [{from: awareness, to: interest, lift: 0.5}]",
            )
        segs = data.get("segments")
        positions = name_list(data.get("positions"))
        for pos in positions:
            if pos not in POSITIONS:
                raise ConfigError(
                    f"{p}.positions",
                    f"unknown funnel position '{pos}'{did_you_mean(str(pos), POSITIONS)}",
                    f"use any of {', '.join(POSITIONS)}",
                )
        return cls(
            name=name,
            cost_model=model,
            unit_cost=unit_cost,
            positions=positions,
            stages=name_list(data.get("stages")),
            effects=tuple(effects),
            segments=None if segs is None else name_list(segs),
            response=response,
            adstock=number(
                f"{p}.adstock",
                data.get("adstock", 0.0),
                high=0.999,
                fix="give the share of today's effect carried to tomorrow, in [0, 1)",
            ),
            frequency_cap=cap,
            frequency=number(
                f"{p}.frequency", data.get("frequency", 1.0), fix="give exposures per person per day at full fee (>= 0)"
            ),
            market_audience=number(
                f"{p}.market_audience",
                data.get("market_audience", 0.0),
                fix="give the number of people outside the journey the channel reaches (>= 0)",
            ),
            cost_per_referral=number(
                f"{p}.cost_per_referral",
                data.get("cost_per_referral", 0.0),
                fix="give the money paid per referral (>= 0)",
            ),
        )


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
        known = (
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
        check_keys("strategy", data, known)
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
            budgets = {
                c: number(f"strategy.budgets.{c}", b, fix="give a budget (money) >= 0") for c, b in budgets.items()
            }
            if data.get("budget") not in (None, 0, 0.0) and abs(sum(budgets.values()) - float(data["budget"])) > 1e-6:
                raise ConfigError(
                    "strategy.budget",
                    f"channel budgets sum to {sum(budgets.values()):g}, not the total {data['budget']}",
                    "drop strategy.budget or make them agree",
                )
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
            flights = []
            for i, f in enumerate(flights_cfg.get(c) or [{"start": 0, "end": horizon_days}]):
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
                    raise ConfigError(
                        s, f"the flight ends (day {end}) before it starts (day {start})", "give 0 <= start < end"
                    )
                if end > horizon_days:
                    raise ConfigError(
                        s,
                        f"the flight ends on day {end}, after the horizon ({horizon_days} days)",
                        f"end it by day {horizon_days} or raise sim.horizon_days",
                    )
                flights.append(Flight(int(start), int(end)))
            msg = None if messaging.get(c) is None else name_list(messaging[c])
            plans.append(ChannelPlan(c, float(b), tuple(flights), pacing, profile, msg))
        mults = []
        for i, m in enumerate(data.get("rate_multipliers") or []):
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
        return cls(name=str(data.get("name") or "strategy"), plans=tuple(plans), rate_multipliers=tuple(mults))


@dataclass(frozen=True)
class Referrals:
    """Advocates bring new prospects: each customer in `stages` (default: the journey's promoter stages) refers
    at `rate` per day, unbounded market; the referred prospect joins the advocate's segment at the entry stage."""

    stages: tuple[str, ...] | None
    rate: float


@dataclass(frozen=True)
class Contagion:
    """Bass diffusion in a finite market of `market_size` people not yet aware (segment `segment`).

    Each unaware person becomes aware (arrives at the entry stage) at hazard p + q * A / M, with A the adopters:
    `source: aware` counts everyone who has entered (classic Bass, simulated exactly); a list of stages counts
    customers currently in them (e.g. advocates), updated at each day boundary.
    """

    segment: str
    market_size: int
    p: float
    q: float
    source: tuple[str, ...] | None = None  # None = aware (classic Bass)


@dataclass(frozen=True)
class Detractors:
    """Dissatisfied customers lower others' rates: each effect's rate is multiplied by exp(-strength * D / B).

    D = buyers who have entered one of the detractor `stages`, B = customers who have ever bought, both counted
    up to the start of the day (rates change at day boundaries).
    """

    stages: tuple[str, ...]
    strength: float
    effects: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class WordOfMouth:
    referrals: Referrals | None = None
    contagion: Contagion | None = None
    detractors: Detractors | None = None

    @property
    def active(self) -> bool:
        return any(x is not None for x in (self.referrals, self.contagion, self.detractors))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> WordOfMouth:
        data = dict(data or {})
        check_keys("word_of_mouth", data, ("referrals", "contagion", "detractors", "name", "description"))
        ref = con = det = None
        if data.get("referrals"):
            r = dict(data["referrals"])
            check_keys("word_of_mouth.referrals", r, ("stages", "rate"))
            ref = Referrals(
                None if r.get("stages") is None else name_list(r["stages"]),
                number(
                    "word_of_mouth.referrals.rate", r.get("rate", 0.0), fix="give referrals per advocate per day (>= 0)"
                ),
            )
        if data.get("contagion"):
            c = dict(data["contagion"])
            check_keys("word_of_mouth.contagion", c, ("segment", "market_size", "p", "q", "source"))
            size = c.get("market_size")
            if not isinstance(size, int) or isinstance(size, bool) or size < 1:
                raise ConfigError(
                    "word_of_mouth.contagion.market_size",
                    f"{size!r} is not a whole number >= 1",
                    "give the number of people in the market not yet aware, e.g. 100000",
                )
            src = c.get("source", "aware")
            con = Contagion(
                segment=str(c.get("segment", "")),
                market_size=size,
                p=number("word_of_mouth.contagion.p", c.get("p", 0.0), fix="give the innovation hazard per day >= 0"),
                q=number("word_of_mouth.contagion.q", c.get("q", 0.0), fix="give the imitation hazard per day >= 0"),
                source=None if src in (None, "aware") else name_list(src),
            )
        if data.get("detractors"):
            d = dict(data["detractors"])
            check_keys("word_of_mouth.detractors", d, ("stages", "strength", "effects"))
            effects = []
            for i, e in enumerate(d.get("effects") or []):
                e = dict(e)
                check_keys(f"word_of_mouth.detractors.effects[{i}]", e, ("from", "to"))
                effects.append((str(e.get("from")), str(e.get("to"))))
            det = Detractors(
                name_list(d.get("stages")),
                number("word_of_mouth.detractors.strength", d.get("strength", 0.0), fix="give the strength >= 0"),
                tuple(effects),
            )
        return cls(ref, con, det)
