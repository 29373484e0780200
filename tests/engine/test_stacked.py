"""Stacked passes: several variants in one pass of the fast engine give each the records it gets alone."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import journeysim as js
from journeysim.engine.fast import simulate_fast, sizes
from journeysim.engine.fast.stacked import simulate_stacked, stackable
from journeysim.engine.plan import Plan
from journeysim.engine.records import Records
from journeysim.study.run import replication_seeds


def _budget(scenario, factor: float):
    st = scenario.strategy
    plans = tuple(dataclasses.replace(p, budget=p.budget * factor) for p in st.plans)
    return dataclasses.replace(scenario, strategy=dataclasses.replace(st, plans=plans))


def _same(a: Records, b: Records) -> None:
    for name in ("flows", "revenue", "margin", "prospect_clv", "referrals", "initial"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), name
    for name in ("spend", "impressions", "audience", "reach", "response", "bought", "wasted_spend"):
        assert getattr(a.media, name).tobytes() == getattr(b.media, name).tobytes(), f"media.{name}"
    for name in ("segment", "start_stage", "entry_time", "first_purchase", "purchases", "visited", "final_stage"):
        x, y = getattr(a.customers, name), getattr(b.customers, name)
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), f"customers.{name}"
    assert a.segments == b.segments


@pytest.mark.parametrize("small", [False, True])
def test_each_member_of_a_stack_walks_its_own_paths(small: bool, monkeypatch) -> None:
    if small:  # many pieces: the stacked pass must not depend on how the engine batches inside a chunk
        monkeypatch.setattr(sizes, "PIECE", 128)
    base = js.load_scenario(["strategy=balanced", "population=mixed", "population.scale=0.1", "sim=quick"])
    assert stackable(base) and len(base.population.segments) > 1
    members = [_budget(base, f) for f in (0.2, 1.0, 3.0)]
    seed = replication_seeds(base)[0]
    stacked = simulate_stacked([Plan.compile(sc, seed) for sc in members])
    for sc, rec in zip(members, stacked, strict=True):
        _same(rec, simulate_fast(Plan.compile(sc, seed)))
    spend = [float(r.spend) for r in stacked]
    assert spend[0] < spend[1] < spend[2] and np.isfinite(spend).all()


def _plans(scenario, **changes):
    st = scenario.strategy
    plans = tuple(dataclasses.replace(p, **{k: f(p) for k, f in changes.items()}) for p in st.plans)
    return dataclasses.replace(scenario, strategy=dataclasses.replace(st, plans=plans))


def test_members_differing_in_budgets_flights_pacing_and_channels_keep_their_own_media() -> None:
    from journeysim.interventions.strategy import Flight, RateMultiplier

    base = js.load_scenario(["strategy=balanced", "population=mixed", "population.scale=0.1", "sim=quick"])
    horizon = base.settings.horizon_days
    st = base.strategy
    j = base.journey
    window = RateMultiplier(j.stages[0], j.stages[1], 1.7, 5, horizon // 2)
    members = [
        _budget(base, 2.0),
        _plans(base, flights=lambda p: (Flight(3, horizon // 3), Flight(horizon // 2, horizon - 4))),
        _plans(base, pacing=lambda p: "front_loaded"),
        _plans(base, pacing=lambda p: "back_loaded", budget=lambda p: p.budget * 0.3),
        dataclasses.replace(base, strategy=dataclasses.replace(st, plans=st.plans[1:])),  # one channel fewer
        dataclasses.replace(base, strategy=dataclasses.replace(st, rate_multipliers=(window,))),
    ]
    seed = replication_seeds(base)[0]
    stacked = simulate_stacked([Plan.compile(sc, seed) for sc in members])
    for sc, rec in zip(members, stacked, strict=True):
        _same(rec, simulate_fast(Plan.compile(sc, seed)))
    spend = [r.media.spend for r in stacked]
    assert len({s.tobytes() for s in spend}) == len(spend)  # every member spends differently
    assert spend[4].shape[1] == spend[0].shape[1] - 1  # (no media at all advances in another mode: not stacked)
    assert spend[1][:3].sum() == 0 and spend[1][horizon // 3 : horizon // 2].sum() == 0  # off-flight days


def test_members_too_large_for_one_chunk_run_alone(monkeypatch) -> None:
    base = js.load_scenario(["strategy=balanced", "population=mixed", "population.scale=0.05", "sim=quick"])
    members = [_budget(base, f) for f in (0.5, 2.0)]
    seed = replication_seeds(base)[0]
    monkeypatch.setattr(sizes, "CHUNK", 512)  # alone, each member's due customers now split into chunks
    monkeypatch.setattr(sizes, "PIECE", 128)
    for sc, rec in zip(members, simulate_stacked([Plan.compile(sc, seed) for sc in members]), strict=True):
        _same(rec, simulate_fast(Plan.compile(sc, seed)))


def test_what_reads_whole_population_counts_is_not_stacked() -> None:
    base = js.load_scenario(["strategy=balanced", "sim=quick", "population.scale=0.02"])
    assert not stackable(dataclasses.replace(base, settings=dataclasses.replace(base.settings, event_log=True)))
    full = js.load_scenario(["strategy=balanced", "sim=quick", "population.scale=0.02", "word_of_mouth=full"])
    assert full.word_of_mouth.detractors is None or not stackable(full)
