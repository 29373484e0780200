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

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from journeysim.model import Scenario

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


def optimum(total: float) -> np.ndarray:
    """The closed-form optimal split of `total` (all channels interior)."""
    b, lift = half_budgets(), np.array(LIFT)
    w = np.sqrt(lift * b)
    return (total + b.sum()) * w / w.sum() - b


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
