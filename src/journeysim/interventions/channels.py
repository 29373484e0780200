"""Channels: touchpoints with a cost model, an audience, a response curve, carryover and the rates they change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from journeysim.errors import ConfigError, check_keys, did_you_mean, name_list, number
from journeysim.interventions.effects import EFFECT_KINDS, TRANSITION, Effect, kind_names
from journeysim.interventions.media import COST_MODELS, RESPONSES

POSITIONS = ("top", "middle", "bottom", "post_purchase")
KNOWN = (
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
        check_keys(p, data, KNOWN)
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
        response = _response(p, dict(data.get("response") or {}))
        cap = data.get("frequency_cap")
        if cap is not None:
            cap = number(f"{p}.frequency_cap", cap, fix="give a cap >= 0 exposures per person per day, or null")
            if cap != int(cap):
                raise ConfigError(f"{p}.frequency_cap", f"{cap} is not a whole number", "give a whole number, e.g. 3")
        effects = tuple(_effect(f"{p}.effects[{i}]", dict(e)) for i, e in enumerate(data.get("effects") or []))
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
            effects=effects,
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


def _response(p: str, resp: dict[str, Any]) -> Response:
    """`channels.<c>.response`: a registered curve with its half-saturation and slope."""
    check_keys(f"{p}.response", resp, ("kind", "half_saturation", "slope"))
    kind = resp.get("kind", "hill")
    if kind not in RESPONSES:
        raise ConfigError(
            f"{p}.response.kind",
            f"unknown response '{kind}'{did_you_mean(str(kind), RESPONSES)}",
            f"use one of {', '.join(RESPONSES)}",
        )
    return Response(
        kind=kind,
        half_saturation=number(
            f"{p}.response.half_saturation",
            resp.get("half_saturation", 1.0),
            low=1e-12,
            fix="give the exposures per person giving half the maximum effect (> 0)",
        ),
        slope=number(f"{p}.response.slope", resp.get("slope", 1.0), low=1e-12, fix="give a Hill slope > 0"),
    )


def _effect(q: str, e: dict[str, Any]) -> Effect:
    """`channels.<c>.effects[i]`: a registered `kind:` or one explicit transition `{from, to}`, with its lift."""
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
        return Effect(TRANSITION, lift, str(e["from"]), str(e["to"]))
    on = str(e.get("kind", ""))
    named = kind_names()
    if on not in named:
        raise ConfigError(
            f"{q}.kind",
            f"unknown effect kind '{on}'{did_you_mean(on, EFFECT_KINDS)}",
            f"use one of {', '.join(named)}, or from/to for one transition",
        )
    return Effect(on, lift)
