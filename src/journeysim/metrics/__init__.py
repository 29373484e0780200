"""Metrics: pure functions over one replication's `Records` plus summaries across replications.

Definitions, formulas and units of every metric are in docs/metrics.md.
"""

from __future__ import annotations

from journeysim.metrics.acquisition import (
    buyers,
    conversion_rate,
    customers,
    dropout_rate,
    new_buyers,
    new_prospects,
    prospects,
    purchases,
    sales_cycle_days,
    sales_cycle_days_mean,
    sales_cycle_days_median,
    sales_cycle_days_p90,
    stage_reach,
)
from journeysim.metrics.funnel import FUNNEL_COLUMNS, funnel_span, funnel_table, stage_advances
from journeysim.metrics.lifecycle import (
    advocacy_balance,
    customer_churn_rate,
    purchases_per_buyer,
    purchases_per_customer,
    repeat_purchase_rate,
    retention_rate,
)
from journeysim.metrics.scalars import RECORD_METRICS, SPEND_METRICS, metric_unit, scalar_metrics
from journeysim.metrics.spend import cac, cost_per_stage_advance, cpa, cpl, profit, roas, roi
from journeysim.metrics.summary import MetricSummary, summarise, summarise_one
from journeysim.metrics.timeseries import ALL_SEGMENTS, timeseries_frame
from journeysim.metrics.value import aov, clv, margin, revenue

__all__ = [
    "ALL_SEGMENTS",
    "FUNNEL_COLUMNS",
    "RECORD_METRICS",
    "SPEND_METRICS",
    "MetricSummary",
    "advocacy_balance",
    "aov",
    "buyers",
    "cac",
    "clv",
    "conversion_rate",
    "cost_per_stage_advance",
    "cpa",
    "cpl",
    "customer_churn_rate",
    "customers",
    "dropout_rate",
    "funnel_span",
    "funnel_table",
    "margin",
    "metric_unit",
    "new_buyers",
    "new_prospects",
    "profit",
    "prospects",
    "purchases",
    "purchases_per_buyer",
    "purchases_per_customer",
    "repeat_purchase_rate",
    "retention_rate",
    "revenue",
    "roas",
    "roi",
    "sales_cycle_days",
    "sales_cycle_days_mean",
    "sales_cycle_days_median",
    "sales_cycle_days_p90",
    "scalar_metrics",
    "stage_advances",
    "stage_reach",
    "summarise",
    "summarise_one",
    "timeseries_frame",
]
