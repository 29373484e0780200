"""A population with customers at day 0 and Poisson arrivals in the fast engine vs the closed-form answers.

Occupancy at the horizon and purchases over it are sums over independent customers (initial ones) plus a
compound Poisson sum (arrivals); their standard errors are estimated from the simulated sample.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from theory_check import population_se, simulate, within_se

import journeysim.analytic as A
from journeysim.engine.records import Records
from journeysim.model.journey import Dwell, Journey
from journeysim.model.population import Population, Segment
from journeysim.model.scenario import Scenario, Settings

HORIZON = 200
ARRIVALS = 250.0
INITIAL = {"awareness": 5000, "intent": 2000, "loyalty": 3000}


@pytest.fixture(scope="module")
def steady(journey: Journey) -> Records:
    segment = Segment("prospects", initial=INITIAL, arrivals_per_day=ARRIVALS)
    return simulate(Scenario(journey, Population((segment,)), Settings(horizon_days=HORIZON)), 201)


def test_occupancy_at_the_horizon_with_arrivals(journey: Journey, steady: Records) -> None:
    occupancy = steady.occupancy()[-1, 0]
    arrived = steady.customers.entry_time < HORIZON
    final = steady.customers.final_stage
    np.testing.assert_array_equal(occupancy, np.bincount(final[arrived], minlength=journey.n_stages))
    theory = A.expected_occupancy(journey, ARRIVALS, HORIZON, initial=INITIAL)
    for s, name in enumerate(journey.stages):
        se = population_se(steady, (final == s).astype(np.float64))
        within_se(f"customers in {name} at day {HORIZON}", float(occupancy[s]), float(theory[name]), se)


def test_purchases_with_arrivals(journey: Journey, steady: Records) -> None:
    total = float(steady.purchases_per_day().sum())
    theory = A.expected_purchases_with_arrivals(journey, ARRIVALS, HORIZON, initial=INITIAL)
    se = population_se(steady, steady.customers.purchases.astype(np.float64))
    within_se(f"purchases over {HORIZON} days", total, theory, se)


@pytest.mark.parametrize("dwell", [None, Dwell("gamma", 0.4)], ids=["markov", "gamma-consideration"])
def test_littles_law_in_steady_state(journey: Journey, dwell: Dwell | None) -> None:
    # After 1000 days of Poisson arrivals every stage is in steady state: customers there = arrivals per day x
    # expected days a customer spends there. That product is exact for semi-Markov journeys too (M/G/inf), and
    # each count is Poisson, so its variance is estimated by the count itself.
    horizon, arrivals = 1000, 80.0
    if dwell is not None:
        journey = replace(journey, dwell={"consideration": dwell})
    days = A.expected_time_in_stage(journey)
    sc = Scenario(journey, Population((Segment("flow", arrivals_per_day=arrivals),)), Settings(horizon_days=horizon))
    occupancy = simulate(sc, 203).occupancy()[-1, 0]
    markov = A.expected_occupancy(replace(journey, dwell={}), arrivals, horizon)
    for s, name in enumerate(journey.stages):
        if name in journey.terminal:
            continue
        assert markov[name] == pytest.approx(arrivals * days[name], rel=1e-4)  # the horizon is long enough
        n = float(occupancy[s])
        within_se(f"Little's law in {name}", n, arrivals * float(days[name]), np.sqrt(max(n, 1.0)))


SEASONAL_DAYS = 120


@pytest.fixture(scope="module")
def seasonal(journey: Journey) -> tuple[Scenario, Records]:
    segment = Segment(
        "seasonal",
        arrivals_per_day=400.0,
        weekly=(1, 1, 1, 1, 1, 0.4, 0.3),
        seasonal_amplitude=0.6,
        seasonal_peak_day=40.0,
    )
    sc = Scenario(journey, Population((segment,)), Settings(horizon_days=SEASONAL_DAYS))
    return sc, simulate(sc, 202, event_log=True)


def test_arrivals_follow_the_weekly_and_seasonal_profile(seasonal: tuple[Scenario, Records]) -> None:
    sc, rec = seasonal
    ts = A.expected_timeseries(sc)
    arrivals = rec.flows[:, 0, -1, :].sum(axis=1)  # source index S = arrival from outside
    for first in range(0, SEASONAL_DAYS, 7):
        week = slice(first, first + 7)
        n = float(arrivals[week].sum())
        within_se(f"arrivals in days {first}..{first + 6}", n, float(ts["arrivals"][week].sum()), np.sqrt(n))


@pytest.mark.parametrize("day", [29, 59, 89, 119])
def test_daily_occupancy_under_seasonal_arrivals(
    journey: Journey, seasonal: tuple[Scenario, Records], day: int
) -> None:
    # Customers arriving as a Poisson process and moving independently: each stage count is Poisson,
    # so its variance is its mean, estimated by the simulated count.
    sc, rec = seasonal
    ts = A.expected_timeseries(sc)
    occupancy = rec.occupancy()[day, 0]
    for s, name in enumerate(journey.stages):
        n = float(occupancy[s])
        within_se(f"customers in {name} at the end of day {day}", n, float(ts.loc[day, name]), np.sqrt(max(n, 1.0)))


def test_purchases_per_month_under_seasonal_arrivals(journey: Journey, seasonal: tuple[Scenario, Records]) -> None:
    sc, rec = seasonal
    ts = A.expected_timeseries(sc)
    assert rec.events is not None
    buys = rec.events[rec.events["to_stage"].isin(journey.conversion)]
    per_day = rec.purchases_per_day()[:, 0]
    for first in range(0, SEASONAL_DAYS, 30):
        block = buys[(buys["time"] >= first) & (buys["time"] < first + 30)]
        per_customer = block.groupby("customer").size().to_numpy(np.float64)
        simulated = float(per_day[first : first + 30].sum())
        assert simulated == per_customer.sum()
        theory = float(ts["purchases"][first : first + 30].sum())
        se = float(np.sqrt(np.sum(per_customer**2)))  # compound Poisson: Var = E[sum_c x_c^2]
        within_se(f"purchases in days {first}..{first + 29}", simulated, theory, se)
