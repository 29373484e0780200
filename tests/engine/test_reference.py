"""The per-customer reference engine vs the fast engine: identical with one seed, statistically equal across seeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from numpy.typing import NDArray

from journeysim.engine import fast
from journeysim.engine.fast import simulate_fast
from journeysim.engine.plan import Plan
from journeysim.engine.records import Records
from journeysim.engine.reference import child_key_scalar, customer_key_scalar, simulate_reference
from journeysim.engine.streams import child_keys, customer_keys, draw_bits, draw_bits_scalar
from journeysim.model.scenario import Scenario

CONF = Path(__file__).resolve().parents[2] / "conf"
Z = 4.0  # standard errors allowed between two independent estimates


def load(path: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((CONF / path).read_text())
    return data


def journey_with_dwell(dwell: bool = True) -> dict[str, Any]:
    """The default 9-stage journey, with a gamma dwell in consideration (semi-Markov) unless `dwell` is False."""
    data = load("journey/customer_journey.yaml")
    if dwell:
        data["dwell"] = {"consideration": {"kind": "gamma", "shape": 2.5}}
    return data


def scenario(scale: int = 1, b2c_awareness_interest: float = 1.0, dwell: bool = True, **extra: Any) -> Scenario:
    """Two segments with different multipliers, order values, starting mixes and arrival rates."""
    population = {
        "segments": {
            "b2c": {
                "initial": {"awareness": 200 * scale, "interest": 50 * scale, "loyalty": 30 * scale},
                "arrivals_per_day": 3.0 * scale,
                "weekly": [1, 1, 1, 1, 1, 2, 2],
                "transition_multipliers": {"awareness": {"interest": b2c_awareness_interest}},
                "order_value": {"kind": "lognormal", "mean": 80.0, "cv": 0.5, "margin": 0.3},
            },
            "b2b": {
                "initial": {"awareness": 100 * scale, "intent": 20 * scale, "advocacy": 10 * scale, "churned": 5},
                "arrivals_per_day": 1.0 * scale,
                "rate_multiplier": 0.7,
                "transition_multipliers": {"intent": {"purchase": 2.0}},
                "order_value": {"kind": "gamma", "mean": 900.0, "cv": 0.8, "margin": 0.5},
            },
        }
    }
    data = {"journey": journey_with_dwell(dwell), "population": population, "sim": {"horizon_days": 365}}
    return Scenario.from_dict(data | extra)


WINDOW = {"rate_multipliers": [{"from": "interest", "to": "consideration", "factor": 2.0, "start": 30, "end": 90}]}
EVERYTHING = {
    "channels": load("channels/default.yaml"),
    "strategy": {
        "budgets": {
            "social": 40000,
            "search": 30000,
            "email": 5000,
            "loyalty_programme": 8000,
            "referral_programme": 6000,
        },
        "flights": {
            "search": [{"start": 20, "end": 200}],
            "social": [{"start": 0, "end": 60}, {"start": 150, "end": 250}],
        },
        "pacing": "front_loaded",
        "rate_multipliers": [{"from": "intent", "to": "purchase", "factor": 0.5, "start": 100, "end": 130}],
    },
    "word_of_mouth": {
        "referrals": {"stages": None, "rate": 0.01},
        "contagion": {"segment": "b2c", "market_size": 2000, "p": 0.0005, "q": 0.05, "source": ["advocacy"]},
        "detractors": {
            "stages": ["churned"],
            "strength": 0.5,
            "effects": [{"from": "consideration", "to": "intent"}, {"from": "intent", "to": "purchase"}],
        },
    },
}
BASS = {"word_of_mouth": {"contagion": {"segment": "b2b", "market_size": 1500, "p": 0.002, "q": 0.03}}}
CASES = {
    "gamma-dwell": {},
    "exponential": {"dwell": False},
    "rate-window": {"strategy": WINDOW},
    "media-and-word-of-mouth": {"dwell": False, **EVERYTHING},
    "bass-market": BASS,
}


def both(sc: Scenario, seed: int, event_log: bool = False) -> tuple[Records, Records]:
    """Both engines on the same seed; one plan each, since a run consumes the plan's stateful parts."""
    fast_records = simulate_fast(Plan.compile(sc, np.random.SeedSequence(seed)), event_log=event_log)
    return fast_records, simulate_reference(Plan.compile(sc, np.random.SeedSequence(seed)), event_log=event_log)


