"""The `baseline` setting: auto (no spend when the strategy spends), null (off), or a strategy preset."""

from __future__ import annotations

import pytest

from journeysim.config import InvalidConfig, load_scenario
from journeysim.config.baseline import AUTO, NO_SPEND, BaselineChoice, baseline_choice, resolve_baseline
from journeysim.errors import ConfigError

TINY = ["population.scale=0.01", "sim=quick"]


def test_auto_compares_a_spending_scenario_with_no_spend_and_nothing_else() -> None:
    spending = load_scenario([*TINY, "strategy=balanced"])
    baseline = resolve_baseline(spending, BaselineChoice(AUTO))
    assert baseline is not None and baseline.label == NO_SPEND
    assert baseline.strategy.plans == () and baseline.strategy.total_budget == 0 and not baseline.channels
    assert resolve_baseline(load_scenario(TINY), BaselineChoice(AUTO)) is None  # strategy none spends nothing
    assert resolve_baseline(spending, BaselineChoice(None)) is None  # baseline: null


def test_a_named_preset_becomes_the_baseline_strategy() -> None:
    spending = load_scenario([*TINY, "strategy=balanced"])
    preset = {"name": "nurture", "budget": 1000, "allocation": {"email": 1.0}}
    baseline = resolve_baseline(spending, BaselineChoice("nurture", channels=True), preset)
    assert baseline is not None and baseline.label == "nurture" and baseline.channels
    assert [p.channel for p in baseline.strategy.plans] == ["email"] and baseline.strategy.total_budget == 1000
    with pytest.raises(ConfigError, match=r"strategy preset 'nurture' does not fit: .*unknown channel 'emial'"):
        resolve_baseline(spending, BaselineChoice("nurture"), {"budget": 5, "allocation": {"emial": 1.0}})


def test_the_config_defaults_and_reads_the_choice() -> None:
    assert baseline_choice({}) == BaselineChoice(AUTO, False)
    assert baseline_choice({"baseline": None, "baseline_channels": True}) == BaselineChoice(None, True)
    assert BaselineChoice("balanced").preset == "balanced" and BaselineChoice(AUTO).preset is None


def test_validation_names_unknown_presets_and_types() -> None:
    load_scenario([*TINY, "baseline=null", "baseline_channels=true"])  # valid
    with pytest.raises(InvalidConfig, match=r"unknown baseline 'retension' \(did you mean 'retention'\?\)"):
        load_scenario([*TINY, "baseline=retension"])
    with pytest.raises(InvalidConfig, match="baseline_channels"):
        load_scenario([*TINY, "baseline_channels=maybe"])
