"""Counts calibration: the conditional means worked by hand, round trips on simulated ground truth (every
parameter within 4 SE), 95% interval coverage over 100 seeded fits, and the refusal of what counts cannot tell."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy.stats import binom

import journeysim as js
from journeysim.errors import ConfigError
from journeysim.model.journey import Journey
from journeysim.model.population import Population, Segment
from journeysim.model.scenario import Scenario
from journeysim.study.fit.calibration import calibrate_counts
from journeysim.study.fit.counts import read_counts
from journeysim.study.fit.estimate import fit_counts
from journeysim.study.fit.model import Parameters, expected
from journeysim.study.fit.simulate import counts_frame
from journeysim.study.run import simulate

SMALL = {
    "name": "small",
    "stages": ["aware", "keen", "buy", "lost"],
    "entry": "aware",
    "conversion": ["buy"],
    "terminal": ["lost"],
    "rates": {"aware": {"keen": 0.10, "lost": 0.15}, "keen": {"buy": 0.20, "lost": 0.10}, "buy": {"aware": 0.05}},
}


def _scenario(journey: Journey, arrivals: float, initial: dict[str, int], days: int) -> Scenario:
    base = js.load_scenario(["strategy=none", f"sim.horizon_days={days}"])
    seg = Segment(name="people", initial=initial, arrivals_per_day=arrivals)
    return dataclasses.replace(base, journey=journey, population=Population((seg,)))


def _z(fit, scenario: Scenario) -> np.ndarray:
    """(estimate - truth) / se on the log scale for each parameter."""
    truth = scenario.rate_tensor()[0]
    tab = fit.table()
    j = scenario.journey
    true = np.array(
        [
            truth[j.index(a), j.index(b)] if a else scenario.population.segments[0].arrivals_per_day
            for a, b in zip(tab["from_stage"], tab["to_stage"], strict=True)
        ]
    )
    return (np.log(tab["estimate"].to_numpy()) - np.log(true)) / tab["se_log"].to_numpy(), true, tab


def test_conditional_means_by_hand() -> None:
    """One stage left at rate q, 100 people, no arrivals: 100 e^{-qL} stay, 100 (1 - e^{-qL}) enter lost;
    with arrivals lambda into a stage nobody leaves: lambda L more people there."""
    journey = Journey.from_dict(
        {
            "name": "x",
            "stages": ["a", "b", "lost"],
            "entry": "b",
            "conversion": ["b"],
            "terminal": ["lost"],
            "rates": {"a": {"lost": 0.2}, "b": {"lost": 1e-12}},
        }
    )
    params = Parameters.of(journey)
    theta = np.log([0.2, 1e-12, 3.0])
    mu, jac = expected(params, theta, np.array([[100.0, 0.0, 0.0]]), np.array([7.0]))
    assert mu[0, 0] == pytest.approx(100 * math.exp(-1.4))
    assert mu[0, 3 + 2] == pytest.approx(100 * (1 - math.exp(-1.4)))
    assert mu[0, 1] == pytest.approx(21.0, rel=1e-9) and mu[0, 3 + 1] == pytest.approx(21.0, rel=1e-9)
    # d mu_a / d log q = -q L 100 e^{-qL}
    assert jac is not None and jac[0, 0, 0] == pytest.approx(-1.4 * 100 * math.exp(-1.4))


def test_round_trip_marketing_funnel_every_parameter_within_4_se() -> None:
    scenario = js.load_scenario(
        ["journey=marketing_funnel", "population=b2c", "strategy=none", "sim.horizon_days=364", "population.scale=0.2"]
    )
    seg = dataclasses.replace(scenario.population.segments[0], weekly=None, seasonal_amplitude=0.0)
    scenario = dataclasses.replace(scenario, population=Population((seg,)))
    counts = read_counts(counts_frame(simulate(scenario, np.random.SeedSequence(11)), 7), scenario.journey)
    fit = fit_counts(counts[0], scenario.journey)
    z, true, tab = _z(fit, scenario)
    zero = tab["at_zero"].to_numpy()
    natural = (tab["estimate"] - true) / tab["se"]
    assert np.all(np.abs(np.where(zero, natural, z)) < 4), tab.assign(z=z)


@pytest.mark.slow
def test_coverage_of_95_intervals_over_100_seeded_fits() -> None:
    """Each parameter's 95% CI covers the truth in a share of 100 fits inside the 99.9% binomial range; pooled too."""
    journey = Journey.from_dict(SMALL)
    scenario = _scenario(journey, 40.0, {"aware": 300, "keen": 100}, 26 * 7)
    hits = []
    for child in np.random.SeedSequence(2026).spawn(100):
        counts = read_counts(counts_frame(simulate(scenario, child), 7), journey)
        z, _, _ = _z(fit_counts(counts[0], journey), scenario)
        hits.append(np.abs(z) <= 1.959963984540054)
    h = np.array(hits)
    low, high = binom.ppf(0.0005, 100, 0.95), binom.ppf(0.9995, 100, 0.95)
    assert np.all((h.sum(axis=0) >= low) & (h.sum(axis=0) <= high)), h.sum(axis=0)
    n = h.size
    assert binom.ppf(0.0005, n, 0.95) <= h.sum() <= binom.ppf(0.9995, n, 0.95), h.mean()


