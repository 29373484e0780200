"""Effect kinds by hand on a small journey: each kind's transitions, audience and edges applied; unknown kinds
are a ConfigError naming the setting with a did-you-mean, also when the checks of `from_dict` are bypassed."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from journeysim.engine.dynamics import Dynamics
from journeysim.errors import ConfigError
from journeysim.interventions import EFFECT_KINDS, Channel, ChannelPlan, Effect, Flight, Strategy
from journeysim.interventions.effects import EffectKind, effect_mask, kind_names
from journeysim.model import Journey, Population, Scenario, Segment, Settings

JOURNEY = Journey(
    stages=("aware", "intent", "buy", "loyal", "lost"),
    entry="aware",
    conversion=("buy",),
    terminal=("lost",),
    rates={
        "aware": {"intent": 0.2, "buy": 0.01, "lost": 0.05},
        "intent": {"aware": 0.1, "buy": 0.3, "lost": 0.1},
        "buy": {"loyal": 0.5},
        "loyal": {"buy": 0.2, "intent": 0.05, "lost": 0.02},
    },
)
EVERYONE = np.ones(5, bool)


def pairs(mask: np.ndarray) -> set[tuple[str, str]]:
    return {(JOURNEY.stages[a], JOURNEY.stages[b]) for a, b in zip(*np.nonzero(mask), strict=True)}


def test_registry_lists_the_kinds_in_order() -> None:
    assert EFFECT_KINDS.names() == ("advance", "regress", "purchase", "churn", "arrivals", "referrals", "transition")
    assert kind_names() == EFFECT_KINDS.names()[:-1]  # `transition` is written with from/to


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("advance", {("aware", "intent"), ("aware", "buy"), ("intent", "buy"), ("buy", "loyal")}),
        ("regress", {("intent", "aware"), ("loyal", "buy"), ("loyal", "intent")}),
        ("purchase", {("aware", "buy"), ("intent", "buy"), ("loyal", "buy")}),
        ("churn", {("aware", "lost"), ("intent", "lost"), ("loyal", "lost")}),
        ("arrivals", set()),
        ("referrals", set()),
    ],
)
def test_each_kind_lifts_its_transitions(kind: str, expected: set[tuple[str, str]]) -> None:
    assert pairs(effect_mask(JOURNEY, Effect(kind, 0.5), EVERYONE)) == expected


def test_transition_kind_and_audience() -> None:
    assert pairs(effect_mask(JOURNEY, Effect("transition", 0.5, "intent", "buy"), EVERYONE)) == {("intent", "buy")}
    only_intent = np.array([s == "intent" for s in JOURNEY.stages])
    assert pairs(effect_mask(JOURNEY, Effect("purchase", 0.5), only_intent)) == {("intent", "buy")}


def scenario(effect: Effect) -> Scenario:
    ch = Channel("promo", "cpm", 5.0, (), ("intent",), (effect,))
    st = Strategy("s", (ChannelPlan("promo", 100.0, (Flight(0, 10),)),))
    pop = Population((Segment("s", initial={"aware": 10}),))
    return Scenario(JOURNEY, pop, Settings(horizon_days=10), channels={"promo": ch}, strategy=st)


def test_unknown_kind_built_directly_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as err:
        scenario(Effect("purchse", 0.5))
    assert err.value.setting == "channels.promo.effects[0].kind"
    assert "unknown effect kind 'purchse'" in err.value.problem and "did you mean 'purchase'" in err.value.fix


def test_unknown_kind_slipped_past_the_scenario_checks_fails_to_compile() -> None:
    sc = scenario(Effect("purchase", 0.5))
    bad = dataclasses.replace(sc.channels["promo"], effects=(Effect("purchse", 0.5),))
    object.__setattr__(sc, "channels", {"promo": bad})  # bypass Scenario's checks
    with pytest.raises(ConfigError, match=r"did you mean 'purchase'") as err:
        Dynamics.compile(sc)
    assert err.value.setting == "channels.effects.kind"  # formerly: silently no effect


def test_a_new_kind_is_one_registry_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # `skip`: moves over at least one stage; registered for this test only
    def skip(journey: Journey, effect: Effect) -> np.ndarray:
        order = np.arange(journey.n_stages)
        return order[None, :] > order[:, None] + 1

    monkeypatch.setitem(EFFECT_KINDS._items, "skip", EffectKind(mask=skip))
    assert pairs(effect_mask(JOURNEY, Effect("skip", 1.0), EVERYONE)) == {
        ("aware", "buy"),
        ("aware", "lost"),
        ("intent", "lost"),
    }
    assert "skip" in kind_names()
    dyn = Dynamics.compile(scenario(Effect("skip", 1.0)))
    assert dyn.upper is not None and dyn.upper[JOURNEY.index("intent"), JOURNEY.index("lost")] == 2.0
    assert dyn.upper.sum() == dyn.upper.size + 1.0  # the audience (intent) skips only to `lost`
