"""Budget -> daily money -> media units, and referral fees, worked by hand; unknown cost models and pacings are
ConfigErrors naming the setting, also when a channel or plan is built directly."""

from __future__ import annotations

import numpy as np
import pytest

from journeysim.errors import ConfigError
from journeysim.interventions import Channel, ChannelPlan, Effect, Flight, schedule
from journeysim.interventions.media import COST_MODELS, fixed_fee_units


def channel(cost_model: str = "cpm", unit_cost: float = 5.0, frequency: float = 1.0) -> Channel:
    return Channel("promo", cost_model, unit_cost, (), ("intent",), (Effect("purchase", 0.2),), frequency=frequency)


def test_daily_spend_spreads_the_budget_over_the_flights() -> None:
    plan = ChannelPlan("promo", 100.0, (Flight(1, 3), Flight(5, 7)), "front_loaded")
    np.testing.assert_allclose(schedule.daily_spend(plan, 8), [0, 40, 30, 0, 0, 20, 10, 0])
    even = ChannelPlan("promo", 90.0, (Flight(0, 3),), "even")
    np.testing.assert_allclose(schedule.daily_spend(even, 4), [30, 30, 30, 0])


def test_units_bought_in_advance_or_from_the_audience() -> None:
    spend = np.array([10.0, 0.0, 2.5])
    np.testing.assert_allclose(schedule.bought_units(channel("cpm", 5.0), spend), [2000.0, 0.0, 500.0])
    np.testing.assert_allclose(schedule.bought_units(channel("cpc", 0.5), spend), [20.0, 0.0, 5.0])
    fee = channel("fixed_fee", 5.0, frequency=2.0)
    assert schedule.bought_units(fee, spend) is None
    cost = schedule.cost_model(fee)
    # a full fee exposes 1000 people twice; half the fee, half of that
    assert schedule.units_on_day(cost, fee, None, 0, 5.0, 1000.0) == 2000.0
    assert schedule.units_on_day(cost, fee, None, 0, 2.5, 1000.0) == 1000.0
    assert fixed_fee_units(50.0, 5.0, 1000.0, 2.0) == 2000.0  # capped at the full fee
    assert schedule.units_on_day(cost, fee, np.array([7.0]), 0, 2.5, 1000.0) == 7.0


def test_referral_fees_only_while_in_flight() -> None:
    spend = np.array([0.0, 10.0, 10.0, 0.0])
    referrals = np.array([3, 2, 0, 4])
    np.testing.assert_array_equal(schedule.referral_fees(spend, referrals, 1.5), [0.0, 3.0, 0.0, 0.0])
    np.testing.assert_array_equal(schedule.referral_fees(spend, referrals, 0.0), np.zeros(4))


def test_unknown_cost_model_built_directly_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as err:
        schedule.bought_units(channel("cmp"), np.ones(3))
    assert err.value.setting == "channels.promo.cost_model"  # formerly a bare ValueError from `media_units`
    assert "unknown cost model 'cmp'" in err.value.problem and "did you mean 'cpm'" in err.value.fix
    assert COST_MODELS.names() == ("cpm", "cpc", "per_send", "fixed_fee")


def test_unknown_pacing_built_directly_is_a_config_error() -> None:
    plan = ChannelPlan("promo", 100.0, (Flight(0, 3),), "evenly")
    with pytest.raises(ConfigError, match="did you mean 'even'") as err:
        schedule.daily_spend(plan, 5)
    assert err.value.setting == "strategy.pacing"  # formerly a bare ValueError
    # a daily profile overrides the pacing name
    profiled = ChannelPlan("promo", 100.0, (Flight(0, 2),), "even", (3.0, 1.0))
    np.testing.assert_allclose(schedule.daily_spend(profiled, 2), [75.0, 25.0])
