"""Helpers of the theory-vs-simulation tests: the default journey, a simulator, standard errors, the 4-SE check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from journeysim.engine.fast import simulate_fast
from journeysim.engine.plan import Plan
from journeysim.engine.records import Records
from journeysim.model.journey import Journey
from journeysim.model.scenario import Scenario

CONF = Path(__file__).resolve().parents[2] / "conf" / "journey" / "customer_journey.yaml"
TOLERANCE_SE = 4.0  # |simulated - theory| <= 4 standard errors of the simulated estimate


def within_se(what: str, simulated: float, theory: float, se: float) -> None:
    """Assert the simulated estimate is within TOLERANCE_SE standard errors of the closed-form value."""
    gap = simulated - theory
    if se <= 0:
        assert gap == 0, f"{what}: simulated {simulated!r} vs theory {theory!r} with zero standard error"
        return
    assert abs(gap) <= TOLERANCE_SE * se, (
        f"{what}: simulated {simulated:.6g} vs theory {theory:.6g} (SE {se:.3g}, z = {gap / se:+.2f})"
    )


def binomial_se(p_hat: float, n: int) -> float:
    """Standard error of a simulated proportion (p clipped to [1/n, 1 - 1/n] so a 0 or 1 estimate keeps some)."""
    p = min(max(p_hat, 1.0 / n), 1.0 - 1.0 / n)
    return float(np.sqrt(p * (1.0 - p) / n))


def mean_se(x: np.ndarray) -> float:
    """Standard error of a simulated mean: sample SD / sqrt(n)."""
    return float(np.std(x, ddof=1) / np.sqrt(x.size))


def population_se(records: Records, per_customer: np.ndarray) -> float:
    """Standard error of a population total sum_c x_c: initial customers + Poisson arrivals, from the sample.

    Initial customers are independent within their start stage (n_g x sample variance per stage); the arrivals
    form a compound Poisson sum whose variance is E[sum_c x_c^2], estimated by the observed sum of squares.
    """
    n0 = int(records.initial.sum())
    start = records.customers.start_stage[:n0]
    var = 0.0
    for s in np.unique(start):
        x = per_customer[:n0][start == s]
        var += x.size * float(np.var(x, ddof=1)) if x.size > 1 else 0.0
    var += float(np.sum(per_customer[n0:].astype(np.float64) ** 2))
    return float(np.sqrt(var))


def visited(records: Records, stage: int) -> np.ndarray:
    """Per customer: was the stage ever visited (the start stage included)."""
    return ((records.customers.visited >> np.uint64(stage)) & np.uint64(1)).astype(bool)


def simulate(scenario: Scenario, seed: int, event_log: bool = False) -> Records:
    """One replication of the fast engine on its own seed sequence."""
    return simulate_fast(Plan.compile(scenario, np.random.SeedSequence(seed)), event_log=event_log)


def load_journey() -> Journey:
    """conf/journey/customer_journey.yaml: back-transitions, re-evaluation loop, repeat purchases."""
    return Journey.from_dict(yaml.safe_load(CONF.read_text()))
