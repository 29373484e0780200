"""Parameter uncertainty in runs and decisions: ensembles (CSV draws, YAML estimates), one draw per replication
shared by every plan, and the decision test of issue 14: two plans that simulation noise alone calls with
certainty, whose order flips in a sizable share of parameter draws once a conversion rate is uncertain.

The journey of the decision test: lead -> qualified at a, lead -> lost at l1, qualified -> customer at b,
qualified -> lost at l2 (per day), N leads at day 0, no arrivals, a year (absorption is complete: exp(-0.2 * 365)).
P(customer) = a / (a + l1) * b / (b + l2). Plan A multiplies a by f = 1.5, plan B multiplies b by f. With
x = a / l1, A's gain is f (x + 1) / (f x + 1), decreasing in x, so A beats B exactly when a / l1 < b / l2: improve
the step with the lower odds. Here l1 = l2 = 0.1: A wins iff b > a. At a = 0.1, b = 0.105: P_A = 0.6 * 0.105 /
0.205 = 0.30732, P_B = 0.5 * 0.1575 / 0.2575 = 0.30583, so A adds N * 0.00149 = 14.9 new buyers per 10000 leads.
With b lognormal (median 0.105, sd of log b = 0.25, a 25% standard error: a rate fitted from ~16 conversions)
P(A beats B) = P(b > 0.1) = Phi(ln(1.05) / 0.25) = Phi(0.195) = 0.577.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from journeysim.analytic import conversion_probability
from journeysim.errors import ConfigError
from journeysim.io.outputs import samples_frame
from journeysim.model.journey import Journey
from journeysim.study.compare import rank_scenarios
from journeysim.study.run import run
from journeysim.study.uncertainty import draw_order, load_ensemble, scenario_with_ensemble
from journeysim.study.uncertainty_stats import decision_table, voi_table

LEADS = 10000
B_KEY = "journey.rates.qualified.customer"
A_KEY = "journey.rates.lead.qualified"


def journey(a: float = 0.1, b: float = 0.105) -> dict:
    return {
        "name": "leads",
        "stages": ["lead", "qualified", "customer", "lost"],
        "entry": "lead",
        "conversion": ["customer"],
        "terminal": ["customer", "lost"],
        "rates": {"lead": {"qualified": a, "lost": 0.1}, "qualified": {"customer": b, "lost": 0.1}},
    }


def config(plan: str, replications: int, uncertainty: object = None) -> dict:
    step = {"A": {"from": "lead", "to": "qualified"}, "B": {"from": "qualified", "to": "customer"}}[plan]
    sim: dict = {"horizon_days": 365, "replications": replications, "seed": 1}
    if uncertainty is not None:
        sim["parameter_uncertainty"] = uncertainty
    return {
        "name": plan,
        "journey": journey(),
        "population": {"segments": {"leads": {"initial": {"lead": LEADS}, "arrivals_per_day": 0.0}}},
        "sim": sim,
        "strategy": {"name": plan, "rate_multipliers": [{**step, "factor": 1.5}]},
    }


def buyers(a: float, b: float, plan: str) -> float:
    """Expected new buyers of a plan from the analytic module (rates multiplied as the plan does)."""
    fa, fb = (1.5, 1.0) if plan == "A" else (1.0, 1.5)
    return LEADS * conversion_probability(Journey.from_dict(journey(a * fa, b * fb)), horizon=365)


def samples(replications: int, uncertainty: object = None) -> pd.DataFrame:
    frames = []
    for plan in ("A", "B"):
        frame = samples_frame(run(scenario_with_ensemble(config(plan, replications, uncertainty))))
        frame.insert(0, "scenario", plan)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_the_closed_form_of_the_decision() -> None:
    assert buyers(0.1, 0.105, "A") / LEADS == pytest.approx(0.6 * 0.105 / 0.205, rel=1e-6)
    assert buyers(0.1, 0.105, "B") / LEADS == pytest.approx(0.5 * 0.1575 / 0.2575, rel=1e-6)
    assert buyers(0.1, 0.1, "A") == pytest.approx(buyers(0.1, 0.1, "B"), rel=1e-9)  # the tie at b = a


@pytest.mark.slow
def test_parameter_uncertainty_flips_a_decision_noise_alone_calls_certain(tmp_path: Path) -> None:
    # simulation noise alone: the rates as fitted, 60 paired replications
    fixed = samples(60)
    d = fixed.loc[fixed.scenario == "A", "new_buyers"].to_numpy() - fixed.loc[fixed.scenario == "B", "new_buyers"]
    se = float(np.std(d, ddof=1)) / math.sqrt(len(d))
    assert float(np.mean(d)) == pytest.approx(buyers(0.1, 0.105, "A") - buyers(0.1, 0.105, "B"), abs=4 * se)
    assert rank_scenarios(fixed, "new_buyers").set_index("scenario").loc["A", "p_best_t"] > 0.99  # 0.9990
    assert float(np.mean(d)) - stats.t.ppf(0.975, len(d) - 1) * se > 0  # the 95% CI excludes "B is as good"

    # the same plans with b uncertain (25% SE) and a almost known (3% SE): 50 draws x 2 replications
    ensemble = tmp_path / "estimates.yaml"
    params = {B_KEY: {"mean": 0.105, "se": 0.105 * 0.25}, A_KEY: {"mean": 0.1, "se": 0.003}}
    ensemble.write_text(yaml.safe_dump({"draws": 1000, "parameters": params}))
    drawn = samples(100, {"ensemble": str(ensemble), "per_draw": 2})
    row = decision_table(drawn, "B", ["new_buyers"], ["A", "B"]).iloc[0]

    # the truth per draw, from the closed form at each draw's rates
    per_draw = drawn[drawn.scenario == "A"].groupby("parameter_draw")[[f"parameter:{A_KEY}", f"parameter:{B_KEY}"]]
    rates = per_draw.first().to_numpy()
    truth = np.array([buyers(a, b, "A") - buyers(a, b, "B") for a, b in rates])
    assert len(truth) == 50
    share = float((truth > 0).mean())  # the draws in which A is really better (b > a); binomial SE 0.070
    assert 0.2 < share < 0.8 and share == pytest.approx(stats.norm.cdf(math.log(1.05) / 0.25), abs=4 * 0.070)

    assert row["p_better_noise"] > 0.99  # noise alone still calls it certain ...
    assert 0.2 < row["p_better"] < 0.8  # ... but over the parameters the decision flips in a sizable share
    assert row["p_better"] == pytest.approx(share, abs=0.1)  # the t-predictive probability
    assert row["p_better_draws"] == pytest.approx(share, abs=0.1)  # the share of shrunk draws
    sim_se = math.sqrt(row["var_simulation"] / 100)
    assert row["difference"] == pytest.approx(truth.mean(), abs=4 * sim_se)
    # var_p against the closed-form variance over the same draws; SE from the noise in the draw means
    noise = row["var_simulation"] / 2
    var_se = 2 * math.sqrt(truth.var(ddof=1) * noise / 50) + noise * math.sqrt(2 / 49)
    assert row["var_parameters"] == pytest.approx(truth.var(ddof=1), abs=4 * var_se)
    assert row["share_parameters"] > 0.5  # most of the spread is "we don't know the rate"

    # value of information: the uncertain conversion rate, not the almost known one
    evpi = float(np.maximum(-truth, 0).mean())  # A is chosen on the mean; knowing b would save the draws A loses
    assert row["most_valuable_parameter"] == B_KEY
    assert row["evpi"] == pytest.approx(evpi, abs=max(2.0, 0.5 * evpi))
    voi = voi_table(drawn, "B", ["new_buyers"], ["A", "B"]).set_index("parameter")
    assert voi.loc[B_KEY, "evppi"] > 5 * voi.loc[A_KEY, "evppi"] and voi.loc[B_KEY, "evppi_share"] > 0.7


def test_every_plan_sees_the_same_draw_in_the_same_replication(tmp_path: Path) -> None:
    csv = tmp_path / "draws.csv"
    pd.DataFrame({"draw": range(6), B_KEY: np.linspace(0.08, 0.13, 6)}).to_csv(csv, index=False)
    a = scenario_with_ensemble(config("A", 6, str(csv)))
    b = scenario_with_ensemble(config("B", 6, {"ensemble": str(csv), "per_draw": 2}))
    order = draw_order(a)
    assert order is not None and np.array_equal(order, draw_order(b))
    assert order[0] == order[1] and order[2] == order[3] and len(set(order)) == 3  # 2 per draw, no repeats
    more = draw_order(scenario_with_ensemble(config("A", 10, str(csv))))
    assert more is not None and np.array_equal(more[:6], order)  # more replications extend, never reshuffle
    result = run(a)
    assert result.parameters is not None
    assert result.parameters[f"parameter:{B_KEY}"].tolist() == pytest.approx(np.linspace(0.08, 0.13, 6)[order])
    assert list(samples_frame(result).columns[:4]) == ["replication", "seed", "parameter_draw", f"parameter:{B_KEY}"]


def test_yaml_estimates_are_lognormal_for_rates_and_reproducible(tmp_path: Path) -> None:
    """4000 draws of a rate with mean 0.11 and se 0.0275: ln b ~ N(ln 0.11, 0.25^2); sd of the log-sample
    within 4 * 0.25 / sqrt(2 * 4000) = 0.011. A covariance form with the same variance gives the same draws."""
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump({"draws": 4000, "parameters": {B_KEY: {"mean": 0.11, "se": 0.0275}}}))
    e = load_ensemble(str(path), seed=3)
    logs = np.log(np.array(e.values)[:, 0])
    assert logs.mean() == pytest.approx(math.log(0.11), abs=4 * 0.25 / math.sqrt(4000))
    assert logs.std(ddof=1) == pytest.approx(0.25, abs=0.011)
    assert load_ensemble(str(path), seed=3) == e and load_ensemble(str(path), seed=4) != e
    cov = tmp_path / "c.yaml"
    cov.write_text(yaml.safe_dump({"draws": 4000, "mean": {B_KEY: 0.11}, "covariance": [[0.0275**2]]}))
    assert np.array(load_ensemble(str(cov), seed=3).values) == pytest.approx(np.array(e.values))


@pytest.mark.parametrize(
    ("content", "setting", "fragment"),
    [
        ("draw,journey.rates.qualified.custmer\n0,0.1\n", "journey.rates.qualified.custmer", "did you mean"),
        ("draw,journey.rates.qualified.customer\n0,-0.1\n", B_KEY, "not a positive rate"),
        ("draw,journey.rates.qualified.customer\n0,0.1\n1,0.12\n", "sim.parameter_uncertainty", "use 3"),
        ("draw,journey.rates.qualified.customer\n0,abc\n", B_KEY, "not a number"),
    ],
)
def test_bad_ensembles_name_the_key_and_the_fix(tmp_path: Path, content: str, setting: str, fragment: str) -> None:
    path = tmp_path / "e.csv"
    path.write_text(content)
    with pytest.raises(ConfigError) as err:
        scenario_with_ensemble(config("A", 6, str(path)))
    assert err.value.setting == setting and fragment in str(err.value)


def test_a_missing_file_is_refused() -> None:
    with pytest.raises(ConfigError, match="not found"):
        scenario_with_ensemble(config("A", 2, "no/such/draws.csv"))
