"""Journey construction and the validation of bad journeys."""

from __future__ import annotations

import math

import numpy as np
import pytest

from journeysim.errors import ConfigError
from journeysim.model import Dwell, Journey


def tiny(**over: object) -> dict:
    base: dict = {
        "stages": ["aware", "intent", "buy", "lost"],
        "entry": "aware",
        "conversion": ["buy"],
        "terminal": ["lost"],
        "rates": {"aware": {"intent": 0.2, "lost": 0.1}, "intent": {"buy": 0.5, "aware": 0.1}, "buy": {"aware": 1.0}},
    }
    base.update(over)
    return base


def test_rate_matrix_and_generator() -> None:
    j = Journey.from_dict(tiny())
    m = j.rate_matrix()
    assert m[0, 1] == 0.2 and m[0, 3] == 0.1 and m[1, 2] == 0.5 and m[2, 0] == 1.0
    q = j.generator()
    np.testing.assert_allclose(q.sum(axis=1), 0.0, atol=1e-15)
    assert q[0, 0] == pytest.approx(-0.3)


def test_default_positions_and_nps_stages() -> None:
    j = Journey.from_dict(tiny())
    assert j.positions["buy"] == "bottom" and j.positions["lost"] == "exit"
    assert j.positions["aware"] == "top"
    assert j.detractors == ("lost",) and j.promoters == ()
    assert j.pre_purchase_indices == (0, 1)


def test_shipped_default_journey_loads(journey: Journey) -> None:
    assert journey.entry == "awareness" and journey.conversion == ("purchase",)
    assert journey.promoters == ("advocacy",)
    assert journey.positions["loyalty"] == "post_purchase"


@pytest.mark.parametrize(
    ("over", "setting", "words"),
    [
        ({"stages": []}, "journey.stages", "no stages"),
        ({"stages": ["aware", "aware", "buy", "lost"]}, "journey.stages", "twice"),
        ({"entry": "awre"}, "journey.entry", "did you mean 'aware'"),
        ({"conversion": ["purchase"]}, "journey.conversion", "unknown stage"),
        ({"conversion": []}, "journey.conversion", "no conversion"),
        ({"rates": {"aware": {"intnet": 0.2}}}, "journey.rates.aware.intnet", "did you mean 'intent'"),
        ({"rates": {"awar": {"intent": 0.2}}}, "journey.rates.awar", "unknown stage"),
        ({"rates": {"aware": {"intent": -0.2}, "intent": {"buy": 1}}}, "journey.rates.aware.intent", "non-negative"),
        ({"rates": {"aware": {"intent": math.nan}, "intent": {"buy": 1}}}, "journey.rates.aware.intent", "finite"),
        ({"rates": {"aware": {"intent": math.inf}, "intent": {"buy": 1}}}, "journey.rates.aware.intent", "finite"),
        (
            {"rates": {"aware": {"intent": 1}, "intent": {"buy": 1}, "lost": {"aware": 0.1}}},
            "journey.rates.lost",
            "terminal stage 'lost' has outgoing rates",
        ),
        ({"rates": {"aware": {"lost": 1.0}, "intent": {"buy": 1}}}, "journey.conversion", "can be reached"),
        ({"rates": {"aware": {"aware": 1.0, "buy": 1}}}, "journey.rates.aware.aware", "itself"),
        ({"entry": "lost"}, "journey.entry", "terminal"),
        ({"colour": "red"}, "journey.colour", "unknown setting"),
        ({"positions": {"aware": "topp"}}, "journey.positions.aware", "did you mean 'top'"),
    ],
)
def test_bad_journeys_name_the_setting(over: dict, setting: str, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        Journey.from_dict(tiny(**over))
    assert err.value.setting == setting
    assert words in str(err.value)
    assert "Fix:" in str(err.value)


def test_dwell_validation_and_means() -> None:
    with pytest.raises(ConfigError, match="shape"):
        Dwell("gamma")
    with pytest.raises(ConfigError, match="did you mean 'weibull'"):
        Dwell("weibul", 2.0)
    rng = np.random.default_rng(np.random.SeedSequence(3))
    mean = np.full(200_000, 4.0)
    for d in (Dwell(), Dwell("gamma", 3.0), Dwell("lognormal", 0.8), Dwell("weibull", 1.7)):
        x = d.sample(mean, rng)
        se = x.std() / math.sqrt(x.size)
        assert abs(x.mean() - 4.0) < 4 * se, d


def test_too_many_stages() -> None:
    stages = [f"s{i}" for i in range(70)]
    with pytest.raises(ConfigError, match="more than the 63"):
        Journey.from_dict({"stages": stages, "entry": "s0", "conversion": ["s1"], "rates": {"s0": {"s1": 1.0}}})
