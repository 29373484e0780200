"""The per-customer reference engine vs the fast engine: identical with one seed, statistically equal across seeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from journeysim.engine import fast
from journeysim.engine.fast import simulate_fast
from journeysim.engine.plan import Plan
from journeysim.engine.records import Records
from journeysim.engine.reference import mix_scalar, simulate_reference, uniform_pair_scalar
from journeysim.engine.streams import mix, scalar_uniform_pair, uniform_pair
from journeysim.model.scenario import Scenario

JOURNEY_YAML = Path(__file__).resolve().parents[2] / "conf" / "journey" / "customer_journey.yaml"
Z = 4.0  # standard errors allowed between two independent estimates


def journey_with_dwell(dwell: bool = True) -> dict[str, Any]:
    """The default 9-stage journey, with a gamma dwell in consideration (semi-Markov) unless `dwell` is False."""
    data: dict[str, Any] = yaml.safe_load(JOURNEY_YAML.read_text())
    if dwell:
        data["dwell"] = {"consideration": {"kind": "gamma", "shape": 2.5}}
    return data


def scenario(scale: int = 1, b2c_awareness_interest: float = 1.0, dwell: bool = True) -> Scenario:
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
    return Scenario.from_dict(
        {"journey": journey_with_dwell(dwell), "population": population, "sim": {"horizon_days": 365}}
    )


def both(sc: Scenario, seed: int, event_log: bool = False) -> tuple[Records, Records]:
    plan = Plan.compile(sc, np.random.SeedSequence(seed))
    return simulate_fast(plan, event_log=event_log), simulate_reference(plan, event_log=event_log)


def assert_same_run(a: Records, b: Records) -> None:
    """Identical trajectories: per-customer summaries, flows, money."""
    ca, cb = a.customers, b.customers
    assert len(ca) == len(cb)
    np.testing.assert_array_equal(ca.segment, cb.segment)
    np.testing.assert_array_equal(ca.purchases, cb.purchases)
    np.testing.assert_allclose(ca.first_purchase, cb.first_purchase, rtol=0, atol=1e-9)  # NaN == NaN here
    np.testing.assert_array_equal(ca.final_stage, cb.final_stage)
    np.testing.assert_array_equal(ca.visited, cb.visited)
    assert a.flows.shape == b.flows.shape and a.flows.dtype == b.flows.dtype
    np.testing.assert_array_equal(a.flows, b.flows)
    np.testing.assert_array_equal(a.initial, b.initial)
    np.testing.assert_allclose(a.revenue, b.revenue, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(a.margin, b.margin, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(a.prospect_clv, b.prospect_clv, rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------------- draw rules


def test_scalar_mixer_matches_vector_streams() -> None:
    rng = np.random.default_rng(3)
    customers = np.concatenate([np.arange(5), rng.integers(0, 1 << 35, 200)])
    counters = rng.integers(0, 1 << 20, customers.size)
    key = np.uint64(0xDEADBEEFCAFEF00D)
    want = mix(customers, counters, key)
    got = np.array([mix_scalar(int(c), int(k), int(key)) for c, k in zip(customers, counters, strict=True)], np.uint64)
    np.testing.assert_array_equal(got, want)
    hi, lo = uniform_pair(want)
    pairs = np.array([uniform_pair_scalar(int(x)) for x in want])
    np.testing.assert_array_equal(pairs[:, 0], hi)
    np.testing.assert_array_equal(pairs[:, 1], lo)
    assert uniform_pair_scalar(mix_scalar(12, 3, int(key))) == scalar_uniform_pair(12, 3, key)


# ---------------------------------------------------------------------- same seed: identical trajectories


@pytest.mark.parametrize("dwell", [True, False], ids=["gamma-dwell", "exponential"])
def test_same_seed_gives_identical_trajectories(dwell: bool) -> None:
    a, b = both(scenario(dwell=dwell), seed=11, event_log=True)
    assert a.flows.sum() > 4 * len(a.customers)  # non-trivial: several jumps per customer
    assert a.customers.purchases.sum() > 200 and (a.customers.purchases > 1).any()  # repeat purchases happen
    assert np.all(a.revenue.sum(axis=0) > 0)  # both segments buy
    assert_same_run(a, b)
    assert a.events is not None and b.events is not None
    assert list(a.events.columns) == list(b.events.columns) == ["customer", "time", "from_stage", "to_stage"]
    assert a.events.dtypes.equals(b.events.dtypes)
    np.testing.assert_array_equal(a.events["customer"], b.events["customer"])
    np.testing.assert_allclose(a.events["time"], b.events["time"], rtol=0, atol=1e-9)
    assert (a.events["from_stage"] == b.events["from_stage"]).all()
    assert (a.events["to_stage"] == b.events["to_stage"]).all()


def test_same_seed_identical_when_fast_engine_works_in_small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunk boundaries of the fast engine must not change any customer's path."""
    monkeypatch.setattr(fast, "CHUNK", 97)
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
