"""`population.from_run`: a run continued from an earlier run's end state is, in law, the longer run carried on."""

from __future__ import annotations

import copy
import datetime
from pathlib import Path

import numpy as np
import pytest
import yaml

import journeysim.api as js
from journeysim.config.problems import InvalidConfig
from journeysim.config.validate import scenario_from_container
from journeysim.engine.plan import Plan
from journeysim.engine.records import Records
from journeysim.engine.registry import ENGINES
from journeysim.interventions import media
from journeysim.study.run import replication_seeds, run


def _earlier(tmp_path: Path, overrides: list[str]) -> Path:
    """A finished run's directory as far as a continuation needs it: its resolved config.yaml."""
    out = tmp_path / "earlier"
    out.mkdir()
    (out / "config.yaml").write_text(yaml.safe_dump(js.load_config(overrides), sort_keys=False))
    return out


def _occupancy_at_end(result: js.RunResult) -> np.ndarray:
    """(R, S) customers per stage at the end of each replication."""
    return np.stack([r.occupancy()[-1].sum(axis=0) for r in result.records])


def _close(a: np.ndarray, b: np.ndarray, z: float = 4.0) -> None:
    """Per column, the two means agree within z standard errors of their difference."""
    se = np.sqrt(a.var(axis=0, ddof=1) / len(a) + b.var(axis=0, ddof=1) / len(b))
    gap = np.abs(a.mean(axis=0) - b.mean(axis=0))
    assert (gap <= z * se + 1e-9).all(), (a.mean(axis=0), b.mean(axis=0), se)


def _simulate(scenario: js.Scenario) -> tuple[Records, Plan]:
    """Replication 0 of `scenario` and its plan (whose dynamics hold the adstock at the end)."""
    plan = Plan.compile(scenario, replication_seeds(scenario)[0])
    return ENGINES.get(scenario.settings.engine, "sim.engine")(plan), plan


H, R = 30, 40
COMMON = ["sim=quick", f"sim.replications={R}", "population.scale=0.02"]


def test_continuing_for_h_days_matches_one_run_of_2h_days(tmp_path: Path) -> None:
    earlier = _earlier(tmp_path, [*COMMON, f"sim.horizon_days={H}"])
    cont = js.load_scenario([*COMMON, f"sim.horizon_days={H}", f"population.from_run={earlier}"])
    long = js.load_scenario([*COMMON, f"sim.horizon_days={2 * H}", "sim.seed=7"])  # independent of the earlier run
    # the calendar carries on: weekly and seasonal arrivals of the continuation are days H..2H-1 of the long run
    np.testing.assert_array_equal(cont.arrival_intensity(0, H), long.arrival_intensity(0, 2 * H)[H:])
    a, b = run(cont, keep_records=True), run(long, keep_records=True)
    terminal = list(cont.journey.terminal_indices)
    keep = [s for s in range(cont.journey.n_stages) if s not in terminal]  # terminal customers are not carried
    _close(_occupancy_at_end(a)[:, keep], _occupancy_at_end(b)[:, keep])
    second_half = np.array([r.entries()[H:].sum(axis=(0, 1)) for r in b.records])
    _close(np.array([r.entries().sum(axis=(0, 1)) for r in a.records]), second_half)


