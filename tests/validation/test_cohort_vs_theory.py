"""A cohort walking the default journey in the fast engine vs the closed-form finite-horizon answers.

Cohorts of 100,000 customers start together in one stage at day 0; every comparison uses the exact value at
the simulated horizon and a tolerance of 4 standard errors estimated from the simulated sample.
"""

from __future__ import annotations

import numpy as np
import pytest
from theory_check import binomial_se, mean_se, simulate, visited, within_se

import journeysim.analytic as A
from journeysim.engine.records import Records
from journeysim.model.journey import Journey
from journeysim.model.population import Population, Segment
from journeysim.model.scenario import Scenario, Settings

N = 100_000
# (start stage, horizon in days, seed): short and long horizons from the entry; re-evaluating loyal customers;
# customers who start in the conversion stage (their start is not a purchase, a return to it is).
COHORTS = [("awareness", 30, 101), ("awareness", 365, 102), ("loyalty", 365, 103), ("purchase", 180, 104)]
IDS = [f"{s}-{h}d" for s, h, _ in COHORTS]


@pytest.fixture(scope="module")
def cohorts(journey: Journey) -> dict[tuple[str, int], Records]:
    out = {}
    for start, horizon, seed in COHORTS:
        sc = Scenario(journey, Population((Segment("cohort", initial={start: N}),)), Settings(horizon_days=horizon))
        out[(start, horizon)] = simulate(sc, seed)
    return out


@pytest.mark.parametrize(("start", "horizon", "seed"), COHORTS, ids=IDS)
def test_conversion_probability(
    journey: Journey, cohorts: dict[tuple[str, int], Records], start: str, horizon: int, seed: int
) -> None:
    rec = cohorts[(start, horizon)]
    converted = ~np.isnan(rec.customers.first_purchase)
    p_hat = float(converted.mean())
    theory = A.conversion_probability(journey, start=start, horizon=horizon)
    within_se(f"P(purchase within {horizon}d from {start})", p_hat, theory, binomial_se(p_hat, N))


@pytest.mark.parametrize(("start", "horizon", "seed"), COHORTS, ids=IDS)
def test_expected_time_to_first_purchase(
    journey: Journey, cohorts: dict[tuple[str, int], Records], start: str, horizon: int, seed: int
) -> None:
    first = cohorts[(start, horizon)].customers.first_purchase
    fp = first[~np.isnan(first)]
    theory = A.expected_time_to_purchase(journey, start=start, horizon=horizon)
    within_se(f"E[days to first purchase | within {horizon}d] from {start}", float(fp.mean()), theory, mean_se(fp))


@pytest.mark.parametrize(("start", "horizon", "seed"), COHORTS, ids=IDS)
def test_expected_purchases_per_customer(
    journey: Journey, cohorts: dict[tuple[str, int], Records], start: str, horizon: int, seed: int
) -> None:
    rec = cohorts[(start, horizon)]
    buys = rec.customers.purchases.astype(np.float64)
    theory = A.expected_purchases(journey, start=start, horizon=horizon)
    within_se(f"purchases per customer within {horizon}d from {start}", float(buys.mean()), theory, mean_se(buys))
    # The daily flows book the same purchases as the customer table.
    assert rec.purchases_per_day().sum() == rec.customers.purchases.sum()


@pytest.mark.parametrize(("start", "horizon", "seed"), COHORTS, ids=IDS)
def test_stage_reach_probabilities(
    journey: Journey, cohorts: dict[tuple[str, int], Records], start: str, horizon: int, seed: int
) -> None:
    rec = cohorts[(start, horizon)]
    theory = A.stage_reach_probability(journey, start=start, horizon=horizon)
    for s, name in enumerate(journey.stages):
        p_hat = float(visited(rec, s).mean())
        within_se(f"P(visit {name} within {horizon}d from {start})", p_hat, float(theory[name]), binomial_se(p_hat, N))


@pytest.mark.parametrize(("start", "horizon", "seed"), COHORTS, ids=IDS)
def test_occupancy_at_the_horizon(
    journey: Journey, cohorts: dict[tuple[str, int], Records], start: str, horizon: int, seed: int
) -> None:
    rec = cohorts[(start, horizon)]
    occupancy = rec.occupancy()[-1, 0]
    np.testing.assert_array_equal(occupancy, np.bincount(rec.customers.final_stage, minlength=journey.n_stages))
    theory = A.expected_occupancy(journey, 0.0, horizon, initial={start: N})
    for s, name in enumerate(journey.stages):
        share = occupancy[s] / N
        within_se(f"share in {name} at day {horizon} from {start}", share, theory[name] / N, binomial_se(share, N))
