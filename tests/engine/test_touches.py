"""The touch log: switching it on changes no result, exposures follow the channels' daily reach, caused touches
the thinning band's share, and sampling keeps a share of customers."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from journeysim.config import load_scenario
from journeysim.engine.dynamics import Dynamics
from journeysim.engine.moves import Moves, moves_by_customer, moves_of_events
from journeysim.engine.touches import touch_log
from journeysim.interventions import Strategy
from journeysim.io import write_study
from journeysim.io.outputs import TOUCH_FILES
from journeysim.study.baseline import NO_SPEND, Baseline
from journeysim.study.pipeline import run_study
from journeysim.study.run import replication_seeds, simulate

OVERRIDES = ["population.scale=0.02", "sim=quick", "strategy=balanced"]


def _hashes(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir() if p.is_file()}


@pytest.mark.slow
@pytest.mark.parametrize("share", [1.0, 0.3])
def test_the_touch_log_leaves_every_output_byte_identical(tmp_path: Path, share: float) -> None:
    scenario = load_scenario(OVERRIDES)
    baseline = Baseline(NO_SPEND, Strategy(), channels=True)
    off = run_study(scenario, baseline, bottlenecks=False)
    on = run_study(scenario, baseline, bottlenecks=False, touches=share)
    write_study(tmp_path / "off", off, "name: x\n")
    write_study(tmp_path / "on", on, "name: x\n")
    h_off, h_on = _hashes(tmp_path / "off"), _hashes(tmp_path / "on")
    assert set(h_on) - set(h_off) == set(TOUCH_FILES)
    assert h_off == {k: v for k, v in h_on.items() if k not in TOUCH_FILES}
    assert len(on.run.touches) > 0


def _one(overrides: list[str] = OVERRIDES, sample: float = 1.0):
    scenario = load_scenario(overrides)
    seq = replication_seeds(scenario)[0]
    rec = simulate(scenario, seq, event_log=True)
    return scenario, rec, touch_log(rec, Dynamics.compile(scenario), seq, sample)


def _stays(rec, customer: int) -> list[tuple[int, float, float]]:
    """(stage, start, end) of each of the customer's stays, walked one event at a time."""
    ev = rec.events
    mine = ev[ev["customer"] == customer]
    stage, start, out = int(rec.customers.start_stage[customer]), float(rec.customers.entry_time[customer]), []
    for t, to in zip(mine["time"], mine["to_stage"].cat.codes, strict=True):
        out.append((stage, start, float(t)))  # an arrival's own event closes an empty stay, dropped below
        stage, start = int(to), float(t)
    out.append((stage, start, float(rec.horizon_days)))
    return [s for s in out if s[2] > s[1]]


def test_exposures_follow_the_daily_reach() -> None:
    # independent count: for 300 random customers, each stay in a channel's audience is touched with probability
    # 1 - exp(-mass), mass the daily intensity -log(1 - reach / audience) integrated over the stay (by a fine
    # grid); the log's count of exposure touches is a sum of such Bernoullis
    scenario, rec, log = _one()
    dyn = Dynamics.compile(scenario)
    who = np.random.default_rng(1).choice(len(rec.customers), 300, replace=False)
    stays = {int(i): _stays(rec, int(i)) for i in who}
    s1 = rec.n_stages + 1
    for c, cs in enumerate(dyn.channels):
        aud = rec.media.audience[:, c]
        p = np.divide(rec.media.reach[:, c], aud, out=np.zeros(rec.horizon_days), where=aud > 0)
        lam = -np.log1p(-np.clip(p, 0, 1 - 1e-12))
        probs = []
        for i, mine in stays.items():
            seg = int(rec.customers.segment[i])
            for stage, start, end in mine:
                if cs.audience_rows[seg * s1 + stage]:
                    grid = np.linspace(start, end, 400, endpoint=False) + (end - start) / 800
                    probs.append(1 - np.exp(-lam[grid.astype(int)].sum() * (end - start) / 400))
        q = np.array(probs)
        t = log.touches
        got = int((t["customer"].isin(who) & (t["channel"] == cs.channel.name) & ~t["caused"]).sum())
        assert abs(got - q.sum()) <= 4 * np.sqrt((q * (1 - q)).sum()) + 0.02 * q.sum() + 1, (
            cs.channel.name,
            got,
            q.sum(),
        )


