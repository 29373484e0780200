"""A model whose optimal split is known in closed form: three channels, each reaching only its own segment's market
and lifting only that segment's arrivals, so their effects add and each channel's response is a Hill curve in its
budget with known parameters.

Channel i buys impressions at a fixed CPM from a market of M people, spread evenly over H days: exposures per
person per day e = 1000 x / (H CPM M), and its arrivals lift is l_i e / (e + h_i). Every arrival buys with the same
probability within the horizon, so the expected incremental new buyers are K sum_i l_i x_i / (x_i + b_i) with
b_i = h_i H CPM M / 1000 and the same K for every segment. Equal marginal returns, K l_i b_i / (x_i + b_i)^2 = mu,
with sum x_i = T give x_i = (T + sum b) sqrt(l_i b_i) / sum_j sqrt(l_j b_j) - b_i (K cancels).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from journeysim.model import Scenario
from journeysim.study.optimize.evaluate import simulate_plans
from journeysim.study.optimize.search import objective_samples

HORIZON = 60
LIFT = (0.5, 1.0, 3.0)
HALF = (0.03, 0.06, 0.12)  # exposures per person per day at half the maximum lift
MARKET, CPM = 100_000, 10.0


def _channel(i: int) -> dict[str, Any]:
    return {
        "cost_model": "cpm",
        "unit_cost": CPM,
        "positions": [],
        "segments": [f"s{i}"],
        "market_audience": MARKET,
        "adstock": 0.0,
        "response": {"kind": "hill", "half_saturation": HALF[i], "slope": 1.0},
        "effects": [{"kind": "arrivals", "lift": LIFT[i]}],
    }


def build(replications: int = 8, seed: int = 3, budgets: tuple[float, ...] = (10_000.0,) * 3) -> Scenario:
    journey = {
        "name": "one_step",
        "stages": ["prospect", "buyer", "lost"],
        "entry": "prospect",
        "conversion": ["buyer"],
        "terminal": ["lost"],
        "positions": {"prospect": "top", "buyer": "post_purchase", "lost": "exit"},
        "rates": {"prospect": {"buyer": 0.5, "lost": 0.5}},
    }
    return Scenario.from_dict(
        {
            "journey": journey,
            "population": {"segments": {f"s{i}": {"arrivals_per_day": 20.0} for i in range(3)}},
            "channels": {f"c{i}": _channel(i) for i in range(3)},
            "sim": {"horizon_days": HORIZON, "replications": replications, "seed": seed},
            "strategy": {"budgets": {f"c{i}": b for i, b in enumerate(budgets)}},
        }
    )


def half_budgets() -> np.ndarray:
    """b_i: the budget at which channel i gives half its maximum lift."""
    return np.array(HALF) * HORIZON * CPM * MARKET / 1000.0


def equal_marginal_split(total: float, lift: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x_i = (T + sum b) sqrt(l_i b_i) / sum_j sqrt(l_j b_j) - b_i: equal marginal returns of l_i x_i / (x_i + b_i)."""
    w = np.sqrt(lift * b)
    return (total + b.sum()) * w / w.sum() - b


def optimum(total: float) -> np.ndarray:
    """The closed-form optimal split of `total` (all channels interior)."""
    return equal_marginal_split(total, np.array(LIFT), half_budgets())


@pytest.fixture
def independent() -> Callable[..., Scenario]:
    """`independent(replications=8, seed=3, budgets=(10000, 10000, 10000))`: the closed-form model."""
    return build


@pytest.fixture
def closed_form() -> Callable[[float], np.ndarray]:
    """`closed_form(total)`: the known optimal split."""
    return optimum


@pytest.fixture
def half_saturation_budgets() -> np.ndarray:
    return half_budgets()


@pytest.fixture
def lifts() -> np.ndarray:
    return np.array(LIFT)


# A one-channel model over two 30-day periods whose second period converts half as often: prospect -> buyer at
# rate 5 x 1/3 (a rate multiplier on days 30-60) against prospect -> lost at 5, so P(buy) falls from 1/2 to 1/4.
# The channel lifts arrivals (100/day) by 3 e / (e + 0.06) with e the exposures per person per day, so the expected
# incremental new buyers in period p are a_p x_p / (x_p + b) with b = 0.06 x 30 x CPM x M / 1000 = 1,800 and
# a_2 = a_1 / 2 (the exits are fast, mean 0.1 day, so a period's arrivals decide within it). Equal marginal returns
# a_p b / (x_p + b)^2 with x_1 + x_2 = T give x_p = (T + 2b) sqrt(a_p) / (sqrt(a_1) + sqrt(a_2)) - b.
SEASON_DAYS, SEASON_ARRIVALS, SEASON_FACTOR = 30, 100.0, 1.0 / 3.0


