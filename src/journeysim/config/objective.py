"""The number a job returns to its sweeper (`objective`): one metric's mean, for Optuna and other optimisers.

Hydra's basic sweeper ignores what a job returns; an optimising sweeper (the `budget_search` preset) needs one
float per trial. `objective: <metric>` makes the job return that metric's mean over the replications: any scalar
metric of `metrics.json` (`profit`, `purchases`, `new_buyers`, `roi`, `reach.<stage>`...) or, for runs with a
baseline, an incrementality metric (`incremental_profit`, `iroas`...). `null` (the default) returns the headline
metrics as a mapping, which optimising sweepers reject.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from journeysim.config.problems import Problem
from journeysim.errors import did_you_mean
from journeysim.metrics.catalogue import names, run_metric_names
from journeysim.model.scenario import Scenario

#: Metrics of incrementality.json's summary (need a baseline).
INCREMENTAL_METRICS: Sequence[str] = names("incremental")
#: Incrementality metrics that are ratios (undefined when nothing is spent).
RATIO_INCREMENTS: Sequence[str] = ("iroas", "incremental_cac", "incremental_roi")


def objective_names(scenario: Scenario) -> list[str]:
    """Every metric a job of `scenario` can return: scalar metrics, reach per stage, spend metrics, increments."""
    return [*run_metric_names(scenario.journey.stages), *INCREMENTAL_METRICS]


def objective_problems(name: str | None, scenario: Scenario, baseline_off: bool) -> list[Problem]:
    """An unknown metric name (with a "did you mean"), or an incrementality metric on a run without baseline."""
    if name is None:
        return []
    names = objective_names(scenario)
    if name not in names:
        return [
            Problem(
                "objective",
                f"unknown metric '{name}'{did_you_mean(name, names)}",
                "name a metric of metrics.json (e.g. objective=profit, purchases, new_buyers, roi) or null",
            )
        ]
    if name in INCREMENTAL_METRICS and baseline_off:
        return [
            Problem(
                "objective",
                f"'{name}' needs a counterfactual run, but baseline is null",
                "set baseline=auto (or a strategy preset), or use a plain metric such as objective=profit",
            )
        ]
    return []


def objective_value(name: str, means: Mapping[str, float], increments: Mapping[str, float] | None) -> float:
    """The mean of metric `name`, from the run's metric means and its incrementality means. A run whose automatic
    baseline was skipped (nothing spent) is its own baseline: its increments are exactly 0 and its incremental ratios
    undefined (NaN, which optimisers treat as a failed trial)."""
    if name in INCREMENTAL_METRICS:
        if increments is None:
            return math.nan if name in RATIO_INCREMENTS else 0.0
        return float(increments[name])
    return float(means[name])