def _multipliers(rec, dyn, mv) -> np.ndarray:
    """(transitions, C) each channel's multiplier on each recorded transition's hazard, one transition at a time
    from the channel's effect masks (independent of the log's tabulated factors); 1 where nothing lifts it."""
    s = rec.n_stages
    out = np.ones((mv.customer.size, len(dyn.channels)))
    for i, (c, t, src, dst) in enumerate(zip(mv.customer, mv.time, mv.src, mv.dst, strict=True)):
        seg, day = int(rec.customers.segment[c]), min(int(t), rec.horizon_days - 1)
        for k, cs in enumerate(dyn.channels):
            response = rec.media.response[day, rec.media.channels.index(cs.channel.name)]
            if src == s:  # an arrival: the segment's arrival lift
                out[i, k] = 1.0 + cs.arrival_lift[seg] * response
                continue
            for mask, lift in cs.effects:
                if mask[seg * (s + 1) + src, dst]:
                    out[i, k] *= 1.0 + lift * response
    return out


def test_caused_touches_take_the_thinning_share() -> None:
    # a transition with channel multipliers F_c is caused with probability 1 - 1 / prod(F_c > 1)
    scenario, rec, log = _one()
    from journeysim.engine.touches import logged_moves

    mv = logged_moves(rec, np.ones(len(rec.customers), bool))
    f = _multipliers(rec, Dynamics.compile(scenario), mv)
    p = 1.0 - 1.0 / np.prod(np.maximum(f, 1.0), axis=1)
    expected, sd = p.sum(), np.sqrt((p * (1 - p)).sum())
    got = int(log.touches["caused"].sum())
    assert expected > 20
    assert abs(got - expected) <= 4 * sd


def _sampled(share: float, engine: str = "fast", record_all: bool = False):
    scenario = load_scenario([*OVERRIDES, f"sim.engine={engine}"])
    seq = replication_seeds(scenario)[0]
    rec = simulate(scenario, seq, event_log=record_all, touches=share)
    return scenario, seq, rec, touch_log(rec, Dynamics.compile(scenario), seq, share)


def test_sampling_keeps_a_share_of_customers_and_the_log_is_reproducible() -> None:
    _, _, rec, log = _sampled(0.3)
    n = len(rec.customers)
    assert abs(log.sampled.mean() - 0.3) <= 4 * np.sqrt(0.3 * 0.7 / n)
    assert log.sampled[log.touches["customer"].to_numpy()].all()
    # the sample is drawn from nothing the journey uses: sampled customers buy like everyone (within 4 SE)
    bought = rec.customers.purchases.astype(float)
    mine = bought[log.sampled]
    se = bought.std() * np.sqrt(1 / mine.size - 1 / n)  # a sample without replacement of the population
    assert bought.mean() > 0 and abs(mine.mean() - bought.mean()) <= 4 * se
    _, _, _, again = _sampled(0.3)
    assert log.touches.equals(again.touches)


def test_a_sampled_run_records_exactly_the_sampled_customers_moves() -> None:
    # the engine records only the picked customers' moves: the full event log restricted to them, by customer
    scenario, seq, rec, log = _sampled(0.3)
    full = simulate(scenario, seq, event_log=True)
    mine = full.events[full.events["customer"].isin(np.flatnonzero(log.sampled))].reset_index(drop=True)
    assert len(mine) > 100
    assert rec.events is None  # no event table was asked for
    _same_moves(rec.moves, moves_of_events(mine))
    # the picks are the stream-key rule, whatever the engine records: a full event log with the same sample agrees
    _, _, both, both_log = _sampled(0.3, record_all=True)
    np.testing.assert_array_equal(both.logged, rec.logged)
    assert both_log.touches.equals(log.touches)
    assert len(both.events) == len(full.events)


