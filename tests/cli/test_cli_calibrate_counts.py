"""`journeysim calibrate --counts`: the files it writes, and bad counts tables (exit 2, one line per problem naming
the column and the fix, no traceback, nothing written)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import yaml

import journeysim as js
from journeysim.model.population import Population
from journeysim.study.fit.simulate import counts_frame
from journeysim.study.run import simulate


@pytest.fixture(scope="module")
def weekly() -> pd.DataFrame:
    """30 weeks of marketing-funnel counts at 5% of the b2c consumers, constant arrivals."""
    scenario = js.load_scenario(
        ["journey=marketing_funnel", "population=b2c", "strategy=none", "sim.horizon_days=210", "population.scale=0.05"]
    )
    seg = dataclasses.replace(scenario.population.segments[0], weekly=None, seasonal_amplitude=0.0)
    scenario = dataclasses.replace(scenario, population=Population((seg,)))
    return counts_frame(simulate(scenario, np.random.SeedSequence(8)), 7)


def test_counts_calibration_writes_the_options_the_ensemble_and_the_report(journeysim_inproc, weekly, tmp_path):
    weekly.to_csv(tmp_path / "weekly.csv", index=False)
    out = tmp_path / "fit"
    res = journeysim_inproc(
        "calibrate",
        "--counts",
        str(tmp_path / "weekly.csv"),
        "--journey",
        "marketing_funnel",
        "--draws",
        "30",
        "--replications",
        "4",
        "--out",
        str(out),
    )
    assert res.code == 0, res.err
    assert {p.name for p in out.iterdir()} >= {"estimates.csv", "fit.csv", "fit.html", "parameters.csv", "checks.csv"}
    ens = pd.read_csv(out / "parameters.csv")
    assert len(ens) == 30 and "journey.rates.awareness.interest" in ens.columns
    assert "population.segments.0.arrivals_per_day" in ens.columns
    journey = yaml.safe_load((out / "journey" / "marketing_funnel_fitted.yaml").read_text())
    assert journey["rates"]["awareness"]["interest"] == pytest.approx(0.06, rel=0.15)
    # the written options run as a config directory
    scenario = js.load_scenario(
        ["journey=marketing_funnel_fitted", "population=marketing_funnel_fitted", "strategy=none"], config_dir=out
    )
    assert scenario.population.segments[0].arrivals_per_day == pytest.approx(30.0, rel=0.1)
    assert "Fit report" in (out / "fit.html").read_text()


def _edit(change: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda f: change(f.copy())


def _set(column: str, value: object, row: int = 3) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(f: pd.DataFrame) -> pd.DataFrame:
        f[column] = f[column].astype(object)
        f.loc[row, column] = value
        return f

    return change


def _shift_period(f: pd.DataFrame) -> pd.DataFrame:
    later = f["period_start"] == 14
    f.loc[later, "period_start"] = 10
    return f


def _swap(f: pd.DataFrame) -> pd.DataFrame:
    first, second = f[f["period_start"] == 0], f[f["period_start"] == 7]
    return pd.concat([second, first, f[f["period_start"] >= 14]], ignore_index=True)


def _terminal_falls(f: pd.DataFrame) -> pd.DataFrame:
    lost = (f["stage"] == "lost") & (f["period_start"] == 7)
    f.loc[lost, "occupancy_end"] = 0
    f.loc[lost, "occupancy_start"] = 5
    return f


BAD = [
    ("negative", _set("entries", -4), "entries"),
    ("not whole", _set("occupancy_end", 2.5), "occupancy_end"),
    ("not a number", _set("entries", "many"), "entries"),
    ("unknown stage", _set("stage", "intrest"), "stage"),
    ("overlapping", _shift_period, "period_start"),
    ("out of order", _swap, "period_start"),
    ("terminal falls", _terminal_falls, "occupancy_end"),
    ("too few periods", lambda f: f[f["period_start"] < 35], "period_start"),
    ("missing column", lambda f: f.drop(columns="occupancy_start"), "counts"),
]


@pytest.mark.parametrize(("what", "change", "setting"), BAD, ids=[b[0] for b in BAD])
def test_bad_counts_exit_2_name_the_column_and_write_nothing(
    journeysim_inproc, weekly, tmp_path, what, change, setting
):
    change(weekly.copy()).to_csv(tmp_path / "bad.csv", index=False)
    out = tmp_path / "fit"
    res = journeysim_inproc(
        "calibrate", "--counts", str(tmp_path / "bad.csv"), "--journey", "marketing_funnel", "--out", str(out)
    )
    assert res.code == 2, (what, res.out, res.err)
    assert setting in res.err and "Traceback" not in res.err + res.out
    assert not out.exists()


def test_several_problems_are_listed_together(journeysim_inproc, weekly, tmp_path):
    bad = _set("stage", "intrest")(_set("entries", -1, row=5)(weekly.copy()))
    bad.to_csv(tmp_path / "bad.csv", index=False)
    res = journeysim_inproc("calibrate", "--counts", str(tmp_path / "bad.csv"), "--journey", "marketing_funnel")
    assert res.code == 2 and "entries" in res.err and "intrest" in res.err


def test_a_missing_counts_file_exits_2(journeysim_inproc, tmp_path):
    res = journeysim_inproc("calibrate", "--counts", str(tmp_path / "none.csv"), "--journey", "marketing_funnel")
    assert res.code == 2 and "--counts" in res.err


def test_quoted_conversion_and_cycle_fit_the_free_rates_worked_by_hand(journeysim_inproc, tmp_path):
    """intent converts 70% within 6 days on average: total exit 1/6 per day, conversion 0.7/6, lost 0.3/6."""
    pd.DataFrame(
        {
            "quantity": ["conversion", "cycle_days"],
            "from_stage": ["intent"] * 2,
            "to_stage": ["conversion"] * 2,
            "value": [0.7, 6.0],
            "se": [0.02, 0.3],
        }
    ).to_csv(tmp_path / "q.csv", index=False)
    known = [
        (a, b, r)
        for a, row in js.load_scenario(["journey=marketing_funnel"]).journey.rates.items()
        for b, r in row.items()
        if a != "intent"
    ]
    pd.DataFrame(known, columns=["from_stage", "to_stage", "rate"]).to_csv(tmp_path / "known.csv", index=False)
    out = tmp_path / "q"
    args = ("calibrate", "--quoted", str(tmp_path / "q.csv"), "--journey", "marketing_funnel", "--out", str(out))
    res = journeysim_inproc(*args, "--rates", str(tmp_path / "known.csv"), "--draws", "10")
    assert res.code == 0, res.err
    est = pd.read_csv(out / "estimates.csv").set_index(["from_stage", "to_stage"])["estimate"]
    assert est[("intent", "conversion")] == pytest.approx(0.7 / 6, rel=1e-4)
    assert est[("intent", "lost")] == pytest.approx(0.3 / 6, rel=1e-4)
    assert len(pd.read_csv(out / "parameters.csv")) == 10
    bad = journeysim_inproc(*args[:-2], "--out", str(tmp_path / "none"))  # 2 quotes, 15 free rates
    assert bad.code == 2 and "quotes" in bad.err and not (tmp_path / "none").exists()


def test_spend_fit_writes_estimates_and_refuses_series_of_different_lengths(journeysim_inproc, tmp_path):
    from journeysim.interventions.media import geometric_adstock, hill

    spend = np.tile([0, 0, 2000, 8000, 8000, 0, 20000, 20000, 0, 4000], 5).astype(float)
    outcome = np.random.default_rng(3).poisson(400 * (1 + 0.6 * hill(geometric_adstock(spend, 0.5), 5000.0, 1)))
    weeks = np.arange(spend.size) * 7
    pd.DataFrame({"period_start": weeks, "spend": spend}).to_csv(tmp_path / "spend.csv", index=False)
    pd.DataFrame({"period_start": weeks, "outcome": outcome}).to_csv(tmp_path / "out.csv", index=False)
    args = ("calibrate", "--spend", str(tmp_path / "spend.csv"))
    res = journeysim_inproc(*args, "--outcomes", str(tmp_path / "out.csv"), "--out", str(tmp_path / "m"))
    assert res.code == 0, res.err
    est = pd.read_csv(tmp_path / "m" / "media.csv").set_index("parameter")
    assert abs(est.loc["lift", "estimate"] - 0.6) < 4 * est.loc["lift", "se"]
    pd.DataFrame({"period_start": weeks[:-1], "outcome": outcome[:-1]}).to_csv(tmp_path / "short.csv", index=False)
    bad = journeysim_inproc(*args, "--outcomes", str(tmp_path / "short.csv"), "--out", str(tmp_path / "n"))
    assert bad.code == 2 and "--spend" in bad.err and "50 periods" in bad.err and not (tmp_path / "n").exists()
