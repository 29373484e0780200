"""All scalar metrics of one replication, by name, in a stable documented order (see docs/metrics.md)."""

from __future__ import annotations

from collections.abc import Callable

from journeysim.engine.records import Records
from journeysim.metrics import acquisition
from journeysim.metrics.catalogue import CATALOGUE, REACH_PREFIX, RUN_FAMILIES, find, names
from journeysim.metrics.lifetime import LifetimeView

# name -> (function of the records, unit); order here is the order of metrics.json (from the catalogue)
RECORD_METRICS: dict[str, tuple[Callable[[Records], float], str]] = {
    m.name: (m.function, m.unit)
    for m in map(CATALOGUE.get, names())
    if m.family in RUN_FAMILIES and m.family not in ("spend", "lifetime", "survey") and m.function is not None
}

SPEND_METRICS: dict[str, tuple[Callable[[Records, float], float], str]] = {
    m.name: (m.function, m.unit) for m in map(CATALOGUE.get, names("spend")) if m.function is not None
}


#: metrics of the value after the horizon: functions of (records, spend, view) (`lifetime.LifetimeView`)
LIFETIME_METRICS: dict[str, Callable[..., float]] = {
    m.name: m.function for m in map(CATALOGUE.get, names("lifetime")) if m.function is not None
}


#: survey metrics (`journey.satisfaction`): functions of the records, written after the lifetime metrics
SURVEY_METRICS: dict[str, Callable[[Records], float]] = {
    m.name: m.function for m in map(CATALOGUE.get, names("survey")) if m.function is not None
}


def _lifetime(records: Records, spend: float, view: LifetimeView) -> dict[str, float]:
    """The lifetime metrics of one replication, then the survey metrics, in catalogue order."""
    fns = LIFETIME_METRICS
    out = {
        "future_margin": fns["future_margin"](records, view),
        "clv_lifetime": fns["clv_lifetime"](records, view),
        "ltv_to_cac": fns["ltv_to_cac"](records, spend, view),
        "payback_days": fns["payback_days"](records, spend, view),
    }
    return out | {name: float(fn(records)) for name, fn in SURVEY_METRICS.items()}


def metric_unit(name: str) -> str:
    """Unit of a scalar metric as named in metrics.json ('share' for reach.<stage>, 'money' for spend)."""
    m = find(name)
    if m is None or m.family not in RUN_FAMILIES:
        raise KeyError(name)
    return m.unit


def scalar_metrics(
    records: Records, spend: float | None = None, lifetime: LifetimeView | None = None
) -> dict[str, float]:
    """Every scalar metric of one replication: the record metrics, then reach.<stage> per stage, then (only when
    `spend` is given) spend and the spend-based metrics, then (only when `lifetime` is given too) the lifetime
    and survey metrics. Ratios with a zero denominator are NaN."""
    out = {name: float(fn(records)) for name, (fn, _) in RECORD_METRICS.items()}
    reach = acquisition.stage_reach(records)
    out.update({f"{REACH_PREFIX}{stage}": float(v) for stage, v in reach.items()})
    if spend is not None:
        out["spend"] = float(spend)
        out.update({name: float(fn(records, float(spend))) for name, (fn, _) in SPEND_METRICS.items()})
        if lifetime is not None:
            out.update(_lifetime(records, float(spend), lifetime))
    return out
