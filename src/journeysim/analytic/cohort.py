"""Closed-form answers for one customer (or a cohort) walking a journey from a start stage.

A purchase is an entry into a conversion stage after time 0 (the start itself is not one), as in the engines.
Infinite-horizon answers depend on holding times only through their means and are exact for semi-Markov
journeys; finite-horizon answers (`horizon=` given) assume exponential holding times.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from journeysim.analytic.chain import Chain, chain_of, check_horizon
from journeysim.analytic.linalg import expected_visits_vector, first_passage, passage_generator, van_loan
from journeysim.model.journey import Journey
from journeysim.model.scenario import Scenario

Model = Journey | Scenario


def _hit_by(chain: Chain, targets: list[int], start: int, horizon: float) -> tuple[float, float]:
    """(P(entry into targets in (0, T]), int_0^T of that probability dt) via exp of the passage generator."""
    g = passage_generator(chain, targets, start)
    e, integral = van_loan(g, horizon, order=1)
    row = chain.n_stages
    return float(e[row, targets].sum()), float(integral[row, targets].sum())


def conversion_probability(
    model: Model, start: str | None = None, horizon: float | None = None, *, segment: str | int | None = None
) -> float:
    """P(at least one purchase) from `start` (default: the entry stage), ever or within `horizon` days.

    Infinite horizon: absorbing-chain linear solve on the jump chain (exact for semi-Markov journeys too).
    Finite horizon: exp(QT) of the generator with the conversion stages made absorbing.
    """
    chain = chain_of(model, segment)
    s = chain.start_index(start)
    h = check_horizon(horizon)
    conv = list(chain.conversion)
    if h is None:
        return first_passage(chain, conv, s)[0]
    chain.warn_if_semi_markov("conversion_probability(horizon=...)")
    return _hit_by(chain, conv, s, h)[0]


def expected_time_to_purchase(
    model: Model, start: str | None = None, horizon: float | None = None, *, segment: str | int | None = None
) -> float:
    """E[days to the first purchase | a purchase happens (within `horizon`)] from `start`; NaN if none can happen.

    Infinite horizon: h-transform, m_i = h_i / q_i + sum_j P_ij m_j and the answer m / h (exact for semi-Markov).
    Finite horizon T: E[tau | tau <= T] = T - int_0^T F(t) dt / F(T) with F the first-purchase distribution.
    """
    chain = chain_of(model, segment)
    s = chain.start_index(start)
    h = check_horizon(horizon)
    conv = list(chain.conversion)
    if h is None:
        prob, m = first_passage(chain, conv, s)
        return m / prob if prob > 0 else math.nan
    chain.warn_if_semi_markov("expected_time_to_purchase(horizon=...)")
    prob, integral = _hit_by(chain, conv, s, h)
    return h - integral / prob if prob > 0 else math.nan


def _time_in_stages(chain: Chain, start: int, horizon: float) -> np.ndarray:
    """Expected days spent in each stage during [0, T]: row `start` of int_0^T exp(Qu) du."""
    return van_loan(chain.generator, horizon, order=1)[1][start]


def expected_visits(
    model: Model, start: str | None = None, horizon: float | None = None, *, segment: str | int | None = None
) -> pd.Series:
    """Expected visits (entries, the start visit counted) to each stage; inf for a closed loop that is reached.

    Infinite horizon: the fundamental matrix (I - P_TT)^-1 of the transient stages (exact for semi-Markov);
    a stage with no way out is entered at most once. Finite horizon: 1{start} + int_0^T p(t) dt @ rates.
    """
    chain = chain_of(model, segment)
    s = chain.start_index(start)
    h = check_horizon(horizon)
    if h is None:
        visits = expected_visits_vector(chain, s)
    else:
        chain.warn_if_semi_markov("expected_visits(horizon=...)")
        visits = _time_in_stages(chain, s, h) @ chain.rates
        visits[s] += 1.0
    return pd.Series(visits, index=pd.Index(chain.stages, name="stage"), name="expected_visits")


def expected_time_in_stage(
    model: Model, start: str | None = None, horizon: float | None = None, *, segment: str | int | None = None
) -> pd.Series:
    """Expected total days spent in each stage; inf for stages with no way out (or closed loops) that are reached.

    Infinite horizon: expected visits x mean holding time 1 / q_i (exact for semi-Markov). Finite horizon:
    row `start` of int_0^T exp(Qu) du (Van Loan).
    """
    chain = chain_of(model, segment)
    s = chain.start_index(start)
    h = check_horizon(horizon)
    if h is None:
        visits = expected_visits_vector(chain, s)
        q = chain.total
        with np.errstate(divide="ignore", invalid="ignore"):
            days = np.where(q > 0, visits / np.where(q > 0, q, 1.0), np.where(visits > 0, np.inf, 0.0))
    else:
        chain.warn_if_semi_markov("expected_time_in_stage(horizon=...)")
        days = _time_in_stages(chain, s, h)
    return pd.Series(days, index=pd.Index(chain.stages, name="stage"), name="expected_days")


def expected_purchases(
    model: Model, start: str | None = None, horizon: float | None = None, *, segment: str | int | None = None
) -> float:
    """Expected purchases (entries into conversion stages, repeats included) per customer from `start`.

    Infinite horizon: expected visits to the conversion stages (minus the start visit); inf when a purchase loop
    is never left. Finite horizon T: sum_i (expected days in i during [0, T]) x (hazard from i into conversion).
    """
    chain = chain_of(model, segment)
    s = chain.start_index(start)
    h = check_horizon(horizon)
    if h is None:
        visits = expected_visits_vector(chain, s)
        total = float(visits[list(chain.conversion)].sum())
        return total - (1.0 if s in chain.conversion else 0.0)
    chain.warn_if_semi_markov("expected_purchases(horizon=...)")
    return float(_time_in_stages(chain, s, h) @ chain.conversion_rate)


def stage_reach_probability(
    model: Model, start: str | None = None, horizon: float | None = None, *, segment: str | int | None = None
) -> pd.Series:
    """P(ever visiting each stage) from `start` (1 for the start itself), ever or within `horizon` days.

    Each stage is made absorbing in turn: a linear solve (infinite horizon, exact for semi-Markov) or exp(QT).
    """
    chain = chain_of(model, segment)
    s = chain.start_index(start)
    h = check_horizon(horizon)
    if h is not None:
        chain.warn_if_semi_markov("stage_reach_probability(horizon=...)")
    out = np.ones(chain.n_stages)
    for j in range(chain.n_stages):
        if j == s:
            continue
        out[j] = first_passage(chain, [j], s)[0] if h is None else _hit_by(chain, [j], s, h)[0]
    return pd.Series(out, index=pd.Index(chain.stages, name="stage"), name="reach_probability")
