"""Acquisition metrics: who came in, who bought for the first time, how fast, and who dropped out on the way."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from journeysim.engine.records import Records
from journeysim.metrics.common import bit_counts, buyer_mask, ended_terminal_mask, memo, prospect_mask, ratio


def customers(records: Records) -> int:
    """All simulated customers: those present at day 0 plus every arrival within the horizon."""
    return len(records.customers)


def new_prospects(records: Records) -> int:
    """Arrivals from outside within the horizon (the flows' arrival row)."""
    return int(records.flows[:, :, records.n_stages, :].sum())


def prospects(records: Records) -> int:
    """Customers who started in a pre-purchase stage (`records.pre_purchase`): arrivals plus initial prospects."""
    return int(prospect_mask(records).sum())


def purchases(records: Records) -> int:
    """Entries into conversion stages within the horizon, repeat purchases included."""
    return int(records.purchases_per_day().sum())


def buyers(records: Records) -> int:
    """Customers with at least one purchase within the horizon (prospects and existing customers)."""
    return int(buyer_mask(records).sum())


def new_buyers(records: Records) -> int:
    """Prospects with at least one purchase within the horizon (acquired customers)."""
    return int((prospect_mask(records) & buyer_mask(records)).sum())


def conversion_rate(records: Records) -> float:
    """Share of prospects who bought at least once: new_buyers / prospects."""
    return ratio(new_buyers(records), prospects(records))


def stage_reach(records: Records) -> pd.Series:
    """Per stage (journey order), the share of prospects who ever visited it; NaN everywhere without prospects."""
    mask = prospect_mask(records)
    n = int(mask.sum())
    counts = bit_counts(records.customers.visited[mask], records.n_stages)
    values = [ratio(int(k), n) for k in counts]
    return pd.Series(values, index=pd.Index(list(records.stages), name="stage"), name="stage_reach", dtype=float)


def sales_cycle_days(records: Records) -> NDArray[np.float64]:
    """Days from entry to first purchase, for new buyers who started at the entry stage (one value each; read-only)."""
    c = records.customers
    sources = (c.start_stage, c.purchases, c.first_purchase, c.entry_time)
    return memo(f"cycle{records.pre_purchase}{records.entry}", sources, lambda: _cycle(records))


def _cycle(records: Records) -> NDArray[np.float64]:
    c = records.customers
    mask = prospect_mask(records) & buyer_mask(records) & (c.start_stage == records.entry)
    return np.asarray(c.first_purchase[mask] - c.entry_time[mask], dtype=np.float64)


def _stat(sample: NDArray[np.float64], kind: str) -> float:
    if sample.size == 0:
        return math.nan
    if kind == "mean":
        return float(np.mean(sample))
    if kind == "median":
        return float(np.median(sample))
    return float(np.percentile(sample, 90.0))  # linear interpolation between order statistics


def sales_cycle_days_mean(records: Records) -> float:
    """Mean sales-cycle length in days (see `sales_cycle_days`); NaN without such buyers."""
    return _stat(sales_cycle_days(records), "mean")


def sales_cycle_days_median(records: Records) -> float:
    """Median sales-cycle length in days; NaN without such buyers."""
    return _stat(sales_cycle_days(records), "median")


def sales_cycle_days_p90(records: Records) -> float:
    """90th percentile of the sales-cycle length in days (linear interpolation); NaN without such buyers."""
    return _stat(sales_cycle_days(records), "p90")


def dropout_rate(records: Records) -> float:
    """Share of prospects who ended in a terminal stage without ever buying."""
    lost = prospect_mask(records) & ended_terminal_mask(records) & ~buyer_mask(records)
    return ratio(int(lost.sum()), prospects(records))
