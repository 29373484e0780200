"""Weekly pacings (flighted, pulsing, random): the patterns by hand, the budget spent exactly, one seeded stream per
channel, removal of a channel leaving the others' money as it was, and bad options refused with the fix."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from journeysim.errors import ConfigError
from journeysim.interventions import Strategy, pacing
from journeysim.interventions.media import pacing_profile
from journeysim.interventions.schedule import daily_spend

BUDGETS = {"social": 1000.0, "search": 700.0, "display": 300.0}


def _spend(pace: object, horizon: int = 140, budgets: dict[str, float] = BUDGETS) -> dict[str, np.ndarray]:
    st = Strategy.from_dict({"budgets": budgets, "pacing": pace}, horizon)
    return {p.channel: daily_spend(p, horizon) for p in st.plans}


def test_flighted_and_pulsing_weeks_by_hand() -> None:
    f = pacing.flighted(28, on_weeks=1, off_weeks=2)
    assert f.tolist() == [1.0] * 7 + [0.0] * 14 + [1.0] * 7
    p = pacing.pulsing(21, high_weeks=1, low_weeks=1, low=0.25, offset_weeks=1)
    assert p.tolist() == [0.25] * 7 + [1.0] * 7 + [0.25] * 7
    # a 4-week pulsing flight of 1000 with low 0.25: high days get 1000 / (14 + 14 * 0.25) = 57.142857...
    w = pacing_profile("pulsing", 28)
    assert 1000 * w[0] == pytest.approx(1000 / 17.5) and 1000 * w[14] == pytest.approx(250 / 17.5)


@pytest.mark.parametrize(
    "pace",
    [
        "flighted",
        "pulsing",
        "random",
        {"kind": "flighted", "on_weeks": 1, "off_weeks": 3, "stagger_weeks": 1},
        {"kind": "pulsing", "low": 0.1, "high_weeks": 3, "low_weeks": 1},
        {"kind": "random", "cv": 1.5, "seed": 9},
    ],
)
def test_every_weekly_pacing_spends_the_budget_exactly(pace: object) -> None:
    for name, spend in _spend(pace, horizon=147).items():
        assert math.isclose(spend.sum(), BUDGETS[name], rel_tol=1e-12)
        assert (spend >= 0).all()
        weeks = spend.reshape(21, 7)
        assert (weeks == weeks[:, :1]).all()  # constant within each week


def test_existing_pacings_are_unchanged_by_the_mapping_form() -> None:
    for kind in ("even", "front_loaded", "back_loaded"):
        by_name, by_mapping = _spend(kind), _spend({"kind": kind})
        for c in BUDGETS:
            assert np.array_equal(by_name[c], by_mapping[c])
    st = Strategy.from_dict({"budgets": BUDGETS, "pacing": "even"}, 140)
    assert all(p.profile is None for p in st.plans)  # named pacings keep no profile: the same plan as before


def test_random_weeks_come_from_one_spawned_stream_per_channel() -> None:
    a, b = _spend({"kind": "random", "seed": 5}), _spend({"kind": "random", "seed": 5})
    assert all(np.array_equal(a[c], b[c]) for c in BUDGETS)  # reproducible
    other = _spend({"kind": "random", "seed": 6})
    assert not np.array_equal(a["social"], other["social"])
    streams = np.random.SeedSequence(5).spawn(3)
    expected = pacing.random_weeks(140, 0.5, streams[1])
    assert np.allclose(a["search"], 700.0 * expected / expected.sum(), rtol=1e-12, atol=0)
    assert not np.allclose(a["social"] / 1000.0, a["search"] / 700.0)  # channels move independently


def test_random_weekly_weights_have_the_asked_mean_and_spread() -> None:
    cv = 0.6
    w = pacing.random_weeks(7 * 4000, cv, np.random.SeedSequence(1))[::7]
    se_mean = cv / math.sqrt(w.size)
    assert abs(w.mean() - 1.0) < 4 * se_mean
    # the gamma's own law: Kolmogorov-Smirnov against shape 1/cv^2, scale cv^2
    assert stats.kstest(w, stats.gamma(1 / cv**2, scale=cv**2).cdf).pvalue > 0.001


def test_stagger_shifts_each_channel_by_whole_weeks() -> None:
    s = _spend({"kind": "flighted", "on_weeks": 1, "off_weeks": 2, "stagger_weeks": 1}, horizon=42)
    on = {c: (v.reshape(6, 7)[:, 0] > 0).astype(int).tolist() for c, v in s.items()}
    assert on == {"social": [1, 0, 0, 1, 0, 0], "search": [0, 0, 1, 0, 0, 1], "display": [0, 1, 0, 0, 1, 0]}


def test_horizon_clipping_keeps_the_weekly_pattern() -> None:
    full = _spend("pulsing", horizon=140, budgets={"social": 1000.0})
    st = Strategy.from_dict(
        {"budgets": {"social": 1000.0}, "pacing": "pulsing", "flights": {"social": [{"start": 0, "end": 140}]}}, 70
    )
    clipped = daily_spend(st.plans[0], 70)
    assert np.allclose(clipped, full["social"][:70])


@pytest.mark.parametrize(
    ("pace", "setting"),
    [
        ({"kind": "pulsing", "lowe": 0.2}, "strategy.pacing.lowe"),
        ({"kind": "pulsing", "low": 1.5}, "strategy.pacing.low"),
        ({"kind": "flighted", "on_weeks": 1.5}, "strategy.pacing.on_weeks"),
        ({"kind": "flighted", "on_weeks": 0}, "strategy.pacing.on_weeks"),
        ({"kind": "even", "seed": 1}, "strategy.pacing.seed"),
        ({"kind": "randon"}, "strategy.pacing"),
        ({"kind": "random", "cv": -1}, "strategy.pacing.cv"),
    ],
)
def test_bad_pacing_options_name_the_setting(pace: object, setting: str) -> None:
    with pytest.raises(ConfigError) as err:
        Strategy.from_dict({"budgets": BUDGETS, "pacing": pace}, 140)
    assert err.value.setting == setting and err.value.fix


def test_a_flight_with_only_off_weeks_is_refused() -> None:
    pace = {"kind": "flighted", "on_weeks": 1, "off_weeks": 3, "offset_weeks": 1}
    with pytest.raises(ConfigError, match="only off weeks"):
        Strategy.from_dict({"budgets": {"social": 1.0}, "pacing": pace, "flights": {"social": [{"end": 14}]}}, 140)
