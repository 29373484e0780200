"""Spend-based efficiency metrics: spend is money given from outside (strategies), never media units.

Every function returns NaN (never raises) when its denominator is zero.
"""

from __future__ import annotations

from journeysim.engine.records import Records
from journeysim.metrics.acquisition import new_buyers, new_prospects, purchases
from journeysim.metrics.common import ratio
from journeysim.metrics.funnel import stage_advances
from journeysim.metrics.value import margin, revenue


def cpl(records: Records, spend: float) -> float:
    """Cost per lead: spend / new_prospects."""
    return ratio(spend, new_prospects(records))


def cpa(records: Records, spend: float) -> float:
    """Cost per acquisition, read as cost per purchase: spend / purchases (repeat purchases included)."""
    return ratio(spend, purchases(records))


def cac(records: Records, spend: float) -> float:
    """Customer acquisition cost: spend / new_buyers."""
    return ratio(spend, new_buyers(records))


def roas(records: Records, spend: float) -> float:
    """Return on ad spend: revenue / spend."""
    return ratio(revenue(records), spend)


def profit(records: Records, spend: float) -> float:
    """Profit after marketing: margin - spend (money; defined also when nothing is spent)."""
    return margin(records) - float(spend)


def roi(records: Records, spend: float) -> float:
    """Return on investment: (margin - spend) / spend."""
    return ratio(margin(records) - float(spend), spend)


def cost_per_stage_advance(records: Records, spend: float) -> float:
    """Spend per stage passed: spend / stage_advances (the funnel table's `advanced` column summed)."""
    return ratio(spend, stage_advances(records))


def wasted_spend(records: Records, spend: float) -> float:
    """Spend paid for impressions bought but not delivered (audience or frequency cap binding), all channels.

    Per day and channel: spend x (1 - delivered impressions / bought impressions) (`MediaRecord.wasted_spend`).
    """
    return float(records.media.wasted_spend.sum())
