"""What a replication produced, as the counterfactual comparisons pair it: purchases, new buyers, revenue, margin,
spend (and margin after the horizon), per replication; and the counterfactual scenarios (another strategy, a
channel removed, a budget step) those comparisons simulate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from journeysim.analytic.lifetime import future_values
from journeysim.engine.records import Records
from journeysim.errors import ConfigError, did_you_mean
from journeysim.interventions import Strategy
from journeysim.metrics.acquisition import new_buyers, purchases
from journeysim.metrics.value import margin, revenue
from journeysim.model.scenario import Scenario
from journeysim.study.run import simulate
from journeysim.study.uncertainty import ReplicationScenarios

#: the outcomes compared between a scenario and its counterfactual, per replication
OUTCOMES = ("purchases", "new_buyers", "revenue", "margin", "spend")
#: compared between the scenario and its baseline only (not per channel): margin after the horizon
LIFETIME_OUTCOMES = ("future_margin",)


def fresh_seed(seed: np.random.SeedSequence) -> np.random.SeedSequence:
    """A copy of `seed` that has spawned nothing yet (`spawn` is stateful, so each run needs its own copy)."""
    return np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size)


def outcome_row(rec: Records, scenario: Scenario | None = None) -> dict[str, float]:
    """One replication's outcomes: purchases, new buyers, revenue, margin and total spend; with the `scenario`
    also its future margin (expected margin after the horizon, discounted to it: `analytic.lifetime`)."""
    row = {
        "purchases": float(purchases(rec)),
        "new_buyers": float(new_buyers(rec)),
        "revenue": float(revenue(rec)),
        "margin": float(margin(rec)),
        "spend": float(rec.spend),
    }
    if scenario is not None:
        row["future_margin"] = float(future_values(scenario, rec).sum())
    return row


def outcome_table(rows: Sequence[Mapping[str, float]]) -> pd.DataFrame:
    """Outcome rows (`outcome_row`) as a table with one row per replication (index `replication`)."""
    extra = [c for c in LIFETIME_OUTCOMES if rows and c in rows[0]]
    table = pd.DataFrame(list(rows), columns=[*OUTCOMES, *extra])
    table.index.name = "replication"
    return table


def outcomes(scenario: Scenario, seeds: Sequence[np.random.SeedSequence]) -> pd.DataFrame:
    """One row per replication (index `replication`): purchases, new buyers, revenue, margin and total spend.

    Each seed is copied before use, so the same list gives every scenario the same random numbers.
    """
    scenarios = ReplicationScenarios(scenario)  # each replication's parameter draw, as in the scenario's own run
    return outcome_table(
        [outcome_row(simulate(scenarios(i), fresh_seed(seq)), scenarios(i)) for i, seq in enumerate(seeds)]
    )


def with_strategy(scenario: Scenario, strategy: Strategy) -> Scenario:
    """The same scenario (journey, population, settings, channels, word of mouth) under another strategy."""
    return dataclasses.replace(scenario, strategy=strategy, name=f"{scenario.name}[{strategy.name}]")


def without_channel(scenario: Scenario, channel: str) -> Scenario:
    """The scenario with `channel`'s plan removed from its strategy (everything else unchanged)."""
    check_channel(scenario, channel)
    s = scenario.strategy
    plans = tuple(p for p in s.plans if p.channel != channel)
    return with_strategy(scenario, dataclasses.replace(s, name=f"{s.name}-{channel}", plans=plans))


def with_budget_step(scenario: Scenario, channel: str, step: float) -> Scenario:
    """The scenario with `channel`'s budget multiplied by `1 + step` (same flights, pacing and targeting)."""
    check_channel(scenario, channel)
    s = scenario.strategy
    plans = tuple(
        dataclasses.replace(p, budget=p.budget * (1.0 + step)) if p.channel == channel else p for p in s.plans
    )
    return with_strategy(scenario, dataclasses.replace(s, name=f"{s.name}+{channel}", plans=plans))


def check_channel(scenario: Scenario, channel: str) -> None:
    names = [p.channel for p in scenario.strategy.plans]
    if channel not in names:
        raise ConfigError(
            "channels",
            f"the strategy spends nothing on '{channel}'{did_you_mean(channel, names)}",
            f"use one of the strategy's channels: {', '.join(names) or '(none)'}",
        )
