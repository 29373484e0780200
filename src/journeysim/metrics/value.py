"""Money metrics: revenue, margin, average order value and discounted CLV per acquired customer."""

from __future__ import annotations

from journeysim.engine.records import Records
from journeysim.metrics.acquisition import new_buyers, purchases
from journeysim.metrics.common import ratio


def revenue(records: Records) -> float:
    """Revenue booked within the horizon, all segments."""
    return float(records.revenue.sum())


def margin(records: Records) -> float:
    """Margin (revenue x segment margin) booked within the horizon, all segments."""
    return float(records.margin.sum())


def aov(records: Records) -> float:
    """Average order value: revenue / purchases."""
    return ratio(revenue(records), purchases(records))


def clv(records: Records) -> float:
    """Discounted margin per acquired customer: sum of `records.prospect_clv` / new_buyers.

    Each prospect's margin is discounted continuously from their entry day (delta = ln(1 + annual rate) / 365)
    and truncated at the horizon, so this is a horizon CLV, not a lifetime value.
    """
    return ratio(float(records.prospect_clv.sum()), new_buyers(records))
