"""Semi-Markov dwell and segment rate multipliers in the fast engine vs the closed-form answers.

Infinite-horizon answers stay exact for semi-Markov journeys (the dwell families keep the mean holding time and
the destination probabilities), so a gamma dwell is checked over a horizon long enough that nothing is censored.
Segments are checked one by one against the chain with their multiplied rates.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from theory_check import binomial_se, mean_se, simulate, visited, within_se

import journeysim.analytic as A
from journeysim.engine.records import Records
from journeysim.model.journey import Dwell, Journey
from journeysim.model.population import Population, Segment
from journeysim.model.scenario import Scenario, Settings

N = 100_000
LONG = 2000  # days: no first purchase is left to happen, purchase loops have all ended (checked below)


@pytest.fixture(scope="module", params=[Dwell("gamma", 0.4), Dwell("gamma", 5.0)], ids=["gamma-0.4", "gamma-5"])
def semi(request: pytest.FixtureRequest, journey: Journey) -> tuple[Journey, Records]:
    # Consideration is visited repeatedly (back from intent, re-evaluation from loyalty): the dwell is redrawn
    # on every visit. Shape 0.4 is more variable than exponential, shape 5 much more regular.
    semi_journey = replace(journey, dwell={"consideration": request.param})
    population = Population((Segment("cohort", initial={"awareness": N}),))
    rec = simulate(Scenario(semi_journey, population, Settings(horizon_days=LONG)), 301, event_log=True)
    # Nothing is censored: everyone has churned by the horizon.
    churned = semi_journey.index("churned")
    assert np.count_nonzero(rec.customers.final_stage != churned) <= 2
    return semi_journey, rec


def test_semi_markov_conversion_probability(semi: tuple[Journey, Records]) -> None:
    journey, rec = semi
    p_hat = float((~np.isnan(rec.customers.first_purchase)).mean())
    theory = A.conversion_probability(journey)
    within_se("P(ever purchase), gamma dwell", p_hat, theory, binomial_se(p_hat, N))


def test_semi_markov_time_to_first_purchase(semi: tuple[Journey, Records]) -> None:
    journey, rec = semi
    first = rec.customers.first_purchase
    fp = first[~np.isnan(first)]
    theory = A.expected_time_to_purchase(journey)
    within_se("E[days to first purchase], gamma dwell", float(fp.mean()), theory, mean_se(fp))


def test_semi_markov_purchases_and_reach(semi: tuple[Journey, Records]) -> None:
    journey, rec = semi
    buys = rec.customers.purchases.astype(np.float64)
    within_se("lifetime purchases, gamma dwell", float(buys.mean()), A.expected_purchases(journey), mean_se(buys))
    reach = A.stage_reach_probability(journey)
    for s, name in enumerate(journey.stages):
        p_hat = float(visited(rec, s).mean())
        within_se(f"P(ever visit {name}), gamma dwell", p_hat, float(reach[name]), binomial_se(p_hat, N))


def test_semi_markov_visits_and_days_per_stage(semi: tuple[Journey, Records]) -> None:
    # From the event log: per customer, the visits to each stage and the days spent there (each stay ends at the
    # customer's next event). Expected days = expected visits x mean holding time, also for gamma dwell.
    journey, rec = semi
    assert rec.events is not None
    ev = rec.events.sort_values(["customer", "time"], kind="stable")
    customer = ev["customer"].to_numpy()
    time = ev["time"].to_numpy()
    previous = np.r_[np.nan, time[:-1]]
    first = np.r_[True, customer[1:] != customer[:-1]]
    previous[first] = rec.customers.entry_time[customer[first]]
    stay = time - previous
    src = ev["from_stage"].cat.codes.to_numpy()
    dst = ev["to_stage"].cat.codes.to_numpy()
    visits = A.expected_visits(journey)
    days = A.expected_time_in_stage(journey)
    for s, name in enumerate(journey.stages):
        if name in journey.terminal:
            continue
        per_visit = np.bincount(customer[dst == s], minlength=N).astype(np.float64)
        per_visit[rec.customers.start_stage == s] += 1.0
        within_se(f"visits to {name}, gamma dwell", float(per_visit.mean()), float(visits[name]), mean_se(per_visit))
        per_day = np.bincount(customer[src == s], weights=stay[src == s], minlength=N)
        within_se(f"days in {name}, gamma dwell", float(per_day.mean()), float(days[name]), mean_se(per_day))


SEGMENTS = (
    Segment("base", initial={"awareness": 50_000}),
    Segment("fast", initial={"awareness": 50_000}, rate_multiplier=2.0),
    Segment(
        "tuned",
        initial={"awareness": 50_000},
        transition_multipliers={
            "intent": {"purchase": 2.0},
            "awareness": {"churned": 0.5},
            "loyalty": {"consideration": 3.0},
        },
    ),
)
SEG_HORIZON = 30


@pytest.fixture(scope="module")
def segmented(journey: Journey) -> tuple[Scenario, Records]:
    sc = Scenario(journey, Population(SEGMENTS), Settings(horizon_days=SEG_HORIZON))
    return sc, simulate(sc, 302)


@pytest.mark.parametrize("segment", [s.name for s in SEGMENTS])
def test_segment_multipliers(journey: Journey, segmented: tuple[Scenario, Records], segment: str) -> None:
    sc, rec = segmented
    g = sc.population.names.index(segment)
    mine = rec.customers.segment == g
    n = int(mine.sum())
    first = rec.customers.first_purchase[mine]
    converted = ~np.isnan(first)
    p_hat = float(converted.mean())
    theory = A.conversion_probability(sc, horizon=SEG_HORIZON, segment=segment)
    within_se(f"{segment}: P(purchase within {SEG_HORIZON}d)", p_hat, theory, binomial_se(p_hat, n))
    fp = first[converted]
    theory = A.expected_time_to_purchase(sc, horizon=SEG_HORIZON, segment=segment)
    within_se(f"{segment}: E[days to first purchase]", float(fp.mean()), theory, mean_se(fp))
    buys = rec.customers.purchases[mine].astype(np.float64)
    theory = A.expected_purchases(sc, horizon=SEG_HORIZON, segment=segment)
    within_se(f"{segment}: purchases per customer", float(buys.mean()), theory, mean_se(buys))
    occupancy = rec.occupancy()[-1, g]
    expected = A.expected_occupancy(sc, 0.0, SEG_HORIZON, initial={"awareness": n}, segment=segment)
    for s, name in enumerate(journey.stages):
        share = float(occupancy[s]) / n
        within_se(f"{segment}: share in {name}", share, float(expected[name]) / n, binomial_se(share, n))


def test_segments_differ_from_the_base_journey(segmented: tuple[Scenario, Records]) -> None:
    # The multipliers must matter, or the per-segment checks above could not tell segments apart.
    sc, _ = segmented
    base = A.conversion_probability(sc, horizon=SEG_HORIZON, segment="base")
    for other in ("fast", "tuned"):
        assert abs(A.conversion_probability(sc, horizon=SEG_HORIZON, segment=other) - base) > 0.02
