"""Segments, arrivals intensity, order values, and cross-checks against the journey."""

from __future__ import annotations

import math

import numpy as np
import pytest

from journeysim.errors import ConfigError
from journeysim.model import Journey, OrderValue, Population, Scenario, Segment, Settings


def test_intensity_weekly_and_seasonal_profiles() -> None:
    seg = Segment("s", arrivals_per_day=10.0, weekly=(2, 2, 2, 2, 2, 1, 1))
    lam = seg.intensity(14)
    # weights normalised to mean 1: 2 / (12/7) = 7/6 on weekdays, 7/12 at weekends
    assert lam[0] == pytest.approx(70 / 6) and lam[5] == pytest.approx(70 / 12)
    assert lam[:7].sum() == pytest.approx(70.0)
    seas = Segment("s", arrivals_per_day=10.0, seasonal_amplitude=0.5, seasonal_peak_day=100).intensity(365)
    assert seas[100] == pytest.approx(15.0) and seas.argmax() == 100
    assert seas.mean() == pytest.approx(10.0, rel=1e-3)


def test_order_value_means() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(5))
    for ov in (OrderValue("lognormal", 80.0, 0.5), OrderValue("gamma", 80.0, 0.5)):
        x = ov.sample(200_000, rng)
        assert abs(x.mean() - 80.0) < 4 * x.std() / math.sqrt(x.size)
        assert x.std() / x.mean() == pytest.approx(0.5, rel=0.03)
    assert OrderValue("fixed", 10.0).sample(3, rng).tolist() == [10.0, 10.0, 10.0]


@pytest.mark.parametrize(
    ("make", "setting"),
    [
        (lambda: Segment("s", initial={"awareness": -5}), "population.segments.s.initial.awareness"),
        (lambda: Segment("s", arrivals_per_day=-1.0), "population.segments.s.arrivals_per_day"),
        (lambda: Segment("s", arrivals_per_day=math.nan), "population.segments.s.arrivals_per_day"),
        (lambda: Segment("s", weekly=(1, 1, 1)), "population.segments.s.weekly"),
        (lambda: Segment("s", rate_multiplier=-2.0), "population.segments.s.rate_multiplier"),
        (lambda: OrderValue("lognormal", 50.0, 0.0), "population.segments.order_value.cv"),
        (lambda: OrderValue("pareto", 50.0, 1.0), "population.segments.order_value.kind"),
        (lambda: OrderValue("fixed", 50.0, margin=1.5), "population.segments.order_value.margin"),
        (lambda: Population(()), "population.segments"),
        (lambda: Segment("all", arrivals_per_day=1.0), "population.segments.all"),  # reserved for the total
        (lambda: Population((Segment("a"), Segment("a"))), "population.segments"),
        (
            lambda: Population.from_dict({"segments": {"a": {"arrivals_per_dya": 3}}}),
            "population.segments.a.arrivals_per_dya",
        ),
    ],
)
def test_bad_population(make, setting: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as err:
        make()
    assert err.value.setting == setting


def test_scenario_cross_checks(journey: Journey) -> None:
    with pytest.raises(ConfigError) as err:
        Scenario(journey, Population((Segment("s", initial={"awarenes": 3}),)))
    assert err.value.setting == "population.segments.s.initial.awarenes" and "did you mean 'awareness'" in str(
        err.value
    )
    with pytest.raises(ConfigError) as err:
        Scenario(journey, Population((Segment("s", transition_multipliers={"awareness": {"purchase": 2}}),)))
    assert "no transition awareness -> purchase" in str(err.value)
    with pytest.raises(ConfigError, match=r"sim\.engine"):
        Settings(engine="turbo")
    with pytest.raises(ConfigError, match=r"sim\.horizon_days"):
        Settings(horizon_days=0)
    with pytest.raises(ConfigError, match=r"sim\.replications"):
        Settings(replications=0)


def test_rate_tensor_applies_multipliers(journey: Journey) -> None:
    pop = Population(
        (Segment("a"), Segment("b", rate_multiplier=0.5, transition_multipliers={"intent": {"purchase": 3}}))
    )
    sc = Scenario(journey, pop)
    t = sc.rate_tensor()
    base = journey.rate_matrix()
    np.testing.assert_allclose(t[0], base)
    i, p = journey.index("intent"), journey.index("purchase")
    assert t[1, i, p] == pytest.approx(base[i, p] * 0.5 * 3)
    assert t[1, 0, 1] == pytest.approx(base[0, 1] * 0.5)