def test_carried_random_effects_keep_a_bgnbd_cohort_on_its_path(tmp_path: Path) -> None:
    # the customers still active at day H are the slow droppers: redrawing their effects would overstate drop-out
    base = ["journey=bgnbd", "population=bgnbd", "sim.replications=30", "population.scale=0.2", "word_of_mouth=none"]
    earlier = _earlier(tmp_path, [*base, "sim.horizon_days=60"])
    cont = js.load_scenario([*base, "sim.horizon_days=60", f"population.from_run={earlier}"])
    long = js.load_scenario([*base, "sim.horizon_days=120", "sim.seed=7"])
    a, b = run(cont, keep_records=True), run(long, keep_records=True)
    buys_a = np.array([[r.entries()[:, :, 1].sum()] for r in a.records], dtype=float)
    buys_b = np.array([[r.entries()[60:, :, 1].sum()] for r in b.records], dtype=float)
    _close(buys_a, buys_b)
    _close(_occupancy_at_end(a)[:, :1], _occupancy_at_end(b)[:, :1])
    # the carried values are the earlier run's own: customer k of the continuation is the k-th active one
    sc_earlier = js.load_scenario([*base, "sim.horizon_days=60"])
    end = _simulate(sc_earlier)[0].customers
    active = np.flatnonzero(np.isin(end.final_stage, [0, 1]))  # active or purchase (inactive is terminal)
    order = active[np.lexsort((end.final_stage[active], end.segment[active]))]  # the roster: segment, then stage
    for name in ("purchase_rate", "dropout"):
        carried = a.records[0].customers.effects[name][: order.size]
        np.testing.assert_array_equal(carried, end.effects[name][order])


def test_adstock_carries_over_into_day_0(tmp_path: Path) -> None:
    overrides = ["sim=quick", "sim.replications=1", "population.scale=0.05", "strategy=balanced", "sim.horizon_days=20"]
    earlier = _earlier(tmp_path, overrides)
    _, plan = _simulate(js.load_scenario(overrides))
    ended = {cs.channel.name: cs.adstock for cs in plan.dynamics.channels}
    assert ended and all(v > 0 for v in ended.values())
    cont = js.load_scenario([*overrides, f"population.from_run={earlier}"])
    rec = run(cont, keep_records=True).records[0]
    m = rec.media
    for c, name in enumerate(m.channels):
        ch = cont.channels[name]
        stock = ch.adstock * ended[name] + m.impressions[0, c] / m.audience[0, c]  # a_0 = x_0 + decay * a_{-1}
        expected = media.RESPONSES.get(ch.response.kind, "k")(stock, ch.response.half_saturation, ch.response.slope)
        assert m.response[0, c] == pytest.approx(float(expected), rel=1e-12)
        fresh = media.RESPONSES.get(ch.response.kind, "k")(
            m.impressions[0, c] / m.audience[0, c], ch.response.half_saturation, ch.response.slope
        )
        assert ch.adstock == 0 or m.response[0, c] > float(fresh)


def test_a_dated_run_continues_on_the_next_day(tmp_path: Path) -> None:
    earlier = _earlier(tmp_path, ["sim=quick", "sim.horizon_days=30", "sim.start_date=2027-01-04"])
    cont = js.load_scenario(["sim=quick", f"population.from_run={earlier}"])
    assert cont.settings.start_date == datetime.date(2027, 2, 3)
    own = js.load_scenario(["sim=quick", f"population.from_run={earlier}", "sim.start_date=2027-03-01"])
    assert own.settings.start_date == datetime.date(2027, 3, 1)


def test_an_earlier_run_on_other_stages_is_refused(tmp_path: Path) -> None:
    earlier = _earlier(tmp_path, ["sim=quick", "journey=marketing_funnel", "population.scale=0.01"])
    with pytest.raises(InvalidConfig) as err:
        js.load_scenario(["sim=quick", f"population.from_run={earlier}"])
    assert {p.setting for p in err.value.problems} == {"population.from_run"}
    assert "is not in this journey" in str(err.value)


def test_both_engines_continue_the_same_customers_on_the_same_paths(tmp_path: Path) -> None:
    base = ["journey=bgnbd", "population=bgnbd", "sim.replications=1", "population.scale=0.02", "word_of_mouth=none"]
    earlier = _earlier(tmp_path, [*base, "sim.horizon_days=40"])
    fast = js.load_scenario([*base, "sim.horizon_days=40", f"population.from_run={earlier}"])
    ref = js.load_scenario([*base, "sim.horizon_days=40", f"population.from_run={earlier}", "sim.engine=reference"])
    (a, _), (b, _) = _simulate(fast), _simulate(ref)
    assert a.initial.sum() > 0 and (a.initial == b.initial).all()
    np.testing.assert_array_equal(a.customers.final_stage, b.customers.final_stage)
    np.testing.assert_array_equal(a.customers.effects["purchase_rate"], b.customers.effects["purchase_rate"])
    np.testing.assert_array_equal(a.flows, b.flows)


