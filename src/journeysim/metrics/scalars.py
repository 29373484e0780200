"""All scalar metrics of one replication, by name, in a stable documented order (see docs/metrics.md)."""

from __future__ import annotations

from collections.abc import Callable

from journeysim.engine.records import Records
from journeysim.metrics import acquisition
from journeysim.metrics.catalogue import CATALOGUE, REACH_PREFIX, RUN_FAMILIES, find, names

# name -> (function of the records, unit); order here is the order of metrics.json (from the catalogue)
RECORD_METRICS: dict[str, tuple[Callable[[Records], float], str]] = {
    m.name: (m.function, m.unit)
    for m in map(CATALOGUE.get, names())
    if m.family in RUN_FAMILIES and m.family != "spend" and m.function is not None
}

SPEND_METRICS: dict[str, tuple[Callable[[Records, float], float], str]] = {
    m.name: (m.function, m.unit) for m in map(CATALOGUE.get, names("spend")) if m.function is not None
}


def metric_unit(name: str) -> str:
    """Unit of a scalar metric as named in metrics.json ('share' for reach.<stage>, 'money' for spend)."""
    m = find(name)
    if m is None or m.family not in RUN_FAMILIES:
        raise KeyError(name)
    return m.unit


def scalar_metrics(records: Records, spend: float | None = None) -> dict[str, float]:
    """Every scalar metric of one replication: the record metrics, then reach.<stage> per stage, then (only when
    `spend` is given) spend and the spend-based metrics. Ratios with a zero denominator are NaN."""
    out = {name: float(fn(records)) for name, (fn, _) in RECORD_METRICS.items()}
    reach = acquisition.stage_reach(records)
    out.update({f"{REACH_PREFIX}{stage}": float(v) for stage, v in reach.items()})
    if spend is not None:
        out["spend"] = float(spend)
        out.update({name: float(fn(records, float(spend))) for name, (fn, _) in SPEND_METRICS.items()})
    return out
