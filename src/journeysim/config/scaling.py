"""`population.scale`: simulate a sample of the market. Every count of people scales (customers at day 0,
arrivals, the contagion market, channels' `market_audience`) and, with `population.scale_budgets` (default true),
the money that buys their attention scales too (strategy budgets, fixed daily fees), so spend per reachable person,
and with it every ratio a planner reads (iROAS, CAC, profit per customer), is the full market's.

Why budgets by default: a scaled population is a sample of the real market. Pouring the full budget onto a tenth
of the people buys ten times the exposures per person, far into the response curve's saturation, and every
strategy looks unprofitable. `population.scale_budgets=false` keeps the budgets as written (e.g. to ask what the
full budget does to a small market).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from journeysim.errors import ConfigError

#: Channel cost models whose `unit_cost` is money per day for the whole audience (it scales with the budgets).
AUDIENCE_PRICED = ("fixed_fee",)


def population_scale(population: Mapping[str, Any]) -> float:
    """`population.scale` checked: a number > 0 (1 when absent or null)."""
    scale = population.get("scale", 1.0)
    scale = 1.0 if scale is None else scale
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale) or scale <= 0:
        raise ConfigError("population.scale", f"{scale!r} is not a number > 0", "e.g. population.scale=0.1")
    return float(scale)


def budget_scale(data: Mapping[str, Any]) -> float:
    """The factor on money: `population.scale` when `population.scale_budgets` (default true), else 1."""
    population = data.get("population") or {}
    scale = population_scale(population)
    flag = population.get("scale_budgets", True)
    if not isinstance(flag, bool):
        raise ConfigError("population.scale_budgets", f"{flag!r} is not true or false", "give true or false")
    return scale if flag else 1.0


def scaled_population(population: Mapping[str, Any]) -> dict[str, Any]:
    """Every segment's initial counts and arrival rate times `population.scale`; the scale keys dropped."""
    pop = dict(population)
    scale = population_scale(pop)
    pop.pop("scale", None)
    pop.pop("scale_budgets", None)
    pop.pop("from_run", None)  # applied to the built scenario (`config.continuation`)
    if scale == 1.0:
        return pop
    segments = {}
    for name, seg in dict(pop.get("segments") or {}).items():
        seg = dict(seg or {})
        if seg.get("initial"):
            seg["initial"] = {
                s: round(n * scale) if isinstance(n, (int, float)) else n for s, n in seg["initial"].items()
            }
        if isinstance(seg.get("arrivals_per_day"), (int, float)):
            seg["arrivals_per_day"] = float(seg["arrivals_per_day"]) * scale
        segments[name] = seg
    pop["segments"] = segments
    return pop


def scaled_strategy(strategy: Mapping[str, Any] | None, factor: float) -> Mapping[str, Any] | None:
    """A strategy node with its total `budget`, channel `budgets` and flights' own budgets times `factor`
    (allocation shares unchanged)."""
    if not strategy or factor == 1.0:
        return strategy
    out = dict(strategy)
    if _is_number(out.get("budget")):
        out["budget"] = float(out["budget"]) * factor
    if isinstance(out.get("budgets"), Mapping):
        out["budgets"] = {c: float(b) * factor if _is_number(b) else b for c, b in out["budgets"].items()}
    if isinstance(out.get("flights"), Mapping) and _flight_budgets(out["flights"]):
        out["flights"] = {
            c: [_scaled_flight(f, factor) for f in fl] if isinstance(fl, (list, tuple)) else fl
            for c, fl in out["flights"].items()
        }
    return out


def _flight_budgets(flights: Mapping[str, Any]) -> bool:
    """Whether any flight carries its own budget (`strategy.flights.<c>[i].budget`)."""
    return any(isinstance(f, Mapping) and "budget" in f for fl in flights.values() if isinstance(fl, list) for f in fl)


def _scaled_flight(flight: Any, factor: float) -> Any:
    """A flight with its own budget times `factor` (other flights as written)."""
    if not isinstance(flight, Mapping) or not _is_number(flight.get("budget")):
        return flight
    return {**flight, "budget": float(flight["budget"]) * factor}


def scaled_word_of_mouth(word_of_mouth: Mapping[str, Any] | None, scale: float) -> Mapping[str, Any] | None:
    """The contagion's finite market (`market_size`, people) times `scale`, rounded, at least 1."""
    con = (word_of_mouth or {}).get("contagion")
    if scale == 1.0 or not isinstance(con, Mapping) or not _is_number(con.get("market_size")):
        return word_of_mouth
    size = con["market_size"]
    if not float(size).is_integer() or size < 1:
        return word_of_mouth  # the model refuses it with its own message
    out = dict(word_of_mouth or {})
    out["contagion"] = {**con, "market_size": max(1, round(size * scale))}
    return out


def scaled_channels(channels: Mapping[str, Any] | None, scale: float, money: float) -> Mapping[str, Any] | None:
    """Channels' `market_audience` (people) times `scale`; audience-priced fees (money per day) times `money`."""
    if not channels or (scale == 1.0 and money == 1.0):
        return channels
    out: dict[str, Any] = {}
    for name, ch in channels.items():
        if isinstance(ch, Mapping):
            ch = dict(ch)
            if _is_number(ch.get("market_audience")):
                ch["market_audience"] = float(ch["market_audience"]) * scale
            if ch.get("cost_model") in AUDIENCE_PRICED and _is_number(ch.get("unit_cost")):
                ch["unit_cost"] = float(ch["unit_cost"]) * money
        out[name] = ch
    return out


def scaled_config(data: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario sections of a resolved config with `population.scale` applied (see the module docstring)."""
    population = data.get("population") or {}
    scale = population_scale(population)
    money = budget_scale(data)
    return {
        "name": data.get("name"),
        "journey": data.get("journey"),
        "population": scaled_population(population),
        "sim": data.get("sim"),
        "channels": scaled_channels(data.get("channels"), scale, money),
        "strategy": scaled_strategy(data.get("strategy"), money),
        "word_of_mouth": scaled_word_of_mouth(data.get("word_of_mouth"), scale),
    }


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
