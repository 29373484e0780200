"""Candidate plans simulated on common random numbers: every candidate and the counterfactual see the same seeds.

`simulate_plans` is the ONE place the optimiser runs the engine. It goes through `study.grid.apply`'s scenario
building (so every candidate is validated as a sweep variant is) and `study.incrementality.outcomes` on the base
scenario's replication seeds; its body runs the candidates as a batch (`study.batch.simulate_many`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from journeysim.engine.records import Records
from journeysim.interventions import Strategy
from journeysim.interventions.strategy import ChannelPlan, Flight
from journeysim.model.scenario import Scenario
from journeysim.study.batch import simulate_many
from journeysim.study.grid import apply
from journeysim.study.incrementality import outcome_row
from journeysim.study.optimize.curves import Carry
from journeysim.study.run import replication_seeds
from journeysim.study.uncertainty import ReplicationScenarios

#: per-replication outcomes each candidate is measured by (`clv`: summed discounted prospect margin)
OUTCOMES = ("purchases", "new_buyers", "revenue", "margin", "clv", "spend")


def _row(rec: Records) -> dict[str, float]:
    return {**outcome_row(rec), "clv": float(rec.prospect_clv.sum())}


def with_budgets(base: Scenario, channels: Sequence[str], budgets: NDArray[np.float64], name: str) -> Scenario:
    """`base` with the named channels funded at `budgets` (their flights, pacing and targeting kept; a channel the
    base does not fund runs all horizon with the strategy's pacing) and every other plan unchanged."""
    old = {p.channel: p for p in base.strategy.plans}
    pacing = base.strategy.plans[0].pacing if base.strategy.plans else "even"
    whole = (Flight(0, base.settings.horizon_days),)
    funded = []
    for c, b in zip(channels, budgets, strict=True):
        plan = old.get(c, ChannelPlan(c, 0.0, whole, pacing))
        funded.append(dataclasses.replace(plan, budget=float(b)))
    keep = tuple(p for p in base.strategy.plans if p.channel not in channels)
    strategy = dataclasses.replace(base.strategy, name=name, plans=(*keep, *(p for p in funded if p.budget > 0)))
    return apply(base, lambda sc: dataclasses.replace(sc, strategy=strategy, name=name))


def counterfactual(base: Scenario, channels: Sequence[str]) -> Scenario:
    """The plan with the optimised channels switched off (other plans and rate multipliers kept)."""
    plans = tuple(p for p in base.strategy.plans if p.channel not in channels)
    strategy = Strategy("counterfactual", plans, base.strategy.rate_multipliers)
    return dataclasses.replace(base, strategy=strategy, name="counterfactual")


def _fresh(seed: np.random.SeedSequence) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size)


def simulate_plans(base: Scenario, scenarios: Sequence[Scenario]) -> pd.DataFrame:
    """Per candidate (its position) and replication: `OUTCOMES`, every candidate on `base`'s replication seeds, the
    candidates of a replication in stacked passes of the fast engine (`study.batch.simulate_many`)."""
    rows = []
    per = [ReplicationScenarios(sc) for sc in scenarios]  # each draw's scenario built once, not per replication
    for r, seed in enumerate(replication_seeds(base)):
        for k, rec in enumerate(simulate_many(per, _fresh(seed), replication=r)):
            rows.append({"candidate": k, "replication": r, **_row(rec)})
    rows.sort(key=lambda row: (row["candidate"], row["replication"]))
    return pd.DataFrame(rows, columns=["candidate", "replication", *OUTCOMES])


class Evaluator:
    """Simulates allocations of the optimised channels and keeps every result, as increments over the
    counterfactual on the same seeds; counts the simulations (candidates) it ran. With `cells` (names and a
    builder: budgets per channel and period) an allocation is one budget per cell, and `carry` (carry-over between
    periods, `study.optimize.carry`) maps the cells' money to the effective doses the curves are fitted on."""

    def __init__(
        self,
        base: Scenario,
        channels: Sequence[str],
        cells: tuple[Sequence[str], Callable[[NDArray[np.float64], str], Scenario]] | None = None,
    ) -> None:
        self.base, self.channels = base, tuple(channels)
        self.build = lambda x, name: with_budgets(base, channels, x, name)
        if cells is not None:
            self.channels, self.build = tuple(cells[0]), cells[1]
        self.carry: Carry | None = None
        self.budgets: list[NDArray[np.float64]] = []
        self.increments: list[pd.DataFrame] = []  # per candidate: replication x OUTCOMES, minus the counterfactual
        self.counter = simulate_plans(base, [counterfactual(base, channels)]).set_index("replication")
        self.counter = self.counter.drop(columns="candidate")
        self.simulations = 1

    def __call__(self, allocations: Sequence[NDArray[np.float64]]) -> list[pd.DataFrame]:
        """The increments of each allocation (one table per allocation, rows = replications)."""
        if not allocations:
            return []
        scenarios = [
            self.build(np.asarray(x, float), f"candidate_{len(self.budgets) + i}") for i, x in enumerate(allocations)
        ]
        table = simulate_plans(self.base, scenarios)
        out = []
        for k, x in enumerate(allocations):
            inc = table[table["candidate"] == k].set_index("replication")[list(OUTCOMES)] - self.counter
            self.budgets.append(np.asarray(x, float))
            self.increments.append(inc)
            out.append(inc)
        self.simulations += len(allocations)
        return out

    def current(self) -> pd.DataFrame:
        """The increments of the base scenario's own plan (not counted among the search's evaluations)."""
        table = simulate_plans(self.base, [self.base]).set_index("replication")
        return table[list(OUTCOMES)] - self.counter
