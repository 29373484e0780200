"""The vectorised engine: determinism, conservation, calendar and batching invariance, event-log consistency."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

import journeysim.engine.fast as fast
from journeysim.engine.fast import FastEngine, simulate_fast
from journeysim.engine.plan import Plan
from journeysim.engine.records import Records
from journeysim.model import Journey, Population, Scenario, Segment, Settings


def run(sc: Scenario, seed: int = 1, **kw: bool) -> Records:
    return simulate_fast(Plan.compile(sc, np.random.SeedSequence(seed)), **kw)


def same(a: Records, b: Records) -> None:
    np.testing.assert_array_equal(a.flows, b.flows)
    np.testing.assert_array_equal(a.customers.purchases, b.customers.purchases)
    np.testing.assert_array_equal(a.customers.first_purchase, b.customers.first_purchase)
    np.testing.assert_array_equal(a.customers.final_stage, b.customers.final_stage)
    np.testing.assert_array_equal(a.customers.visited, b.customers.visited)
    np.testing.assert_allclose(a.revenue, b.revenue, rtol=1e-12)  # summation order may differ


def test_same_seed_identical_different_seed_differs(small_scenario: Scenario) -> None:
    a, b, c = run(small_scenario, 1), run(small_scenario, 1), run(small_scenario, 2)
    same(a, b)
    assert not np.array_equal(a.flows, c.flows)


def test_conservation_occupancy_matches_final_stages(small_scenario: Scenario) -> None:
    r = run(small_scenario)
    occ_end = r.occupancy()[-1]
    for g in range(len(r.segments)):
        mine = r.customers.final_stage[r.customers.segment == g]
        np.testing.assert_array_equal(occ_end[g], np.bincount(mine, minlength=r.n_stages))
    # arrivals recorded in flows == customers who arrived during the horizon
    n_arrivals = len(r.customers) - int(r.initial.sum())
    assert r.flows[:, :, -1, :].sum() == n_arrivals
    assert r.flows[:, :, -1, :].sum(axis=(0, 1))[r.entry] == n_arrivals
    # purchases in the daily view == per-customer purchase counts
    assert r.purchases_per_day().sum() == r.customers.purchases.sum()
    assert (r.occupancy() >= 0).all()


def test_calendar_split_is_exact(small_scenario: Scenario) -> None:
    """Stopping the population at arbitrary times (as events do) changes nothing: the draws are per customer."""
    plan = Plan.compile(small_scenario, np.random.SeedSequence(3))
    whole = simulate_fast(plan)
    eng = FastEngine(Plan.compile(small_scenario, np.random.SeedSequence(3)))
    for t in (0.5, 1.0, 17.25, 60.0, 119.999):
        eng.advance_to(t)
    eng.advance_to(small_scenario.settings.horizon_days)
    same(whole, eng.records())


def test_batching_is_invisible(small_scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    a = run(small_scenario, 4)
    monkeypatch.setattr(fast.sizes, "CHUNK", 37)
    same(a, run(small_scenario, 4))


def test_several_transitions_per_day_are_all_counted() -> None:
    # 5 customers bouncing a <-> b at 20 per day for 3 days: about 5 * 3 * 20 = 300 transitions
    j = Journey.from_dict(
        {"stages": ["a", "b"], "entry": "a", "conversion": ["b"], "rates": {"a": {"b": 20.0}, "b": {"a": 20.0}}}
    )
    r = run(Scenario(j, Population((Segment("s", initial={"a": 5}),)), Settings(horizon_days=3)))
    total = int(r.flows.sum())
    assert 300 - 4 * np.sqrt(300) < total < 300 + 4 * np.sqrt(300)
    assert r.customers.purchases.sum() == r.flows[:, 0, 0, 1].sum()


def test_event_log_replays_to_the_records(small_scenario: Scenario) -> None:
    r = run(small_scenario, 5, event_log=True)
    ev = r.events
    assert ev is not None and len(ev) == r.flows.sum()
    assert ev["time"].is_monotonic_increasing
    assert (ev["time"] < small_scenario.settings.horizon_days).all()
    last = ev.groupby("customer", observed=True)["to_stage"].last()
    stages = np.array(r.stages)
    moved = last.index.to_numpy()
    np.testing.assert_array_equal(stages[r.customers.final_stage[moved]], last.astype(str).to_numpy())
    buys = ev[ev["to_stage"].isin([r.stages[i] for i in r.conversion])].groupby("customer").size()
    np.testing.assert_array_equal(r.customers.purchases[buys.index.to_numpy()], buys.to_numpy())
    first = ev[ev["to_stage"] == "purchase"].groupby("customer")["time"].min()
    np.testing.assert_allclose(r.customers.first_purchase[first.index.to_numpy()], first.to_numpy())


def test_terminal_customers_stay_and_visited_has_start_stage(small_scenario: Scenario) -> None:
    r = run(small_scenario, 6)
    c = r.customers
    start_bits = np.left_shift(np.uint64(1), c.start_stage.astype(np.uint64))
    assert ((c.visited & start_bits) != 0).all()
    final_bits = np.left_shift(np.uint64(1), c.final_stage.astype(np.uint64))
    assert ((c.visited & final_bits) != 0).all()
    # nobody leaves a terminal stage
    for t in r.terminal:
        assert r.flows[:, :, t, :].sum() == 0


def test_a_compiled_plan_runs_the_same_twice(journey_dict: dict) -> None:
    """Carryover and contagion state belong to a run, not to the plan."""
    root = Path(__file__).resolve().parents[2]
    data = {
        "journey": journey_dict,
        "sim": {"horizon_days": 60},
        "population": {"segments": {"consumers": {"initial": {"awareness": 3000, "advocacy": 300}}}},
        "channels": yaml.safe_load((root / "conf/channels/default.yaml").read_text()),
        "strategy": yaml.safe_load((root / "conf/strategy/conversion_push.yaml").read_text()),
        "word_of_mouth": {
            "contagion": {"segment": "consumers", "market_size": 5000, "p": 0.001, "q": 0.2, "source": ["advocacy"]}
        },
    }
    data["strategy"]["flights"] = {}
    plan = Plan.compile(Scenario.from_dict(data), np.random.SeedSequence(3))
    a, b = simulate_fast(plan), simulate_fast(plan)
    same(a, b)
    np.testing.assert_array_equal(a.media.response, b.media.response)
    c = simulate_fast(Plan.compile(Scenario.from_dict(data), np.random.SeedSequence(3)))
    same(a, c)


def test_window_length_is_invisible(small_scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """The due-set window (how often the whole roster is scanned) changes nothing, daily ticks included."""
    data_plan = Plan.compile(small_scenario, np.random.SeedSequence(8))
    data_plan.dynamics.needs_state = True  # force the day-boundary process
    a = simulate_fast(data_plan)
    monkeypatch.setattr(fast.sizes, "WINDOW", 0.5)
    b = simulate_fast(data_plan)
    same(a, b)
    assert a.flows.sum() > 0


@pytest.mark.parametrize("run_length", [2, 16, 1 << 62])
def test_binary_search_filing_is_invisible(
    small_scenario: Scenario, monkeypatch: pytest.MonkeyPatch, run_length: int
) -> None:
    """Putting time-ordered stretches of the roster into day buckets by binary search changes nothing."""
    plan = Plan.compile(small_scenario, np.random.SeedSequence(9))
    plan.dynamics.needs_state = True  # force the day-boundary process, so the calendar is built and used
    a = simulate_fast(plan, event_log=True)
    monkeypatch.setattr(fast.sizes, "RUN", run_length)
    b = simulate_fast(plan, event_log=True)
    same(a, b)
    np.testing.assert_array_equal(a.revenue, b.revenue)
    assert a.events is not None and b.events is not None
    assert a.events.equals(b.events)
