"""Per-customer effect laws: quantiles with the stated means, Gauss rules, copula correlation, and one ConfigError
per bad setting."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from journeysim.errors import ConfigError
from journeysim.model.heterogeneity import Heterogeneity
from journeysim.model.journey import Journey

JOURNEY = Journey(
    stages=("active", "purchase", "inactive"),
    entry="active",
    conversion=("purchase",),
    terminal=("inactive",),
    rates={"active": {"purchase": 0.05, "inactive": 0.01}, "purchase": {"active": 1000.0, "inactive": 1000.0}},
)
P = "population.segments.c.heterogeneity"


def het(data: dict) -> Heterogeneity:
    h = Heterogeneity.from_dict(P, data)
    h.check(JOURNEY)
    return h


def test_laws_have_their_means_and_quantiles() -> None:
    h = het(
        {
            "g": {"kind": "gamma", "shape": 0.5, "transitions": {"active": "purchase"}},
            "l": {"kind": "lognormal", "sigma": 0.8, "stages": ["active"]},
            "d": {"kind": "beta", "a": 0.8, "b": 2.4, "at": "purchase", "to": "inactive"},
            "c": {
                "kind": "classes",
                "values": [3.0, 0.5],
                "weights": [0.2, 0.8],
                "transitions": {"active": ["inactive"]},
            },
        }
    )
    u = (np.arange(200_000) + 0.5) / 200_000
    v = h.draw(np.column_stack([u, u, u, u]))
    assert v[:, 0].mean() == pytest.approx(1.0, rel=1e-3) and v[:, 1].mean() == pytest.approx(1.0, rel=1e-3)
    assert v[:, 2].mean() == pytest.approx(0.8 / 3.2, rel=1e-3)
    assert v[:, 3].mean() == pytest.approx(3.0 * 0.2 + 0.5 * 0.8, rel=1e-3)
    assert np.allclose(v[:1000, 0], stats.gamma(0.5, scale=2.0).ppf(u[:1000]))
    for e in h.effects:
        nodes, weights = e.law.nodes(24)
        assert weights.sum() == pytest.approx(1.0) and nodes @ weights == pytest.approx(e.law.mean, rel=1e-9)


def test_copula_correlation_has_the_sign_asked_and_shared_classes() -> None:
    h = het(
        {
            "buy": {"kind": "gamma", "shape": 1.0, "transitions": {"active": ["purchase"]}},
            "churn": {
                "kind": "gamma",
                "shape": 2.0,
                "transitions": {"active": ["inactive"]},
                "correlation": {"with": "buy", "rho": -0.7},
            },
        }
    )
    rng = np.random.default_rng(3)
    v = h.draw(rng.random((50_000, 2)))
    assert stats.spearmanr(v[:, 0], v[:, 1]).statistic < -0.6
    assert v[:, 1].mean() == pytest.approx(1.0, rel=0.02)  # the copula keeps each law
    classes = het(
        {
            "buy": {"kind": "classes", "values": [4.0, 0.5], "weights": [0.25, 0.75], "stages": ["active"]},
            "drop": {
                "kind": "classes",
                "values": [0.05, 0.6],
                "weights": [0.25, 0.75],
                "at": "purchase",
                "to": "inactive",
                "correlation": {"with": "buy", "rho": 1.0},
            },
        }
    )
    v = classes.draw(rng.random((10_000, 2)))
    assert set(map(tuple, v)) == {(4.0, 0.05), (0.5, 0.6)}  # one latent class carries both effects


@pytest.mark.parametrize(
    "data,setting,says",
    [
        ({"e": {"kind": "gamma", "shape": 0, "stages": ["active"]}}, f"{P}.e.shape", "not positive"),
        ({"e": {"kind": "gama", "shape": 1, "stages": ["active"]}}, f"{P}.e.kind", "did you mean 'gamma'"),
        ({"e": {"kind": "lognormal", "sigma": -1, "stages": ["active"]}}, f"{P}.e.sigma", ""),
        (
            {"e": {"kind": "classes", "values": [1, 2], "weights": [0.5, 0.4], "stages": ["active"]}},
            f"{P}.e.weights",
            "sum to 0.9",
        ),
        (
            {"e": {"kind": "classes", "values": [1, 2], "weights": [1.0], "stages": ["active"]}},
            f"{P}.e",
            "one weight per",
        ),
        ({"e": {"kind": "beta", "a": 0, "b": 1, "at": "purchase", "to": "inactive"}}, f"{P}.e.a", ""),
        (
            {"e": {"kind": "gamma", "shape": 1, "transitions": {"inactive": ["active"]}}},
            f"{P}.e.transitions.inactive",
            "no transition inactive -> active",
        ),
        (
            {"e": {"kind": "beta", "a": 1, "b": 1, "at": "active", "to": "inactive"}},
            f"{P}.e.at",
            "not a conversion stage",
        ),
        ({"e": {"kind": "gamma", "shape": 1, "at": "purchase", "to": "inactive"}}, f"{P}.e", "probability law"),
        ({"e": {"kind": "gamma", "shape": 1}}, f"{P}.e", "either transitions/stages"),
        ({"e": {"kind": "gamma", "shape": 1, "stages": ["actve"]}}, f"{P}.e", "unknown stage 'actve'"),
        (
            {"e": {"kind": "gamma", "shape": 1, "stages": ["active"], "correlation": {"with": "x", "rho": 0.5}}},
            f"{P}.e.correlation.with",
            "",
        ),
        (
            {"e": {"kind": "gamma", "shape": 1, "stages": ["active"], "correlation": {"with": "e", "rho": 2}}},
            f"{P}.e.correlation.rho",
            "",
        ),
        ({"e": {"kind": "gamma", "shape": 1, "stages": ["active"], "spread": 2}}, f"{P}.e.spread", "unknown setting"),
    ],
)
def test_each_bad_setting_is_one_config_error(data: dict, setting: str, says: str) -> None:
    with pytest.raises(ConfigError) as err:
        het(data)
    assert err.value.setting == setting and says in str(err.value) and err.value.fix
