"""The `objective` setting: which metric's mean a job returns to an optimising sweeper (Optuna)."""

from __future__ import annotations

import math

import pytest

from journeysim.config import InvalidConfig, load_scenario
from journeysim.config.objective import objective_names, objective_problems, objective_value

TINY = ["population.scale=0.01", "sim=quick"]


def test_every_scalar_metric_reach_stage_and_increment_is_an_objective() -> None:
    scenario = load_scenario(TINY)
    names = objective_names(scenario)
    for name in ("profit", "purchases", "new_buyers", "roi", "spend", "reach.intent", "incremental_profit", "iroas"):
        assert name in names
    assert "reach.nowhere" not in names and len(names) == len(set(names))


def test_validation_names_the_setting_and_suggests_a_metric() -> None:
    load_scenario([*TINY, "objective=profit"])  # valid
    load_scenario([*TINY, "objective=incremental_profit"])  # valid: baseline auto
    with pytest.raises(InvalidConfig, match=r"objective: unknown metric 'purchses' \(did you mean 'purchases'\?\)"):
        load_scenario([*TINY, "objective=purchses"])
    with pytest.raises(InvalidConfig, match="'incremental_profit' needs a counterfactual run, but baseline is null"):
        load_scenario([*TINY, "objective=incremental_profit", "baseline=null"])
    assert objective_problems(None, load_scenario(TINY), baseline_off=True) == []


def test_the_value_is_the_metrics_mean_and_a_skipped_baseline_means_no_increment() -> None:
    metrics = {"profit": 125.5, "purchases": 7.0}
    increments = {"incremental_profit": -3.0, "iroas": 2.5}
    assert objective_value("profit", metrics, increments) == 125.5
    assert objective_value("incremental_profit", metrics, increments) == -3.0
    assert objective_value("iroas", metrics, increments) == 2.5
    # nothing spent, so baseline=auto ran no counterfactual: the run is its own baseline
    assert objective_value("incremental_profit", metrics, None) == 0.0
    assert math.isnan(objective_value("iroas", metrics, None))
