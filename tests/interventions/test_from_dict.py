"""Channels, strategies and word of mouth: construction and every class of bad input named clearly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from journeysim.errors import ConfigError
from journeysim.interventions import Strategy
from journeysim.model import Scenario

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = yaml.safe_load((ROOT / "conf" / "channels" / "default.yaml").read_text())


def build(journey_dict: dict, strategy: dict | None = None, channels: dict | None = None, **extra: Any) -> Scenario:
    data: dict[str, Any] = {
        "journey": journey_dict,
        "population": {"segments": {"consumers": {"initial": {"awareness": 10}}}},
        "channels": CATALOGUE if channels is None else channels,
        "strategy": strategy,
        "sim": {"horizon_days": 100},
    }
    data.update(extra)
    return Scenario.from_dict(data)


def test_shipped_strategies_build_on_every_journey(journey_dict: dict) -> None:
    for preset in sorted((ROOT / "conf" / "strategy").glob("*.yaml")):
        for jpath in sorted((ROOT / "conf" / "journey").glob("*.yaml")):
            if jpath.stem in ("bgnbd", "paretonbd"):  # repeat-buying models: no top or middle stages to market to
                continue
            journey = yaml.safe_load(jpath.read_text())
            entry = journey["entry"]
            sc = Scenario.from_dict(
                {
                    "journey": journey,
                    "population": {"segments": {"s": {"initial": {entry: 10}}}},
                    "channels": CATALOGUE,
                    "strategy": yaml.safe_load(preset.read_text()),
                    "word_of_mouth": {"referrals": {"rate": 0.01}},
                }
            )
            assert sc.strategy.total_budget >= 0


def test_allocation_shares_become_budgets(journey_dict: dict) -> None:
    sc = build(journey_dict, {"budget": 1000, "allocation": {"social": 0.25, "email": 0.75}})
    budgets = {p.channel: p.budget for p in sc.strategy.plans}
    assert budgets == {"social": 250.0, "email": 750.0}
    assert sc.strategy.total_budget == 1000.0


@pytest.mark.parametrize(
    ("strategy", "setting", "words"),
    [
        ({"budgets": {"socail": 10}}, "strategy.budgets.socail", "did you mean 'social'"),
        ({"budget": 10, "allocation": {"social": 0.5, "email": 0.4}}, "strategy.allocation", "sum to 0.9"),
        ({"budgets": {"social": -5}}, "strategy.budgets.social", "finite number >= 0"),
        ({"budget": -10, "allocation": {"social": 1.0}}, "strategy.budget", ">= 0"),
        (
            {"budgets": {"social": 5}, "flights": {"social": [{"start": 50, "end": 10}]}},
            "strategy.flights.social[0]",
            "ends (day 10) before it starts",
        ),
        (  # money on a funnel position the channel does not reach would reach nobody (issue 15, item 3)
            {"budgets": {"email": 5}, "messaging": {"email": ["top"]}},
            "strategy.messaging.email",
            "funnel position 'top' is outside the channel's audience",
        ),
        (
            {"budgets": {"social": 5}, "flights": {"email": [{"start": 0, "end": 5}]}},
            "strategy.flights.email",
            "no budget",
        ),
        ({"budgets": {"social": 5}, "pacing": "eveny"}, "strategy.pacing", "did you mean 'even'"),
        (
            {"budgets": {"email": 5}, "messaging": {"email": ["awarness"]}},
            "strategy.messaging.email",
            "did you mean 'awareness'",
        ),
        (
            {"budgets": {"email": 5}, "messaging": {"email": ["awareness"]}},
            "strategy.messaging.email",
            "outside the channel's audience",
        ),
        (
            {"rate_multipliers": [{"from": "awareness", "to": "purchase", "factor": 2}]},
            "strategy.rate_multipliers[0]",
            "no transition awareness -> purchase",
        ),
        (
            {"rate_multipliers": [{"from": "intent", "to": "purchase", "factor": -2}]},
            "strategy.rate_multipliers[0].factor",
            ">= 0",
        ),
        ({"budgte": 5}, "strategy.budgte", "did you mean 'budget'"),
    ],
)
def test_bad_strategies(journey_dict: dict, strategy: dict, setting: str, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        build(journey_dict, strategy)
    assert err.value.setting == setting, str(err.value)
    assert words in str(err.value)


def channel(**over: Any) -> dict:
    base = {"cost_model": "cpm", "unit_cost": 5.0, "stages": ["intent"], "effects": [{"kind": "purchase", "lift": 0.2}]}
    base.update(over)
    return {"promo": base}


@pytest.mark.parametrize(
    ("over", "setting", "words"),
    [
        ({"unit_cost": -1.0}, "channels.promo.unit_cost", ">= 0"),
        ({"unit_cost": 0.0}, "channels.promo.unit_cost", "must be > 0"),
        ({"cost_model": "cpx"}, "channels.promo.cost_model", "did you mean 'cpm'"),
        ({"frequency_cap": -1}, "channels.promo.frequency_cap", ">= 0"),
        ({"frequency_cap": 1.5}, "channels.promo.frequency_cap", "whole number"),
        (
            {"effects": [{"from": "intent", "to": "awareness", "lift": 0.1}]},
            "channels.promo.effects[0]",
            "no transition intent -> awareness",
        ),
        (
            {"effects": [{"from": "loyalty", "to": "purchase", "lift": 0.1}]},
            "channels.promo.effects[0]",
            "does not reach 'loyalty'",
        ),
        ({"effects": [{"kind": "purchse", "lift": 0.1}]}, "channels.promo.effects[0].kind", "did you mean 'purchase'"),
        ({"effects": [{"kind": "purchase", "lift": -2}]}, "channels.promo.effects[0].lift", ">= -1"),
        ({"effects": []}, "channels.promo.effects", "changes no rate"),
        ({"stages": ["intnet"]}, "channels.promo.stages", "did you mean 'intent'"),
        ({"adstock": 1.5}, "channels.promo.adstock", "in [0, 0.999]"),
        ({"response": {"kind": "hil"}}, "channels.promo.response.kind", "did you mean 'hill'"),
        ({"segments": ["consumer"]}, "channels.promo.segments", "did you mean 'consumers'"),
        (
            {"effects": [{"kind": "referrals", "lift": 0.5}]},
            "channels.promo.effects[0]",
            "word_of_mouth.referrals is off",
        ),
    ],
)
def test_bad_channels(journey_dict: dict, over: dict, setting: str, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        build(journey_dict, {"budgets": {"promo": 10}}, channels=channel(**over))
    assert err.value.setting == setting, str(err.value)
    assert words in str(err.value)


def test_effects_on_semi_markov_stages_are_refused(journey_dict: dict) -> None:
    j = dict(journey_dict, dwell={"intent": {"kind": "gamma", "shape": 2.0}})
    with pytest.raises(ConfigError, match="gamma dwell"):
        build(j, {"budgets": {"promo": 10}}, channels=channel())


@pytest.mark.parametrize(
    ("wom", "setting"),
    [
        ({"referrals": {"stages": ["advocasy"], "rate": 0.1}}, "word_of_mouth.referrals.stages"),
        ({"referrals": {"rate": -0.1}}, "word_of_mouth.referrals.rate"),
        (
            {"contagion": {"segment": "nobody", "market_size": 10, "p": 0.1, "q": 0.1}},
            "word_of_mouth.contagion.segment",
        ),
        (
            {"contagion": {"segment": "consumers", "market_size": 0, "p": 0.1, "q": 0.1}},
            "word_of_mouth.contagion.market_size",
        ),
        (
            {"detractors": {"stages": ["churned"], "strength": 1, "effects": [{"from": "intent", "to": "loyalty"}]}},
            "word_of_mouth.detractors.effects",
        ),
        ({"gossip": {}}, "word_of_mouth.gossip"),
    ],
)
def test_bad_word_of_mouth(journey_dict: dict, wom: dict, setting: str) -> None:
    with pytest.raises(ConfigError) as err:
        build(journey_dict, None, word_of_mouth=wom)
    assert err.value.setting == setting, str(err.value)


def test_empty_strategy_is_the_baseline() -> None:
    s = Strategy.from_dict({"name": "none", "budget": 0, "budgets": {}}, 365)
    assert s.plans == () and s.total_budget == 0.0
