"""Checks of a config's shape that name the exact setting, run before the model builds (whose messages are coarser).

A flight written `[50, 10]` instead of `[{start: 50, end: 10}]`, an order-value error in one of several segments, an
unknown channel in an allocation: the model would report these without the setting, without the segment, or under
another key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from journeysim.config.validate import Problem
from journeysim.errors import ConfigError, did_you_mean
from journeysim.model.population import OrderValue

_FLIGHT_FIX = "write each flight as a mapping of days, e.g. [{start: 50, end: 60}]"


def _flight_problems(flights: Any) -> list[Problem]:
    if not isinstance(flights, Mapping):
        return []
    problems: list[Problem] = []
    for channel, items in flights.items():
        key = f"strategy.flights.{channel}"
        if items is None:
            continue
        if not isinstance(items, (list, tuple)):
            problems.append(Problem(key, f"{items!r} is not a list of flights", _FLIGHT_FIX))
            continue
        for i, item in enumerate(items):
            if not isinstance(item, Mapping):
                problems.append(Problem(f"{key}[{i}]", f"{item!r} is not a flight ({{start, end}})", _FLIGHT_FIX))
    return problems


def _channel_problems(strategy: Mapping[str, Any], channels: Sequence[str]) -> list[Problem]:
    problems: list[Problem] = []
    for part in ("allocation", "budgets"):
        shares = strategy.get(part)
        if not isinstance(shares, Mapping):
            continue
        for name in shares:
            if str(name) not in channels:
                problems.append(
                    Problem(
                        f"strategy.{part}.{name}",
                        f"unknown channel '{name}'{did_you_mean(str(name), list(channels))}",
                        f"use one of the channels: {', '.join(channels)}",
                    )
                )
    return problems


def _order_value_problems(segments: Any) -> list[Problem]:
    if not isinstance(segments, Mapping):
        return []
    problems: list[Problem] = []
    for name, seg in segments.items():
        ov = seg.get("order_value") if isinstance(seg, Mapping) else None
        if not isinstance(ov, Mapping):
            continue
        try:
            OrderValue(**{k: ov[k] for k in ("kind", "mean", "cv", "margin") if ov.get(k) is not None})
        except ConfigError as exc:
            setting = exc.setting.replace("population.segments.", f"population.segments.{name}.", 1)
            problems.append(Problem(setting, exc.problem, exc.fix))
        except (TypeError, ValueError):
            continue  # the type checks report these
    return problems


def shape_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Flights that are not mappings, unknown channels in a strategy, order-value errors named by segment."""
    strategy = data.get("strategy")
    channels = data.get("channels")
    problems: list[Problem] = []
    if isinstance(strategy, Mapping):
        problems += _flight_problems(strategy.get("flights"))
        if isinstance(channels, Mapping):
            problems += _channel_problems(strategy, [str(c) for c in channels])
    population = data.get("population")
    if isinstance(population, Mapping):
        problems += _order_value_problems(population.get("segments"))
    return problems
