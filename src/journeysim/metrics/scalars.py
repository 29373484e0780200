"""All scalar metrics of one replication, by name, in a stable documented order (see docs/metrics.md)."""

from __future__ import annotations

from collections.abc import Callable

from journeysim.engine.records import Records
from journeysim.metrics import acquisition, lifecycle, value
from journeysim.metrics import spend as spend_metrics
from journeysim.metrics.funnel import stage_advances

# name -> (function of the records, unit); order here is the order of metrics.json
RECORD_METRICS: dict[str, tuple[Callable[[Records], float], str]] = {
    "customers": (acquisition.customers, "customers"),
    "new_prospects": (acquisition.new_prospects, "customers"),
    "prospects": (acquisition.prospects, "customers"),
    "purchases": (acquisition.purchases, "purchases"),
    "buyers": (acquisition.buyers, "customers"),
    "new_buyers": (acquisition.new_buyers, "customers"),
    "conversion_rate": (acquisition.conversion_rate, "share"),
    "purchases_per_customer": (lifecycle.purchases_per_customer, "purchases / customer"),
    "purchases_per_buyer": (lifecycle.purchases_per_buyer, "purchases / customer"),
    "repeat_purchase_rate": (lifecycle.repeat_purchase_rate, "share"),
    "sales_cycle_days_mean": (acquisition.sales_cycle_days_mean, "days"),
    "sales_cycle_days_median": (acquisition.sales_cycle_days_median, "days"),
    "sales_cycle_days_p90": (acquisition.sales_cycle_days_p90, "days"),
    "dropout_rate": (acquisition.dropout_rate, "share"),
    "customer_churn_rate": (lifecycle.customer_churn_rate, "share"),
    "retention_rate": (lifecycle.retention_rate, "share"),
    "revenue": (value.revenue, "money"),
    "margin": (value.margin, "money"),
    "aov": (value.aov, "money / purchase"),
    "clv": (value.clv, "money / customer"),
    "nps": (lifecycle.nps, "points (-100..100)"),
    "stage_advances": (stage_advances, "stages"),
}

SPEND_METRICS: dict[str, tuple[Callable[[Records, float], float], str]] = {
    "cpl": (spend_metrics.cpl, "money / customer"),
    "cpa": (spend_metrics.cpa, "money / purchase"),
    "cac": (spend_metrics.cac, "money / customer"),
    "roas": (spend_metrics.roas, "money / money"),
    "profit": (spend_metrics.profit, "money"),
    "roi": (spend_metrics.roi, "money / money"),
    "cost_per_stage_advance": (spend_metrics.cost_per_stage_advance, "money / stage"),
}

REACH_PREFIX = "reach."


def metric_unit(name: str) -> str:
    """Unit of a scalar metric as named in metrics.json ('share' for reach.<stage>, 'money' for spend)."""
    if name.startswith(REACH_PREFIX):
        return "share"
    if name == "spend":
        return "money"
    if name in RECORD_METRICS:
        return RECORD_METRICS[name][1]
    return SPEND_METRICS[name][1]


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
