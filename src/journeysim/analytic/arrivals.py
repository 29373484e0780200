"""Closed-form answers for a population: customers present at day 0 plus Poisson arrivals into the entry stage.

With arrivals at rate lambda and p(t) = e_entry exp(Qt), the expected occupancy at T is initial exp(QT) +
lambda int_0^T p(u) du and purchases over [0, T] need the double integral int_0^T (T - u) p(u) du; both come from
one block-matrix exponential (Van Loan). Little's law is the T -> inf limit: occupancy = lambda x time in stage.
These assume exponential holding times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from journeysim.analytic.chain import Chain, chain_of, check_horizon, check_rate
from journeysim.analytic.linalg import van_loan
from journeysim.errors import ConfigError
from journeysim.model.journey import Journey
from journeysim.model.scenario import Scenario

Initial = Mapping[str, float] | Sequence[float] | NDArray[np.float64] | None


def _initial_vector(chain: Chain, initial: Initial) -> NDArray[np.float64]:
    """Expected customers present at day 0 per stage, from a {stage: count} mapping or a length-S vector."""
    out = np.zeros(chain.n_stages)
    if initial is None:
        return out
    if isinstance(initial, Mapping):
        for name, n in initial.items():
            out[chain.stage_index(f"initial.{name}", name)] = check_rate(f"initial.{name}", n)
        return out
    vec = np.asarray(initial, dtype=np.float64)
    if vec.shape != (chain.n_stages,):
        raise ConfigError(
            "initial",
            f"has shape {vec.shape}, expected ({chain.n_stages},) (one count per stage)",
            "give a {stage: count} mapping or one count per stage in journey order",
        )
    if not np.all(np.isfinite(vec)) or np.any(vec < 0):
        raise ConfigError("initial", "holds negative or non-finite counts", "give counts >= 0")
    return vec


def _population_integrals(
    model: Journey | Scenario, arrivals_per_day: float, horizon: float, initial: Initial, segment: str | int | None
) -> tuple[Chain, float, float, NDArray[np.float64], list[NDArray[np.float64]]]:
    chain = chain_of(model, segment)
    lam = check_rate("arrivals_per_day", arrivals_per_day)
    h = check_horizon(horizon, required=True)
    assert h is not None
    x0 = _initial_vector(chain, initial)
    chain.warn_if_semi_markov("a population projection", stacklevel=4)
    return chain, lam, h, x0, van_loan(chain.generator, h, order=2)


def expected_occupancy(
    model: Journey | Scenario,
    arrivals_per_day: float,
    horizon: float,
    initial: Initial = None,
    *,
    segment: str | int | None = None,
) -> pd.Series:
    """Expected customers in each stage at day `horizon`: initial exp(QT) + lambda e_entry int_0^T exp(Qu) du."""
    chain, lam, _, x0, (e, f1, _) = _population_integrals(model, arrivals_per_day, horizon, initial, segment)
    occ = x0 @ e + lam * f1[chain.entry]
    return pd.Series(occ, index=pd.Index(chain.stages, name="stage"), name="expected_occupancy")


def expected_purchases_with_arrivals(
    model: Journey | Scenario,
    arrivals_per_day: float,
    horizon: float,
    initial: Initial = None,
    *,
    segment: str | int | None = None,
) -> float:
    """Expected purchases during [0, horizon] by the initial customers and Poisson arrivals (repeats included).

    = (initial int_0^T exp(Qu) du + lambda e_entry int_0^T (T - u) exp(Qu) du) @ (hazard into conversion), plus
    lambda T when the entry stage is itself a conversion stage (each arrival is then a purchase).
    """
    chain, lam, h, x0, (_, f1, f2) = _population_integrals(model, arrivals_per_day, horizon, initial, segment)
    days = x0 @ f1 + lam * f2[chain.entry]
    direct = lam * h if chain.entry in chain.conversion else 0.0
    return float(days @ chain.conversion_rate + direct)


def expected_timeseries(scenario: Scenario, horizon: int | None = None) -> pd.DataFrame:
    """Exact expected daily view of a scenario: per day and segment, occupancy at the end of the day and purchases.

    Arrival intensities follow each segment's weekly / seasonal profile (constant within a day, as simulated); the
    day-to-day step uses exp(Q), int_0^1 exp(Qu) du and int_0^1 (1 - u) exp(Qu) du. Columns: day, segment,
    arrivals, one column per stage (occupancy), purchases. Time-varying interventions are not included.
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"expected a Scenario, got {type(scenario).__name__}")
    days = scenario.settings.horizon_days if horizon is None else horizon
    h = check_horizon(days, required=True)
    assert h is not None
    if h != int(h) or h < 1:
        raise ConfigError("horizon", f"{horizon!r} is not a whole number of days >= 1", "give e.g. horizon=365")
    n_days = int(h)
    init = scenario.initial_counts()
    stages = scenario.journey.stages
    clash = {"day", "segment", "arrivals", "purchases"} & set(stages)
    if clash:
        raise ValueError(f"stage name(s) {sorted(clash)} clash with the timeseries columns; rename the stage(s)")
    frames = []
    for g, seg in enumerate(scenario.population.segments):
        chain = chain_of(scenario, g)
        if g == 0:
            chain.warn_if_semi_markov("expected_timeseries")
        e, f1, f2 = van_loan(chain.generator, 1.0, order=2)
        lam = scenario.arrival_intensity(g, n_days)
        rate_c = chain.conversion_rate
        entry_buys = chain.entry in chain.conversion
        x = init[g].astype(np.float64)
        occ = np.empty((n_days, chain.n_stages))
        buys = np.empty(n_days)
        for d in range(n_days):
            buys[d] = (x @ f1 + lam[d] * f2[chain.entry]) @ rate_c + (lam[d] if entry_buys else 0.0)
            x = x @ e + lam[d] * f1[chain.entry]
            occ[d] = x
        frame = pd.DataFrame(occ, columns=list(stages))
        frame.insert(0, "arrivals", lam)
        frame.insert(0, "segment", seg.name)
        frame.insert(0, "day", np.arange(n_days))
        frame["purchases"] = buys
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
