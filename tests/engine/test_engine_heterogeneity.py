"""Per-customer random effects in the engines: both engines walk the same paths (thinning included), and the
shipped BTYD presets ARE the BG/NBD and Pareto/NBD models (closed forms within sampling error; fit round trip)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from journeysim.config import load_scenario
from journeysim.config.problems import InvalidConfig
from journeysim.engine.fast import simulate_fast
from journeysim.engine.plan import Plan
from journeysim.engine.records import Records
from journeysim.engine.reference import simulate_reference
from journeysim.model import Scenario
from journeysim.study.btyd import MODELS, fit_btyd, summarise_transactions
from journeysim.study.btyd.summary import transactions_from_run

CDNOW_BG = (0.243, 4.414, 0.793, 2.426)  # the presets' parameters, weeks
PARETO = (0.553, 10.58, 0.606, 11.67)
WEEKS = 39.0


def preset(model: str, *more: str) -> Scenario:
    return load_scenario([f"journey={model}", f"population={model}", *more])


def simulate(sc: Scenario, seed: int, engine=simulate_fast, event_log: bool = False) -> Records:
    return engine(Plan.compile(sc, np.random.SeedSequence(seed)), event_log=event_log)


def _same(a: Records, b: Records) -> None:
    assert np.array_equal(a.customers.purchases, b.customers.purchases)
    assert np.array_equal(a.customers.final_stage, b.customers.final_stage)
    assert a.customers.effects.keys() == b.customers.effects.keys()
    for name in a.customers.effects:
        assert np.array_equal(a.customers.effects[name], b.customers.effects[name], equal_nan=True)
    assert a.events is not None and b.events is not None and a.events.equals(b.events)
    assert np.array_equal(a.flows, b.flows)


@pytest.mark.parametrize(
    "overrides",
    [
        ["journey=bgnbd", "population=bgnbd"],
        ["journey=paretonbd", "population=paretonbd"],
        # thinning: a window where active -> purchase runs 1.8x, so candidates are thinned by day and by customer
        [
            "journey=bgnbd",
            "population=bgnbd",
            "+strategy.rate_multipliers=[{from: active, to: purchase, factor: 1.8, start: 20, end: 50}]",
        ],
    ],
)
def test_both_engines_walk_the_same_paths(overrides: list[str]) -> None:
    sc = load_scenario([*overrides, "population.scale=0.15", "sim.horizon_days=120"])
    _same(simulate(sc, 11, event_log=True), simulate(sc, 11, simulate_reference, event_log=True))


def test_engines_agree_on_a_general_journey_with_correlated_latent_classes() -> None:
    het = {
        "buy": {"kind": "lognormal", "sigma": 0.9, "stages": ["intent", "loyalty"]},
        "churn": {
            "kind": "classes",
            "values": [0.3, 1.5],
            "weights": [0.4, 0.6],
            "transitions": {"loyalty": ["churned"], "post_purchase": ["churned"]},
            "correlation": {"with": "buy", "rho": -0.8},
        },
    }
    sc = load_scenario(["population.scale=0.03", "sim.horizon_days=90", "strategy=balanced"])
    seg = sc.population.segments[0]
    data = {
        "segments": {
            seg.name: {"initial": dict(seg.initial), "arrivals_per_day": seg.arrivals_per_day, "heterogeneity": het}
        }
    }
    sc = Scenario.from_dict({"journey": _journey_dict(sc), "population": data, "sim": {"horizon_days": 90}})
    fast, ref = simulate(sc, 3, event_log=True), simulate(sc, 3, simulate_reference, event_log=True)
    _same(fast, ref)
    eff = fast.customers.effects
    assert np.corrcoef(np.log(eff["buy"]), eff["churn"])[0, 1] < -0.5  # frequent buyers churn less


def _journey_dict(sc: Scenario) -> dict:
    j = sc.journey
    return {
        "stages": list(j.stages),
        "entry": j.entry,
        "conversion": list(j.conversion),
        "terminal": list(j.terminal),
        "rates": {s: dict(r) for s, r in j.rates.items()},
    }


def _counts(rec: Records, weeks: float) -> tuple[np.ndarray, pd.DataFrame]:
    """Per customer: purchases within `weeks` and (x, t_x, T = weeks) of that window; `rec` must have its event log."""
    ev = rec.events
    assert ev is not None
    buys = ev[ev["to_stage"].astype(str) == "purchase"]
    n = len(rec.customers)
    in_window = buys[buys["time"] < 7 * weeks]
    x = np.bincount(in_window["customer"].to_numpy(dtype=np.intp), minlength=n)
    t_x = np.zeros(n)
    last = in_window.groupby("customer")["time"].max()
    t_x[last.index.to_numpy(dtype=np.intp)] = last.to_numpy() / 7
    later = buys[buys["time"] >= 7 * weeks]
    y = np.bincount(later["customer"].to_numpy(dtype=np.intp), minlength=n)
    return y, pd.DataFrame({"x": x, "t_x": t_x, "T": weeks})


@pytest.mark.parametrize("model,params", [("bgnbd", CDNOW_BG), ("paretonbd", PARETO)])
def test_presets_match_the_closed_forms_within_sampling_error(model: str, params: tuple[float, ...]) -> None:
    sc = preset(model, "population.scale=4", "sim.horizon_days=546")  # 40,000 customers, 78 weeks
    rec = simulate(sc, 2026, event_log=True)
    closed = MODELS.get(model)
    y, hist = _counts(rec, WEEKS)
    x = hist["x"].to_numpy()
    n = x.size
    z_mean = (x.mean() - float(closed.expected_purchases(params, WEEKS))) / (x.std() / np.sqrt(n))
    p0 = closed.prob_purchases(params, 0, WEEKS)
    z_zero = ((x == 0).mean() - p0) / np.sqrt(p0 * (1 - p0) / n)
    p2 = closed.prob_purchases(params, 2, WEEKS)
    z_two = ((x == 2).mean() - p2) / np.sqrt(p2 * (1 - p2) / n)
    expected = closed.conditional_expected_purchases(params, WEEKS, x, hist["t_x"], hist["T"])
    z_cond = (y - expected).mean() / ((y - expected).std() / np.sqrt(n))
    z = np.array([z_mean, z_zero, z_two, z_cond])
    assert np.all(np.abs(z) < 4), z  # measured: BG/NBD -2.3, -0.3, 0.7, -0.2; Pareto/NBD -0.6, 0.4, 0.2, -1.9


@pytest.mark.parametrize("model,params", [("bgnbd", CDNOW_BG), ("paretonbd", PARETO)])
def test_round_trip_simulate_export_fit_recovers_the_preset(model: str, params: tuple[float, ...]) -> None:
    sc = preset(model, "population.scale=2", "sim.horizon_days=273")
    rec = simulate(sc, 7, event_log=True)
    assert rec.events is not None
    events = rec.events.assign(replication=0)
    customers = pd.DataFrame(
        {"replication": 0, "customer": np.arange(len(rec.customers)), "entry_time": rec.customers.entry_time}
    )
    tx = transactions_from_run(events, customers, ["purchase"])
    fit = fit_btyd(summarise_transactions(tx, end=273.0, unit="weeks"), model)
    assert fit.convergence.converged, fit.convergence.text()
    z = (np.asarray(fit.params) - np.asarray(params)) / np.asarray(fit.se)
    assert np.all(np.abs(z) < 4), (fit.params, fit.se, z)


@pytest.mark.parametrize(
    "overrides,setting",
    [
        (["journey=customer_journey", "population=bgnbd"], "population.segments.customers.initial.active"),
        (["journey=paretonbd", "population=bgnbd"], "population.segments.customers.heterogeneity.dropout.to"),
        (
            ["journey=bgnbd", "population=bgnbd", "population.segments.customers.heterogeneity.purchase_rate.shape=0"],
            "population.segments.customers.heterogeneity.purchase_rate.shape",
        ),
    ],
)
def test_bad_heterogeneity_is_one_config_error(overrides: list[str], setting: str) -> None:
    with pytest.raises(InvalidConfig) as err:
        load_scenario(overrides)
    assert [p.setting for p in err.value.problems] == [setting]


def test_without_effects_nothing_changes_in_the_customer_table() -> None:
    rec = simulate(load_scenario(["population.scale=0.01", "sim=quick"]), 1)
    assert rec.customers.effects == {}