def _with(data: dict, **changes: object) -> dict:
    """A deep copy of a resolved config with dotted keys set (`sim.horizon_days=...`)."""
    out = copy.deepcopy(data)
    for key, value in changes.items():
        node = out
        *path, last = key.split("__")
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def test_customers_part_way_through_a_non_exponential_dwell_keep_their_time_in_the_stage(tmp_path: Path) -> None:
    # interest holds for a gamma(8) time of mean ~5.9 days: nearly a fixed delay, so restarting the clock at the
    # continuation's day 0 would hold back everyone who had been waiting; the aged residual does not
    data = js.load_config(["sim=quick", "sim.replications=30", "population.scale=0.02", "word_of_mouth=none"])
    data = _with(data, journey__dwell={"interest": {"kind": "gamma", "shape": 8.0}})
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "config.yaml").write_text(yaml.safe_dump(_with(data, sim__horizon_days=12), sort_keys=False))
    cont = scenario_from_container(_with(data, sim__horizon_days=12, population__from_run=str(earlier)))
    long = scenario_from_container(_with(data, sim__horizon_days=24, sim__seed=7))
    a, b = run(cont, keep_records=True), run(long, keep_records=True)
    first_days = np.array([r.entries()[:3].sum(axis=(0, 1)) for r in a.records], dtype=float)
    first_days_long = np.array([r.entries()[12:15].sum(axis=(0, 1)) for r in b.records], dtype=float)
    _close(first_days, first_days_long)  # the days right after the switch, where a restarted clock shows most
    keep = [s for s in range(cont.journey.n_stages) if s not in cont.journey.terminal_indices]
    _close(_occupancy_at_end(a)[:, keep], _occupancy_at_end(b)[:, keep])
    assert a.records[0].initial[0, cont.journey.index("interest")] > 20


def test_both_engines_age_a_dwell_the_same_way(tmp_path: Path) -> None:
    data = js.load_config(["sim=quick", "sim.replications=1", "population.scale=0.005", "word_of_mouth=none"])
    data = _with(data, journey__dwell={"interest": {"kind": "gamma", "shape": 8.0}}, sim__horizon_days=10)
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "config.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    fast = scenario_from_container(_with(data, population__from_run=str(earlier)))
    ref = scenario_from_container(_with(data, population__from_run=str(earlier), sim__engine="reference"))
    (a, plan), (b, _) = _simulate(fast), _simulate(ref)
    assert plan.initial_age is not None and (plan.initial_age > 0).all()
    np.testing.assert_array_equal(a.flows, b.flows)
    np.testing.assert_array_equal(a.customers.final_stage, b.customers.final_stage)


def test_an_aged_gamma_dwell_is_the_conditional_law() -> None:
    # P(T - a > x | T > a) = S(a + x) / S(a): the residual at upper-tail u solves S(a + r) = u S(a)
    from journeysim.model.dwell import Dwell

    age, u = np.array([0.5, 1.0, 2.0]), np.array([0.9, 0.5, 0.1])
    for d in (Dwell("gamma", 3.0), Dwell("lognormal", 0.7), Dwell("weibull", 2.5)):
        r = d.residual(age, u)
        surv = d.family.survival
        assert surv is not None
        np.testing.assert_allclose(surv(float(d.shape or 0), age + r), u * surv(float(d.shape or 0), age), rtol=1e-7)
        np.testing.assert_allclose(surv(float(d.shape or 0), d.quantile(u)), u, rtol=1e-9)  # matches the quantile
    np.testing.assert_allclose(Dwell().residual(age, u), -np.log(u))  # memoryless: the age does not matter
