"""The counterfactual a run is compared with: a label for outputs and the strategy simulated instead of its own.

`auto_baseline` is the default rule (a run that spends money is compared with the same scenario without any
spend; one that spends nothing gets no baseline). Named strategy presets are resolved by the config layer.
"""

from __future__ import annotations

from dataclasses import dataclass

from journeysim.interventions import Strategy
from journeysim.model.scenario import Scenario

#: Label of the automatic baseline in outputs: the scenario with no marketing spend.
NO_SPEND = "no spend"


@dataclass(frozen=True)
class Baseline:
    """The resolved counterfactual: a label for outputs, the strategy to run instead of the scenario's, and whether
    each channel's removal effect and marginal ROAS are computed too."""

    label: str
    strategy: Strategy
    channels: bool = False


def auto_baseline(scenario: Scenario, channels: bool = False) -> Baseline | None:
    """No spend when the scenario's strategy spends anything; None (no baseline) when it spends nothing."""
    if scenario.strategy.total_budget <= 0:
        return None
    return Baseline(NO_SPEND, Strategy(name="none"), channels)


def baseline_simulations(scenario: Scenario, baseline: Baseline) -> int:
    """How many simulations the baseline step makes once the run's own replications are reused: the baseline, and
    per channel (when asked) its removal and, for a channel with a budget, its budget step."""
    plans = scenario.strategy.plans if baseline.channels else ()
    return (1 + len(plans) + sum(p.budget > 0 for p in plans)) * scenario.settings.replications
