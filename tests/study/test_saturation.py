"""A one-line warning when a channel's money buys each reachable person far past its response curve's saturation
(issue 15, item 1): the full budgets on a tenth of the market warn, the same plan scaled with the market does not."""

from __future__ import annotations

import journeysim as js
from journeysim.study.run import replication_seeds, simulate
from journeysim.study.saturation import FAR_PAST, channel_doses, saturation_warnings

QUICK = ["strategy=conversion_push", "sim=quick", "sim.replications=1"]


def warnings_for(overrides: list[str]) -> list[str]:
    scenario = js.load_scenario(overrides)
    return saturation_warnings(scenario, simulate(scenario, replication_seeds(scenario)[0]))


def test_full_budgets_on_a_sample_warn_naming_channel_and_numbers() -> None:
    lines = warnings_for([*QUICK, "population.scale=0.1", "population.scale_budgets=false"])
    assert lines and lines[0].startswith("channel 'retargeting' spends far past saturation: ")
    assert "impressions per person" in lines[0] and "x the response curve's half-saturation (0.8)" in lines[0]
    assert all("\n" not in line for line in lines)


def test_budgets_scaled_with_the_market_do_not_warn() -> None:
    assert warnings_for([*QUICK, "population.scale=0.1"]) == []
    scenario = js.load_scenario(QUICK)
    doses = channel_doses(scenario, simulate(scenario, replication_seeds(scenario)[0]))
    assert {d.channel for d in doses} == {"retargeting", "email", "search"}
    assert max(d.ratio for d in doses) < FAR_PAST


def test_the_study_carries_the_warnings() -> None:
    study = js.run_study([*QUICK, "population.scale=0.05", "population.scale_budgets=false", "baseline=null"])
    assert study.warnings and "retargeting" in study.warnings[0]
