"""A strategy's money over time: budget -> daily spend per channel -> media units, and referral fees.

The one place where a channel plan's budget becomes money per day (flights and pacing), where money becomes
media units through the channel's cost model (bought in advance, or, for audience-priced models such as a fixed
fee, from the day's audience), and where referral programmes' fees are charged.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from journeysim.interventions.channels import Channel
from journeysim.interventions.media import COST_MODELS, CostModel, pacing_profile
from journeysim.interventions.strategy import ChannelPlan


def cost_model(channel: Channel) -> CostModel:
    """The channel's cost model from the registry (a ConfigError for an unknown name, however it got here)."""
    return COST_MODELS.get(channel.cost_model, f"channels.{channel.name}.cost_model")


def daily_spend(plan: ChannelPlan, horizon_days: int) -> NDArray[np.float64]:
    """(D,) money per day: the plan's budget spread over its flights' days by its pacing (or profile)."""
    spend = np.zeros(horizon_days)
    if not plan.flights:  # every flight fell past the horizon
        return spend
    flight_days = np.concatenate([np.arange(f.start, f.end) for f in plan.flights])
    weights = pacing_profile(plan.pacing, flight_days.size, plan.profile)
    np.add.at(spend, flight_days, plan.budget * weights)
    return spend


def bought_units(channel: Channel, spend: NDArray[np.float64]) -> NDArray[np.float64] | None:
    """(D,) media units the daily spend buys, or None when the cost model prices the day's audience instead."""
    cost = cost_model(channel)
    if cost.day_units is not None:
        return None
    return np.asarray(cost.units(spend, channel.unit_cost), dtype=float)  # elementwise: the same as day by day


def units_on_day(
    cost: CostModel, channel: Channel, bought: NDArray[np.float64] | None, d: int, spend: float, audience: float
) -> float:
    """Media units delivered on day d: those bought in advance, or what the day's spend buys of the audience."""
    if bought is not None:
        return float(bought[d])
    assert cost.day_units is not None  # `bought_units` returns None only for audience-priced models
    return cost.day_units(spend, channel.unit_cost, audience, channel.frequency)


def referral_fees(
    spend: NDArray[np.float64], referrals_per_day: NDArray[np.int64], cost_per_referral: float
) -> NDArray[np.float64]:
    """(D,) money a referral programme pays: `cost_per_referral` per referral on the days it is in flight."""
    fees = np.zeros(spend.shape[0])
    if cost_per_referral > 0:
        live = spend > 0
        fees[live] = referrals_per_day[live] * cost_per_referral
    return fees