def build_seasonal(replications: int = 8, seed: int = 3, budget: float = 6_000.0, adstock: float = 0.0) -> Scenario:
    journey = {
        "name": "one_step",
        "stages": ["prospect", "buyer", "lost"],
        "entry": "prospect",
        "conversion": ["buyer"],
        "terminal": ["lost"],
        "positions": {"prospect": "top", "buyer": "post_purchase", "lost": "exit"},
        "rates": {"prospect": {"buyer": 5.0, "lost": 5.0}},
    }
    channel = {**_channel(1), "segments": ["s0"], "effects": [{"kind": "arrivals", "lift": 3.0}], "adstock": adstock}
    late = {"from": "prospect", "to": "buyer", "factor": SEASON_FACTOR, "start": SEASON_DAYS, "end": 2 * SEASON_DAYS}
    return Scenario.from_dict(
        {
            "journey": journey,
            "population": {"segments": {"s0": {"arrivals_per_day": SEASON_ARRIVALS}}},
            "channels": {"c0": channel},
            "sim": {"horizon_days": 2 * SEASON_DAYS, "replications": replications, "seed": seed},
            "strategy": {"budgets": {"c0": budget}, "rate_multipliers": [late]},
        }
    )


def seasonal_optimum(total: float) -> np.ndarray:
    """The closed-form split of `total` over the two periods (a_2 = a_1 / 2, b = 1,800 in both)."""
    b = HALF[1] * SEASON_DAYS * CPM * MARKET / 1000.0
    return equal_marginal_split(total, np.array([1.0, 0.5]), np.full(2, b))


@pytest.fixture
def seasonal() -> Callable[..., Scenario]:
    """`seasonal(replications=8, seed=3, budget=6000, adstock=0)`: one channel, two periods, the second half as
    responsive (with `adstock`, money carries over from the first period into the second)."""
    return build_seasonal


@pytest.fixture
def seasonal_closed_form() -> Callable[[float], np.ndarray]:
    return seasonal_optimum


def assert_not_beaten(fresh: Scenario, plans: Sequence[Scenario]) -> None:
    """On fresh seeds, plan 1 (the closed-form truth) beats plan 0 (the one found) in new buyers by at most 3
    standard errors of the paired difference."""
    table = simulate_plans(fresh, plans)
    found, best = (objective_samples(table[table["candidate"] == k], "new_buyers") for k in (0, 1))
    d = best - found
    se = d.std(ddof=1) / math.sqrt(d.size)
    assert d.mean() <= 3 * se + 1e-9, (d.mean(), se)


@pytest.fixture
def not_beaten() -> Callable[[Scenario, Sequence[Scenario]], None]:
    """`not_beaten(fresh, [found, truth])`: the found plan is within noise of the truth (`assert_not_beaten`)."""
    return assert_not_beaten


# With adstock the seasonal model's expectation is a sum over days (`analytic.carryover.response_path`): arrivals on
# day t come at 100 (1 + 3 r_t), r_t the Hill curve (half 0.06) of the adstocked exposures per person
# a_t = e_t + decay a_{t-1}, e_t = 1000 x_p / (30 CPM M) on the days of period p; an arrival at time u buys before
# the horizon with the competing-risks probability of its piecewise-constant rates (buy 5, then 5/3 from day 30;
# exit 5). So E[incremental new buyers] = sum_t 100 x 3 x r_t x P_t, P_t the day's mean purchase probability.
def purchase_by_day(days: int = 2 * SEASON_DAYS, steps: int = 400) -> np.ndarray:
    """P_t: the probability that an arrival during day t buys before the horizon (mean over the day's arrivals)."""
    horizon, cut, exit_rate = float(days), float(SEASON_DAYS), 5.0

    def buys(u: float) -> float:
        total, alive = 0.0, 1.0
        for a, b, buy in ((u, max(u, cut), 5.0), (max(u, cut), horizon, 5.0 * SEASON_FACTOR)):
            rate = buy + exit_rate
            total += alive * buy / rate * -math.expm1(-rate * (b - a))
            alive *= math.exp(-rate * (b - a))
        return total

    return np.array([np.mean([buys(t + (i + 0.5) / steps) for i in range(steps)]) for t in range(days)])


def seasonal_expected(x: np.ndarray, adstock: float, by_day: np.ndarray | None = None) -> float:
    """E[incremental new buyers] of the seasonal model at period budgets `x` with this adstock."""
    from journeysim.analytic.carryover import response_path

    p = purchase_by_day() if by_day is None else by_day
    exposures = np.repeat(np.asarray(x, float), SEASON_DAYS) * 1000.0 / (SEASON_DAYS * CPM * MARKET)
    r = response_path(exposures, adstock, HALF[1], 1.0)
    return float((SEASON_ARRIVALS * 3.0 * r * p).sum())


def seasonal_carry_optimum(total: float, adstock: float) -> np.ndarray:
    """The split of `total` over the two periods with the largest `seasonal_expected` (bounded scalar search)."""
    from scipy.optimize import minimize_scalar

    p = purchase_by_day()
    res = minimize_scalar(
        lambda a: -seasonal_expected(np.array([a, total - a]), adstock, p),
        bounds=(0.0, total),
        method="bounded",
        options={"xatol": 1e-3},
    )
    return np.array([res.x, total - res.x])


@pytest.fixture
def seasonal_carry() -> tuple[Callable[..., float], Callable[[float, float], np.ndarray]]:
    """(`seasonal_expected(x, adstock)`, `seasonal_carry_optimum(total, adstock)`): the closed form with carry-over."""
    return seasonal_expected, seasonal_carry_optimum
