"""Lifetime metrics: value beyond the horizon (lifetime CLV, LTV / CAC, payback), from closed-form future values.

The engine stops at the horizon; what customers still active then will bring afterwards is an expectation the
analytic layer computes per customer (`analytic.lifetime.lifetime_view`) and hands in as a `LifetimeView`. These
functions only combine it with the replication's records and spend (definitions: docs/metrics.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from journeysim.engine.records import Records
from journeysim.metrics.acquisition import new_buyers
from journeysim.metrics.common import buyer_mask, memo, prospect_mask, ratio


@dataclass(frozen=True)
class LifetimeView:
    """Per customer of the records: `future` = expected margin after the horizon, discounted to the horizon day
    (0 for customers in a stage with no way out); `discount` = exp(-delta (horizon - entry day)), which carries it
    back to the customer's entry day; `margin_curve[d]` = expected cumulative (undiscounted) margin of an acquired
    customer d days after its first purchase (day 0: the first purchase's margin)."""

    future: NDArray[np.float64]
    discount: NDArray[np.float64]
    margin_curve: NDArray[np.float64]


def acquired_mask(records: Records) -> NDArray[np.bool_]:
    """New buyers: prospects (pre-purchase start) with at least one purchase within the horizon."""
    c = records.customers
    return memo(
        f"acquired{records.pre_purchase}",
        (c.start_stage, c.purchases),
        lambda: prospect_mask(records) & buyer_mask(records),
    )


def future_margin(records: Records, view: LifetimeView) -> float:
    """Expected margin after the horizon of every customer active at the horizon, discounted to the horizon day."""
    return float(view.future.sum())


def clv_lifetime(records: Records, view: LifetimeView) -> float:
    """(prospects' discounted in-horizon margin + new buyers' expected future margin discounted to their entry
    day) / new_buyers: the horizon `clv` plus what the acquired customers are still worth at the horizon."""
    c = records.customers
    sources = (c.start_stage, c.purchases, view.future, view.discount)
    future = memo(f"acquired_future{records.pre_purchase}", sources, lambda: _acquired_future(records, view))
    return ratio(float(records.prospect_clv.sum()) + future, new_buyers(records))


def _acquired_future(records: Records, view: LifetimeView) -> float:
    """The new buyers' expected future margin, discounted to their entry day, summed."""
    acquired = acquired_mask(records)
    return float((view.future[acquired] * view.discount[acquired]).sum())


def ltv_to_cac(records: Records, spend: float, view: LifetimeView) -> float:
    """clv_lifetime / cac = lifetime discounted margin of the acquired customers / spend (NaN without spend)."""
    return ratio(clv_lifetime(records, view), ratio(spend, new_buyers(records)))


def payback_days(records: Records, spend: float, view: LifetimeView) -> float:
    """Days after its first purchase until an acquired customer's expected cumulative margin reaches the CAC
    (linear between days; 0 when the first purchase covers it; NaN without spend, without new buyers, or when
    the curve never reaches the CAC within its length)."""
    cac = ratio(spend, new_buyers(records))
    curve = view.margin_curve
    if math.isnan(cac) or curve.size == 0 or spend <= 0:
        return math.nan
    if curve[0] >= cac:
        return 0.0
    above = np.flatnonzero(curve >= cac)
    if above.size == 0:
        return math.nan
    d = int(above[0])
    lo, hi = float(curve[d - 1]), float(curve[d])
    return float(d - 1 + (cac - lo) / (hi - lo))
