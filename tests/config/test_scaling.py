"""`population.scale` simulates a sample of the market: people and, by default, money scale together
(issue 15, items 1 and 4)."""

from __future__ import annotations

import pytest

import journeysim as js
from journeysim.config.scaling import scaled_config
from journeysim.config.study import load_study

TINY = ["sim=quick", "sim.replications=1"]


def budgets(scenario: js.Scenario) -> dict[str, float]:
    return {p.channel: p.budget for p in scenario.strategy.plans}


def test_scale_shrinks_budgets_with_the_customers() -> None:
    full = js.load_scenario(["strategy=balanced", *TINY])
    fifth = js.load_scenario(["strategy=balanced", "population.scale=0.2", *TINY])
    assert budgets(fifth) == pytest.approx({c: 0.2 * b for c, b in budgets(full).items()})
    kept = js.load_scenario(["strategy=balanced", "population.scale=0.2", "population.scale_budgets=false", *TINY])
    assert budgets(kept) == budgets(full)


def test_scale_shrinks_the_contagion_market_and_market_audiences() -> None:
    full = js.load_scenario(["word_of_mouth=bass", "strategy=awareness_push", *TINY])
    tenth = js.load_scenario(["word_of_mouth=bass", "strategy=awareness_push", "population.scale=0.1", *TINY])
    assert full.word_of_mouth.contagion is not None and tenth.word_of_mouth.contagion is not None
    assert tenth.word_of_mouth.contagion.market_size == round(0.1 * full.word_of_mouth.contagion.market_size)
    audiences = {n: c.market_audience for n, c in full.channels.items() if c.market_audience > 0}
    assert audiences, "the shipped catalogue has channels reaching people outside the journey"
    for name, people in audiences.items():
        assert tenth.channels[name].market_audience == pytest.approx(0.1 * people)


def test_fixed_fees_scale_with_the_budgets() -> None:
    data = {
        "population": {"scale": 0.5, "segments": {}},
        "channels": {
            "tv": {"cost_model": "fixed_fee", "unit_cost": 1000.0},
            "ads": {"cost_model": "cpm", "unit_cost": 8},
        },
        "strategy": {"budgets": {"tv": 100.0, "ads": 50}},
    }
    out = scaled_config(data)
    assert out["channels"]["tv"]["unit_cost"] == 500.0 and out["channels"]["ads"]["unit_cost"] == 8
    assert out["strategy"]["budgets"] == {"tv": 50.0, "ads": 25.0}
    assert "scale" not in out["population"] and "scale_budgets" not in out["population"]


def test_a_named_baseline_scales_like_the_strategy() -> None:
    study = load_study(["strategy=retention", "baseline=nurture", "population.scale=0.1", *TINY])
    nurture = load_study(["strategy=retention", "baseline=nurture", *TINY])
    assert study.baseline is not None and nurture.baseline is not None
    assert study.baseline.strategy.total_budget == pytest.approx(0.1 * nurture.baseline.strategy.total_budget)
