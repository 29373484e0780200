"""Bass contagion whose adopters are customers in source stages: the day's new adopters, for both engines."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from journeysim.engine.plan import CONTAGION_ID_BASE
from journeysim.model.scenario import Scenario


def is_driven_by_customers(scenario: Scenario) -> bool:
    """Whether contagion adopters come from customers in source stages (so each day depends on the population)."""
    con = scenario.word_of_mouth.contagion
    return con is not None and con.source is not None


def day_adopters(
    scenario: Scenario, d: int, occupancy: NDArray[np.int64], adopted: int, rng: np.random.Generator
) -> tuple[int, NDArray[np.float64]]:
    """Day d's new adopters, (segment, arrival times in order), from the occupancy at the day's start and the
    `adopted` so far; the hazard is fixed over the day, so each time is an exponential truncated to the day."""
    con = scenario.word_of_mouth.contagion
    g = 0
    if con is None or con.source is None:
        return g, np.zeros(0)
    j = scenario.journey
    g = scenario.population.names.index(con.segment)
    adopters = float(sum(occupancy[:, j.index(x)].sum() for x in con.source))
    unaware = con.market_size - adopted
    h = con.p + con.q * adopters / con.market_size
    if unaware <= 0 or h <= 0:
        return g, np.zeros(0)
    m = int(rng.binomial(unaware, -np.expm1(-h)))
    if m == 0:
        return g, np.zeros(0)
    return g, d + np.sort(-np.log1p(rng.random(m) * np.expm1(-h)) / h)


def adopter_identity(segment: int, number: int) -> int:
    """Stable identity of a segment's `number`-th contagion adopter (its stream key derives from it)."""
    return CONTAGION_ID_BASE + (segment << 40) + number
