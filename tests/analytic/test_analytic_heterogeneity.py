"""The BTYD mapping is exact: the journey and effects `study.btyd.option` writes, averaged over the effect laws by
the analytic module, give the BG/NBD and Pareto/NBD closed forms (up to the minutes a purchase takes)."""

from __future__ import annotations

import pytest

from journeysim.analytic import conversion_probability, expected_purchases
from journeysim.analytic.heterogeneity import journey_for, mixed, mixture_nodes
from journeysim.errors import ConfigError
from journeysim.model.heterogeneity import Heterogeneity
from journeysim.model.journey import Journey
from journeysim.study.btyd import MODELS
from journeysim.study.btyd.option import btyd_heterogeneity, btyd_journey

CASES = [
    ("bgnbd", (0.243, 4.414, 0.793, 2.426)),
    ("bgnbd", (1.2, 3.0, 2.5, 4.0)),
    ("paretonbd", (0.55, 10.58, 0.61, 11.67)),
]


def _model(name: str, params: tuple[float, ...]) -> tuple[Journey, Heterogeneity]:
    journey = Journey.from_dict(btyd_journey(name, params, unit="weeks"))
    het = Heterogeneity.from_dict(
        "population.segments.customers.heterogeneity", btyd_heterogeneity(name, params, "weeks")
    )
    het.check(journey)
    return journey, het


@pytest.mark.parametrize("name,params", CASES)
def test_mixture_of_the_journey_is_the_btyd_model(name: str, params: tuple[float, ...]) -> None:
    journey, het = _model(name, params)
    closed = MODELS.get(name)
    for weeks in (13.0, 39.0):
        days = 7 * weeks
        buys = mixed(lambda j, d=days: expected_purchases(j, "active", horizon=d), journey, het, n=24)
        none = 1 - mixed(lambda j, d=days: conversion_probability(j, "active", horizon=d), journey, het, n=24)
        assert buys == pytest.approx(float(closed.expected_purchases(params, weeks)), rel=3e-3)
        assert none == pytest.approx(closed.prob_purchases(params, 0, weeks), rel=3e-3)


def test_effects_reshape_one_customers_journey() -> None:
    journey, het = _model("bgnbd", (1.0, 10.0, 1.0, 3.0))
    one = journey_for(journey, het, [2.0, 0.25])
    assert one.rates["active"]["purchase"] == pytest.approx(2 * journey.rates["active"]["purchase"])
    assert one.rates["purchase"]["inactive"] == pytest.approx(0.25 * 2000) and one.rates["purchase"]["active"] == 1500


def test_correlated_effects_are_refused_with_the_way_out() -> None:
    het = Heterogeneity.from_dict(
        "h",
        {
            "a": {"kind": "gamma", "shape": 1, "stages": ["active"]},
            "b": {"kind": "gamma", "shape": 1, "stages": ["purchase"], "correlation": {"with": "a", "rho": 0.5}},
        },
    )
    with pytest.raises(ConfigError, match="simulate"):
        mixture_nodes(het)