def test_occupancy_alone_cannot_split_two_exits_and_is_refused() -> None:
    journey = Journey.from_dict(
        {
            **SMALL,
            "stages": ["aware", "keen", "buy", "lost", "gone"],
            "terminal": ["lost", "gone"],
            "rates": {**SMALL["rates"], "aware": {"keen": 0.1, "lost": 0.1, "gone": 0.05}},
        }
    )
    scenario = _scenario(journey, 40.0, {"aware": 300}, 26 * 7)
    frame = counts_frame(simulate(scenario, np.random.SeedSequence(3)), 7).drop(columns="entries")
    with pytest.raises(ConfigError, match="cannot tell apart") as err:
        fit_counts(read_counts(frame, journey)[0], journey)
    assert "aware->lost" in err.value.problem and "aware->gone" in err.value.problem


def test_too_few_periods_are_refused() -> None:
    journey = Journey.from_dict(SMALL)
    scenario = _scenario(journey, 40.0, {"aware": 300}, 4 * 7)
    counts = read_counts(counts_frame(simulate(scenario, np.random.SeedSequence(3)), 7), journey)
    with pytest.raises(ConfigError, match="too few"):
        fit_counts(counts[0], journey)


def test_calibration_writes_an_ensemble_in_scenario_keys_that_apply_accepts() -> None:
    from journeysim.study.grid import apply

    journey = Journey.from_dict(SMALL)
    scenario = _scenario(journey, 40.0, {"aware": 300, "keen": 100}, 20 * 7)
    frame = counts_frame(simulate(scenario, np.random.SeedSequence(4)), 7)
    cal = calibrate_counts(frame, journey, scenario, draws=50, replications=5, seed=1)
    (ens,) = cal.ensembles.values()
    assert len(ens) == 50 and ens.columns[0] == "draw"
    assert "population.segments.0.arrivals_per_day" in ens.columns
    variant = apply(scenario, {k: float(v) for k, v in ens.iloc[0].items() if k != "draw"})
    assert variant.journey.rates["aware"]["keen"] == pytest.approx(float(ens.iloc[0]["journey.rates.aware.keen"]))
    # the draws spread like the standard errors say
    se = cal.estimates.set_index(["from_stage", "to_stage"])["se"]
    assert np.std(np.log(ens["journey.rates.aware.keen"])) == pytest.approx(
        se.loc[("aware", "keen")] / cal.fits[0].rates["aware"]["keen"], rel=0.35
    )
    assert set(cal.table["measure"]) == {"entries", "occupancy_end"}
    assert {"held-out", "drift", "memory"} <= set(cal.checks["check"])


def test_memory_check_flags_gamma_dwell_and_passes_exponential() -> None:
    """Ground truth with gamma(4) dwell in `aware`: the memory check fails there and suggests gamma; with the
    exponential truth it passes everywhere (one seed each; the gamma signal is t = 3.3, so this is a smoke test)."""
    from journeysim.study.fit.diagnostics import memory

    flagged = {}
    for label, dwell in (("exp", {}), ("gamma", {"aware": {"kind": "gamma", "shape": 4}})):
        truth = _scenario(Journey.from_dict({**SMALL, "dwell": dwell}), 200.0, {"aware": 3000}, 364)
        model = Journey.from_dict(SMALL)
        counts = read_counts(counts_frame(simulate(truth, np.random.SeedSequence(1)), 7), model)[0]
        checks = memory(fit_counts(counts, model), counts, model)
        flagged[label] = {v.subject: v for v in checks if v.fails}
    assert flagged["exp"] == {}
    assert set(flagged["gamma"]) == {"aware"} and "gamma" in flagged["gamma"]["aware"].suggestion