def canonical(r: Records) -> NDArray[np.intp]:
    """Customer order by entry time (stable): engines may admit referrals and adopters in different orders."""
    return np.argsort(r.customers.entry_time, kind="stable")


def assert_same_run(a: Records, b: Records) -> None:
    """Identical trajectories: per-customer summaries, flows, money, referrals and media."""
    ca, cb = a.customers, b.customers
    assert len(ca) == len(cb)
    oa, ob = canonical(a), canonical(b)
    for name in ("segment", "start_stage", "entry_time", "purchases", "final_stage", "visited"):
        np.testing.assert_array_equal(getattr(ca, name)[oa], getattr(cb, name)[ob], err_msg=name)
    np.testing.assert_allclose(ca.first_purchase[oa], cb.first_purchase[ob], rtol=0, atol=1e-9)  # NaN == NaN here
    assert a.flows.shape == b.flows.shape and a.flows.dtype == b.flows.dtype
    np.testing.assert_array_equal(a.flows, b.flows)
    np.testing.assert_array_equal(a.initial, b.initial)
    np.testing.assert_allclose(a.revenue, b.revenue, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(a.margin, b.margin, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(a.prospect_clv, b.prospect_clv, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(a.referrals, b.referrals)
    assert a.media.channels == b.media.channels
    for name in ("spend", "impressions", "audience", "reach", "response"):
        np.testing.assert_allclose(getattr(a.media, name), getattr(b.media, name), rtol=1e-12, err_msg=name)


# ---------------------------------------------------------------------- draw rules


def test_scalar_stream_keys_match_the_vector_streams() -> None:
    rng = np.random.default_rng(3)
    ident = np.concatenate([np.arange(5, dtype=np.uint64), rng.integers(0, 1 << 62, 100).astype(np.uint64)])
    key = np.uint64(0xDEADBEEFCAFEF00D)
    ckeys = customer_keys(ident, key)
    assert [customer_key_scalar(int(i), int(key)) for i in ident] == [int(x) for x in ckeys]
    counters = rng.integers(0, 1 << 20, ident.size).astype(np.uint32)
    want = child_keys(ckeys, counters, np.uint64(12345))
    got = [child_key_scalar(int(p), int(c), 12345) for p, c in zip(ckeys, counters, strict=True)]
    assert got == [int(x) for x in want]
    bits = draw_bits(ckeys, counters)
    assert [draw_bits_scalar(int(p), int(c)) for p, c in zip(ckeys, counters, strict=True)] == [int(x) for x in bits]


# ---------------------------------------------------------------------- same seed: identical trajectories


@pytest.mark.parametrize("case", list(CASES))
def test_same_seed_gives_identical_trajectories(case: str) -> None:
    sc = scenario(**CASES[case])
    a, b = both(sc, seed=11, event_log=True)
    assert a.flows.sum() > 4 * len(a.customers)  # non-trivial: several jumps per customer
    assert a.customers.purchases.sum() > 200 and (a.customers.purchases > 1).any()  # repeat purchases happen
    assert np.all(a.revenue.sum(axis=0) > 0)  # both segments buy
    plan = Plan.compile(sc, np.random.SeedSequence(11))
    if case in ("rate-window", "media-and-word-of-mouth"):
        assert plan.thinning
    if case == "media-and-word-of-mouth":
        assert a.spend > 0 and a.referrals is not None and a.referrals.sum() > 10
        assert len(a.customers) > plan.poisson_end  # referred prospects and contagion adopters joined
        assert plan.arrival_upper.max() > 1  # arrival candidates are thinned by the day's media lift
    if case == "bass-market":
        assert plan.n_customers - plan.poisson_end > 100  # Bass adopters in the roster
    assert_same_run(a, b)
    assert a.events is not None and b.events is not None
    assert list(a.events.columns) == list(b.events.columns) == ["customer", "time", "from_stage", "to_stage"]
    assert a.events.dtypes.equals(b.events.dtypes)
    rank_a, rank_b = np.argsort(canonical(a)), np.argsort(canonical(b))
    np.testing.assert_array_equal(rank_a[a.events["customer"]], rank_b[b.events["customer"]])
    np.testing.assert_allclose(a.events["time"], b.events["time"], rtol=0, atol=1e-9)
    assert (a.events["from_stage"] == b.events["from_stage"]).all()
    assert (a.events["to_stage"] == b.events["to_stage"]).all()


def test_same_seed_identical_when_fast_engine_works_in_small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunk boundaries of the fast engine must not change any customer's path."""
    monkeypatch.setattr(fast.sizes, "CHUNK", 97)
    a, b = both(scenario(), seed=5)
    assert_same_run(a, b)


def test_reference_records_are_self_consistent() -> None:
    _, r = both(scenario(), seed=2, event_log=True)
    c = r.customers
    occ = r.occupancy()[-1]
    for g in range(len(r.segments)):
        np.testing.assert_array_equal(occ[g], np.bincount(c.final_stage[c.segment == g], minlength=r.n_stages))
    assert r.purchases_per_day().sum() == c.purchases.sum()
    assert r.events is not None and len(r.events) == r.flows.sum()
    assert (r.events["time"] < r.horizon_days).all() and r.events["time"].is_monotonic_increasing
    bought = ~np.isnan(c.first_purchase)
    np.testing.assert_array_equal(bought, c.purchases > 0)
    assert np.all(c.first_purchase[bought] >= c.entry_time[bought])
    np.testing.assert_allclose(r.margin.sum(axis=0) / r.revenue.sum(axis=0), [0.3, 0.5])


# ---------------------------------------------------------------------- determinism


@pytest.mark.parametrize("engine", [simulate_fast, simulate_reference], ids=["fast", "reference"])
def test_same_seed_twice_is_identical_and_different_seeds_differ(engine: Any) -> None:
    sc = scenario()
    first = engine(Plan.compile(sc, np.random.SeedSequence(99)))
    again = engine(Plan.compile(sc, np.random.SeedSequence(99)))
    other = engine(Plan.compile(sc, np.random.SeedSequence(100)))
    np.testing.assert_array_equal(first.flows, again.flows)
    np.testing.assert_array_equal(first.revenue, again.revenue)
    np.testing.assert_array_equal(first.customers.first_purchase, again.customers.first_purchase)
    np.testing.assert_array_equal(first.customers.final_stage, again.customers.final_stage)
    assert first.flows.shape == other.flows.shape
    assert not np.array_equal(first.flows, other.flows)
    assert first.revenue.sum() != other.revenue.sum()


# ---------------------------------------------------------------------- different seeds: statistical agreement


def summary(r: Records) -> dict[str, tuple[float, float]]:
    """Per-customer means with their standard errors: conversion, purchases, stage shares at the horizon."""
    c = r.customers
    n = len(c)
    out: dict[str, tuple[float, float]] = {}

    def add(name: str, x: np.ndarray) -> None:
        out[name] = (float(x.mean()), float(x.std(ddof=1) / np.sqrt(n)))

    add("conversion", (~np.isnan(c.first_purchase)).astype(float))
    add("purchases", c.purchases.astype(float))
    for s, stage in enumerate(r.stages):
        add(f"occupancy.{stage}", (c.final_stage == s).astype(float))
    return out


def z_scores(a: Records, b: Records) -> dict[str, float]:
    sa, sb = summary(a), summary(b)
    return {k: (sa[k][0] - sb[k][0]) / np.hypot(sa[k][1], sb[k][1]) for k in sa}


def test_engines_agree_statistically_with_different_seeds() -> None:
    sc = scenario(scale=4)
    f = simulate_fast(Plan.compile(sc, np.random.SeedSequence(1)))
    r = simulate_reference(Plan.compile(sc, np.random.SeedSequence(2)))
    assert len(f.customers) > 5000 and len(r.customers) > 5000
    z = z_scores(f, r)
    bad = {k: round(v, 2) for k, v in z.items() if abs(v) > Z}
    assert not bad, f"engines disagree beyond {Z} standard errors: {bad}"


def test_statistical_check_detects_a_real_difference() -> None:
    """Guard against tolerances too loose to catch anything: halving b2c awareness -> interest must be flagged."""
    f = simulate_fast(Plan.compile(scenario(scale=4), np.random.SeedSequence(1)))
    g = simulate_fast(Plan.compile(scenario(scale=4, b2c_awareness_interest=0.5), np.random.SeedSequence(2)))
    z = z_scores(f, g)
    assert abs(z["conversion"]) > Z
    assert max(abs(v) for v in z.values()) > Z