def test_the_reference_engine_samples_the_same_customers() -> None:
    from journeysim.engine.plan import Plan
    from journeysim.engine.reference import simulate_reference
    from journeysim.engine.touches import touch_log_sample

    scenario = load_scenario(["population.scale=0.002", "sim=quick", "strategy=balanced"])
    seq = replication_seeds(scenario)[0]
    sample = touch_log_sample(seq, 0.5)
    fast = simulate(scenario, seq, event_log=False, touches=0.5)
    ref = simulate_reference(Plan.compile(scenario, seq), event_log=sample)
    np.testing.assert_array_equal(fast.logged, ref.logged)
    assert 0 < fast.logged.sum() < fast.logged.size
    np.testing.assert_array_equal(fast.moves.customer, ref.moves.customer)


def _same_moves(a: Moves | None, b: Moves) -> None:
    assert a is not None
    for name in ("customer", "time", "src", "dst"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_the_engine_s_moves_are_the_event_log_by_customer(engine: str) -> None:
    # recorded straight into customer order (one value sort) = the event table's stable sort by customer
    scale = "0.02" if engine == "fast" else "0.002"
    scenario = load_scenario([f"population.scale={scale}", "sim=quick", "strategy=balanced", f"sim.engine={engine}"])
    seq = replication_seeds(scenario)[0]
    rec = simulate(scenario, seq, event_log=True, touches=1.0)
    assert rec.events is not None and len(rec.events) > 100
    _same_moves(rec.moves, moves_of_events(rec.events))
    assert np.all(np.diff(rec.moves.customer) >= 0)
    assert rec.events.equals(simulate(scenario, seq, event_log=True).events)  # the touch log's sample changes nothing


def test_moves_by_customer_sorts_by_time_where_recording_order_is_not() -> None:
    # roster positions 0..2, customer 1 never arrived; position 2's moves recorded out of time order
    pos = np.array([2, 0, 2, 0, 2])
    time = np.array([5.0, 1.0, 3.0, 2.0, 3.0])
    src, dst = np.array([0, 3, 1, 0, 2]), np.array([1, 0, 2, 1, 0])
    mv = moves_by_customer(pos, time, src, dst, np.array([True, False, True]))
    np.testing.assert_array_equal(mv.customer, [0, 0, 1, 1, 1])  # position 2 is customer 1
    np.testing.assert_array_equal(mv.time, [1.0, 2.0, 3.0, 3.0, 5.0])
    np.testing.assert_array_equal(mv.src, [3, 0, 1, 2, 0])  # the tie at 3.0 keeps the recording order


def test_a_sampled_touch_log_needs_a_sampled_run() -> None:
    scenario, rec, _ = _one()
    with pytest.raises(ValueError, match="sampled touch log"):
        touch_log(rec, Dynamics.compile(scenario), replication_seeds(scenario)[0], 0.3)


def test_the_touch_order_is_the_stable_one_with_ties_and_close_times() -> None:
    # one key sort when every (customer, time) is distinct, else the stable sort by customer of the time order
    from journeysim.engine.touches import _by_customer_then_time, stable_order

    rng = np.random.default_rng(3)
    cust = rng.integers(0, 50, 2000)
    time = rng.uniform(0, 30, 2000)
    for t in (time, np.round(time), time + np.where(rng.random(2000) < 0.5, 1e-12, 0.0)):  # ties, unresolved gaps
        by_time = np.argsort(t)
        expected = by_time[stable_order(cust[by_time])]
        order, c, at = _by_customer_then_time(cust, t, 30)
        np.testing.assert_array_equal(c, cust[expected])
        np.testing.assert_array_equal(at, t[expected])
        if len(np.unique(np.stack([cust, t]), axis=1)[0]) == cust.size:  # all distinct: the only order
            np.testing.assert_array_equal(order, expected)


def test_stable_sort_is_numpy_s_stable_argsort_and_its_keys() -> None:
    # the value sort of key * n + i, split back, against numpy's merge sort; ties, dense and sparse keys
    from journeysim.engine.touches import stable_sort

    rng = np.random.default_rng(5)
    for key in (rng.integers(0, 40, 3000), rng.integers(0, 10**9, 3000), np.zeros(7, np.int64), np.zeros(0, np.int64)):
        order, sorted_key = stable_sort(key)
        expected = np.argsort(key, kind="stable")
        np.testing.assert_array_equal(order, expected)
        np.testing.assert_array_equal(sorted_key, key[expected])
        assert sorted_key.dtype == np.int64
    huge = np.array([2**62, 1, 2**62, 0])  # key * n would overflow: numpy's stable sort itself
    np.testing.assert_array_equal(stable_sort(huge)[0], [3, 1, 0, 2])


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_each_logged_purchase_carries_its_order_value(engine: str) -> None:
    # the touch log's purchases are the conversion moves, one each, and their values are the booked revenue
    scale = "0.02" if engine == "fast" else "0.002"
    scenario = load_scenario([f"population.scale={scale}", "sim=quick", "strategy=balanced", f"sim.engine={engine}"])
    seq = replication_seeds(scenario)[0]
    rec = simulate(scenario, seq, touches=1.0)
    assert rec.purchases is not None and rec.moves is not None
    buy = np.isin(rec.moves.dst, list(rec.conversion))
    assert buy.sum() > 50
    np.testing.assert_array_equal(rec.purchases.customer, rec.moves.customer[buy])
    np.testing.assert_array_equal(rec.purchases.time, rec.moves.time[buy])
    assert rec.purchases.value.sum() == pytest.approx(rec.revenue.sum(), rel=1e-12)
    assert rec.purchases.value.std() > 0  # order values vary by purchase (cv > 0), not one mean per segment
    sampled = simulate(scenario, seq, touches=0.3)
    mine = np.isin(rec.purchases.customer, np.flatnonzero(sampled.logged))
    np.testing.assert_array_equal(sampled.purchases.value, rec.purchases.value[mine])


@pytest.mark.parametrize("compiled", [False, True])
def test_moves_from_rounds_is_the_sort_of_the_joined_log(compiled: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    # rounds of ascending roster positions (a counting sort, numpy's or the compiled one) and rounds that are not
    # (the sort), alike
    from journeysim.engine import compiled as loops
    from journeysim.engine.moves import moves_from_rounds

    if compiled and not loops.AVAILABLE:
        pytest.skip("numba is not installed (the fast extra)")
    monkeypatch.setattr(loops, "ENABLED", compiled)

    rng = np.random.default_rng(5)
    keep = rng.random(300) < 0.9
    rounds, t0 = [], 0.0
    for _ in range(40):
        pos = np.sort(rng.choice(np.flatnonzero(keep), rng.integers(0, 60), replace=False))
        t = t0 + rng.random(pos.size)
        t0 += 1.0
        rounds.append(
            (pos, t, rng.integers(0, 9, pos.size).astype(np.int16), rng.integers(0, 9, pos.size).astype(np.int16))
        )
    joined = [np.concatenate([r[i] for r in rounds]) for i in range(4)]
    expected = moves_by_customer(*joined, keep)
    _same_moves(moves_from_rounds(rounds, keep), expected)
    shuffled = [(r[0][::-1], r[1][::-1], r[2][::-1], r[3][::-1]) for r in rounds]  # not ascending: the sort
    _same_moves(
        moves_from_rounds(shuffled, keep),
        moves_by_customer(*[np.concatenate([r[i] for r in shuffled]) for i in range(4)], keep),
    )


@pytest.mark.parametrize("compiled", [False, True])
def test_a_run_without_channels_has_no_touches_and_its_purchases_alone(
    compiled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from journeysim.engine import compiled as loops
    from journeysim.study.attribution.log import replication_touches

    if compiled and not loops.AVAILABLE:
        pytest.skip("numba is not installed (the fast extra)")
    monkeypatch.setattr(loops, "ENABLED", compiled)
    scenario = load_scenario(["population.scale=0.01", "sim=quick", "strategy=none"])
    seq = replication_seeds(scenario)[0]
    rec = simulate(scenario, seq, touches=1.0)
    touches, segments = replication_touches(scenario, rec, seq, 1.0, 0)
    assert len(touches) == 0
    assert len(segments) == int(rec.customers.purchases.sum()) > 0  # one untouched row per purchase
    assert (segments["touches"] == 0).all() and segments["converted"].all() and (segments["path"] == "").all()
