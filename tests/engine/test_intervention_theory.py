"""Interventions against hand-worked numbers and closed-form theory (matrix exponential, mean ODEs, Bass)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from scipy.linalg import expm

from journeysim.engine.dynamics import Dynamics
from journeysim.engine.fast import simulate_fast
from journeysim.engine.plan import Plan
from journeysim.engine.records import Records
from journeysim.model import Scenario

ABC = {
    "stages": ["a", "b", "c", "lost"],
    "entry": "a",
    "conversion": ["c"],
    "terminal": ["lost"],
    "rates": {"a": {"b": 0.10, "lost": 0.05}, "b": {"c": 0.20, "a": 0.05}, "c": {"lost": 0.02}},
}


def scenario(**extra: Any) -> Scenario:
    data: dict[str, Any] = {
        "journey": ABC,
        "population": {"segments": {"everyone": {"initial": {"a": 20_000}}}},
        "sim": {"horizon_days": 40},
    }
    data.update(extra)
    return Scenario.from_dict(data)


def simulate(sc: Scenario, seed: int = 11) -> Records:
    return simulate_fast(Plan.compile(sc, np.random.SeedSequence(seed)))


def test_day_multipliers_worked_by_hand() -> None:
    """800 money at CPM 8 -> 100,000 impressions over 50,000 people -> 2 each -> cap 1 -> 1 - e^-2 exposures."""
    channels = {
        "promo": {
            "cost_model": "cpm",
            "unit_cost": 8.0,
            "stages": ["b"],
            "frequency_cap": 1,
            "adstock": 0.5,
            "response": {"kind": "hill", "half_saturation": 1.0, "slope": 1.0},
            "effects": [{"from": "b", "to": "c", "lift": 0.5}],
        }
    }
    sc = scenario(
        channels=channels, strategy={"budgets": {"promo": 1600.0}, "flights": {"promo": [{"start": 0, "end": 2}]}}
    )
    dyn = Dynamics.compile(sc)
    occ = np.array([[0, 50_000, 0, 0]])
    mult, arrivals, referral, rec = dyn.day(0, occ, 0, 0)
    x = 1 - math.exp(-2)
    r = x / (x + 1.0)
    assert rec.spend[0] == pytest.approx(800.0)
    assert rec.impressions[0] == pytest.approx(x * 50_000)
    assert rec.reach[0] == pytest.approx((1 - math.exp(-2)) * 50_000)
    assert rec.response[0] == pytest.approx(r)
    assert mult[1, 2] == pytest.approx(1 + 0.5 * r)  # b -> c lifted for the audience
    assert mult[0, 1] == 1.0 and mult[1, 0] == 1.0  # nothing else
    assert arrivals[0] == 1.0 and referral == 1.0
    # day 1: the same exposure again; carryover gives x + 0.5 x
    _, _, _, rec1 = dyn.day(1, occ, 0, 0)
    assert rec1.response[0] == pytest.approx(1.5 * x / (1.5 * x + 1.0))
    # day 2: the flight is over, no spend, the carryover decays: 0.75 x
    mult2, _, _, rec2 = dyn.day(2, occ, 0, 0)
    assert rec2.spend[0] == 0.0
    assert mult2[1, 2] == pytest.approx(1 + 0.5 * 0.75 * x / (0.75 * x + 1.0))
    # bound used for thinning covers the largest possible lift
    assert dyn.upper is not None and dyn.upper[1, 2] == pytest.approx(1.5)


def test_rate_multiplier_window_matches_piecewise_matrix_exponential() -> None:
    """a -> b tripled on days [10, 20): occupancy at t = 15 and 30 vs exp(Q1 10) exp(Q2 5) ... exactly."""
    sc = scenario(strategy={"rate_multipliers": [{"from": "a", "to": "b", "factor": 3.0, "start": 10, "end": 20}]})
    r = simulate(sc)
    q1 = sc.journey.generator()
    m = sc.journey.rate_matrix()
    m[0, 1] *= 3.0
    q2 = m - np.diag(m.sum(axis=1))
    p0 = np.array([1.0, 0, 0, 0])
    n = 20_000
    for day, p in (
        (15, p0 @ expm(q1 * 10) @ expm(q2 * 5)),
        (30, p0 @ expm(q1 * 10) @ expm(q2 * 10) @ expm(q1 * 10)),
    ):
        occ = r.occupancy()[day - 1, 0] / n  # end of day day-1 = time `day`
        se = np.sqrt(p * (1 - p) / n)
        assert np.all(np.abs(occ - p) < 4 * se + 1e-12), (day, occ, p)
    # and the window really mattered: without it stage a at t = 15 is far away (about 20 standard errors)
    p_plain = p0 @ expm(q1 * 15)
    assert abs(r.occupancy()[14, 0, 0] / n - p_plain[0]) > 10 * np.sqrt(p_plain[0] / n)


def test_referrals_match_the_mean_equations() -> None:
    """Entry e -> advocate v at alpha, v churns at delta and refers at r: d(E, V)/dt = M (E, V), referrals = r int V."""
    journey = {
        "stages": ["e", "v", "gone"],
        "entry": "e",
        "conversion": ["v"],
        "terminal": ["gone"],
        "rates": {"e": {"v": 0.2, "gone": 0.05}, "v": {"gone": 0.1}},
        "promoters": ["v"],
    }
    alpha, beta, delta, rate = 0.2, 0.05, 0.1, 0.08
    sc = Scenario.from_dict(
        {
            "journey": journey,
            "population": {"segments": {"everyone": {"initial": {"e": 2000}}}},
            "word_of_mouth": {"referrals": {"rate": rate}},
            "sim": {"horizon_days": 30},
        }
    )
    m = np.array([[-(alpha + beta), rate], [alpha, -delta]])
    # augmented exponential integrates V for the expected number of referrals
    big = np.zeros((3, 3))
    big[:2, :2] = m
    big[2, 1] = rate
    x = expm(big * 30) @ np.array([2000.0, 0, 0])
    seeds = np.random.SeedSequence(5).spawn(24)
    ends, refs = [], []
    for s in seeds:
        r = simulate_fast(Plan.compile(sc, s))
        ends.append(r.occupancy()[-1, 0, :2])
        refs.append(r.referrals.sum() if r.referrals is not None else 0)
    ends_a, refs_a = np.array(ends, float), np.array(refs, float)
    for got, want in ((ends_a[:, 0], x[0]), (ends_a[:, 1], x[1]), (refs_a, x[2])):
        se = got.std(ddof=1) / math.sqrt(got.size)
        assert abs(got.mean() - want) < 4 * se, (got.mean(), want, se)


def bass_f(t: np.ndarray, p: float, q: float) -> np.ndarray:
    e = np.exp(-(p + q) * t)
    return (1 - e) / (1 + (q / p) * e)


def test_bass_contagion_matches_closed_form() -> None:
    """Cumulative adopters / M vs F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}), M = 10,000."""
    p, q, market = 0.01, 0.15, 10_000
    sc = Scenario.from_dict(
        {
            "journey": ABC,
            "population": {"segments": {"market": {}}},
            "word_of_mouth": {"contagion": {"segment": "market", "market_size": market, "p": p, "q": q}},
            "sim": {"horizon_days": 40},
        }
    )
    days = np.array([5, 10, 15, 20, 30, 39])
    shares = []
    for s in np.random.SeedSequence(9).spawn(8):
        r = simulate_fast(Plan.compile(sc, s))
        arrivals = r.flows[:, 0, -1, :].sum(axis=1).cumsum()
        shares.append(arrivals[days - 1] / market)
    got = np.array(shares)
    want = bass_f(days.astype(float), p, q)
    se = got.std(axis=0, ddof=1) / math.sqrt(got.shape[0])
    assert np.all(np.abs(got.mean(axis=0) - want) < 4 * se), (got.mean(axis=0), want, se)


def test_spend_follows_budget_flights_and_pacing() -> None:
    channels = {
        "promo": {"cost_model": "cpm", "unit_cost": 5.0, "stages": ["a"], "effects": [{"kind": "advance", "lift": 0.3}]}
    }
    sc = scenario(
        channels=channels,
        strategy={
            "budgets": {"promo": 1000.0},
            "pacing": "front_loaded",
            "flights": {"promo": [{"start": 5, "end": 9}, {"start": 20, "end": 21}]},
        },
    )
    r = simulate(sc)
    spend = r.media.spend[:, 0]
    assert r.spend == pytest.approx(1000.0)
    # 5 flight days, front loaded 5,4,3,2,1 / 15
    np.testing.assert_allclose(spend[[5, 6, 7, 8, 20]], 1000 * np.array([5, 4, 3, 2, 1]) / 15)
    assert spend[:5].sum() == 0 and spend[9:20].sum() == 0
    # impressions are media units: 1000 / 5 * 1000 over the horizon, none where nobody was in the audience
    assert r.media.impressions.sum() <= 200_000 + 1e-6


def test_strategy_lifts_conversions_and_same_seed_baseline_is_shared() -> None:
    channels = {
        "promo": {
            "cost_model": "cpm",
            "unit_cost": 5.0,
            "stages": ["b"],
            "response": {"half_saturation": 0.5},
            "effects": [{"kind": "purchase", "lift": 1.0}],
        }
    }
    base = simulate(scenario(channels=channels))
    push = simulate(scenario(channels=channels, strategy={"budgets": {"promo": 40_000.0}}))
    assert push.customers.purchases.sum() > base.customers.purchases.sum() * 1.05
    # customers never in the audience stage keep their exact paths (common random numbers)
    b_bit = np.uint64(1 << 1)
    untouched = (base.customers.visited & b_bit) == 0
    np.testing.assert_array_equal(base.customers.final_stage[untouched], push.customers.final_stage[untouched])


def test_messaging_narrows_the_audience(journey_dict: dict) -> None:
    catalogue = yaml.safe_load((Path(__file__).resolve().parents[2] / "conf/channels/default.yaml").read_text())
    data = {
        "journey": journey_dict,
        "population": {"segments": {"s": {"initial": {"awareness": 10}}}},
        "channels": catalogue,
    }
    wide = Dynamics.compile(Scenario.from_dict({**data, "strategy": {"budgets": {"email": 100}}}))
    narrow = Dynamics.compile(
        Scenario.from_dict({**data, "strategy": {"budgets": {"email": 100}, "messaging": {"email": ["bottom"]}}})
    )
    stages = journey_dict["stages"]
    reached = [stages[i] for i in np.flatnonzero(wide.channels[0].audience_rows[: len(stages)])]
    assert reached == ["consideration", "intent", "purchase", "post_purchase", "loyalty", "advocacy"]
    reached = [stages[i] for i in np.flatnonzero(narrow.channels[0].audience_rows[: len(stages)])]
    assert reached == ["intent", "purchase"]


def test_detractors_slow_conversion_and_advocates_spread_awareness(journey_dict: dict) -> None:
    base = {
        "journey": journey_dict,
        "sim": {"horizon_days": 200},
        "population": {"segments": {"consumers": {"initial": {"awareness": 5000, "advocacy": 500}}}},
    }
    plain = simulate(Scenario.from_dict(base))
    det = simulate(
        Scenario.from_dict(
            {
                **base,
                "word_of_mouth": {
                    "detractors": {
                        "stages": ["churned"],
                        "strength": 3.0,
                        "effects": [{"from": "intent", "to": "purchase"}],
                    }
                },
            }
        )
    )
    assert det.customers.purchases.sum() < 0.9 * plain.customers.purchases.sum()
    buzz = simulate(
        Scenario.from_dict(
            {
                **base,
                "word_of_mouth": {
                    "contagion": {
                        "segment": "consumers",
                        "market_size": 20_000,
                        "p": 0.0,
                        "q": 0.5,
                        "source": ["advocacy"],
                    }
                },
            }
        )
    )
    adopters = len(buzz.customers) - len(plain.customers)
    # with p = 0 every adopter is brought by advocates; hazard q * A / M per unaware person per day
    assert adopters > 1000
    assert buzz.flows[:, 0, -1, :].sum() == adopters


def test_zero_budget_is_exactly_no_spend() -> None:
    channels = {
        "promo": {
            "cost_model": "cpm",
            "unit_cost": 5.0,
            "stages": ["b"],
            "effects": [{"kind": "purchase", "lift": 1.0}],
        }
    }
    none = simulate(scenario(channels=channels))
    zero = simulate(scenario(channels=channels, strategy={"budgets": {"promo": 0.0}}))
    np.testing.assert_array_equal(none.flows, zero.flows)
    assert zero.spend == 0.0
