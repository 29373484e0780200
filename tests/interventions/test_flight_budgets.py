"""Flights that carry their own budget (`strategy.flights.<c>: [{start, end, budget}]`): the money per flight, spread
within it by the pacing; clipping to the horizon; bad input naming the setting; population.scale on the money."""

from __future__ import annotations

import numpy as np
import pytest

from journeysim.config.scaling import scaled_strategy
from journeysim.errors import ConfigError
from journeysim.interventions.schedule import daily_spend
from journeysim.interventions.strategy import Flight, Strategy, budgeted_profile

TWO = [{"start": 0, "end": 30, "budget": 20_000}, {"start": 30, "end": 60, "budget": 10_000}]


def _spend(data: dict, horizon: int = 60) -> dict[str, np.ndarray]:
    s = Strategy.from_dict(data, horizon)
    return {p.channel: daily_spend(p, horizon) for p in s.plans}


def test_each_flight_spends_its_own_budget_evenly() -> None:
    """20,000 over days 0-29 and 10,000 over 30-59: 666.67 and 333.33 a day; the channel needs no `budgets` entry."""
    spend = _spend({"budgets": {"social": 1_000}, "flights": {"search": TWO}})
    np.testing.assert_allclose(spend["search"][:30], 20_000 / 30)
    np.testing.assert_allclose(spend["search"][30:], 10_000 / 30)
    np.testing.assert_allclose(spend["social"], 1_000 / 60)


def test_pacing_shapes_the_money_within_each_flight() -> None:
    """front_loaded over the channel's 60 flight days, each flight's part rescaled to its budget: the flights get
    exactly their budgets and keep the falling shape inside (day 0 > day 29, day 30 > day 59)."""
    spend = _spend({"pacing": "front_loaded", "flights": {"search": TWO}})["search"]
    assert spend[:30].sum() == pytest.approx(20_000) and spend[30:].sum() == pytest.approx(10_000)
    assert spend[0] > spend[29] and spend[30] > spend[59]


def test_a_flight_past_the_horizon_is_clipped_with_its_daily_money() -> None:
    """Horizon 45: the second flight keeps 15 of its 30 days at 333.33 a day (a note says what was clipped)."""
    s = Strategy.from_dict({"flights": {"search": TWO}}, 45)
    spend = daily_spend(s.plans[0], 45)
    np.testing.assert_allclose(spend[30:], 10_000 / 30)
    assert s.total_budget == pytest.approx(25_000) and "clipped" in s.notes[0]


def test_the_total_and_explicit_budgets_must_agree() -> None:
    """`budget` counts the flights' money; an explicit channel budget must equal its flights' sum."""
    ok = Strategy.from_dict({"budget": 31_000, "budgets": {"social": 1_000}, "flights": {"search": TWO}}, 60)
    assert ok.total_budget == pytest.approx(31_000)
    with pytest.raises(ConfigError) as info:
        Strategy.from_dict({"budgets": {"search": 5}, "flights": {"search": TWO}}, 60)
    assert info.value.setting == "strategy.budgets.search" and "30000" in info.value.problem


@pytest.mark.parametrize(
    ("data", "setting"),
    [
        ({"flights": {"search": [TWO[0], {"start": 30, "end": 60}]}}, "strategy.flights.search[1].budget"),
        ({"flights": {"search": [{"start": 0, "end": 9, "budget": -1}]}}, "strategy.flights.search[0].budget"),
        ({"allocation": {"social": 1}, "budget": 9, "flights": {"search": TWO}}, "strategy.flights.search"),
        (
            {"budgets": {"search": 5}, "flights": {"search": [{"start": 0, "end": 9, "money": 1}]}},
            "strategy.flights.search[0].money",
        ),
        (
            {"pacing": "flighted", "flights": {"search": [{"start": 0, "end": 14, "budget": 1}] * 2}},
            "strategy.flights.search[1].budget",
        ),
    ],
)
def test_bad_flight_budgets_name_the_setting(data: dict, setting: str) -> None:
    with pytest.raises(ConfigError) as info:
        Strategy.from_dict(data, 60)
    assert info.value.setting == setting and info.value.fix


def test_flights_without_budgets_are_unchanged() -> None:
    """The old form gives the very same plan (no profile is made up)."""
    s = Strategy.from_dict({"budgets": {"search": 900}, "flights": {"search": [{"start": 5, "end": 35}]}}, 60)
    assert s.plans[0].profile is None and s.plans[0].flights == (Flight(5, 35),)


def test_budgeted_profile_puts_each_budget_on_its_flight() -> None:
    w = np.array([1.0, 1.0, 2.0, 2.0, 0.0])
    prof = np.array(budgeted_profile(w, (Flight(0, 2), Flight(2, 5)), (30.0, 10.0)))
    np.testing.assert_allclose(prof, [0.375, 0.375, 0.125, 0.125, 0.0])  # 30/40 halved, 10/40 over weights 2,2,0


def test_population_scale_scales_the_flights_money() -> None:
    out = scaled_strategy({"budgets": {"social": 100}, "flights": {"search": TWO}}, 0.1)
    assert out is not None
    assert [f["budget"] for f in out["flights"]["search"]] == [2_000.0, 1_000.0]
    assert out["budgets"] == {"social": 10.0}
