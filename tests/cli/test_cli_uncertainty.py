"""`sim.parameter_uncertainty` end to end: a sweep of two plans drawing their parameters from the shipped example
ensemble, then `compare`: the draw in samples.parquet, the decision columns in differences.csv,
value_of_information.csv, the console table and the HTML section; and the API inherits the setting."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import journeysim as js

ENSEMBLE = "sim.parameter_uncertainty=uncertainty/customer_journey.csv"  # shipped: conf/uncertainty/
KEY = "channels.retargeting.effects.0.lift"


def test_a_sweep_with_parameter_uncertainty_and_its_comparison(journeysim_inproc, tiniest) -> None:
    sweep = ["-m", *tiniest, "strategy=nurture,conversion_push", "sim.replications=8", ENSEMBLE]
    res = journeysim_inproc(*sweep, "hydra.sweep.dir=sweep")
    assert res.code == 0, res.err
    work = Path.cwd()
    a, b = (pd.read_parquet(work / "sweep" / job / "samples.parquet") for job in ("0", "1"))
    assert list(a.columns[:3]) == ["replication", "seed", "parameter_draw"] and f"parameter:{KEY}" in a.columns
    assert a["parameter_draw"].tolist() == b["parameter_draw"].tolist()  # replication r: the same draw in both
    assert a["parameter_draw"].nunique() == 4  # 8 replications, 2 per draw
    assert (
        "parameter_uncertainty: uncertainty/customer_journey.csv" in (work / "sweep" / "0" / "config.yaml").read_text()
    )

    res = journeysim_inproc("compare", "sweep", "--reference", "strategy=nurture", "--out", "cmp")
    assert res.code == 0, res.err
    assert "Parameter uncertainty: incremental_profit vs 'strategy=nurture'" in res.out
    diffs = pd.read_csv(work / "cmp" / "differences.csv")
    assert not any(m.startswith("parameter") for m in diffs["metric"])  # draws and values are not metrics
    row = diffs[diffs["metric"] == "incremental_profit"].iloc[0]
    assert row["test"] == "paired t over parameter draws" and row["draws"] == 4
    assert 0 <= row["p_better"] <= 1 and 0 <= row["share_parameters"] <= 1
    assert row["most_valuable_parameter"] in {
        KEY,
        "channels.free_trial.effects.0.lift",
        "journey.rates.intent.purchase",
    }
    voi = pd.read_csv(work / "cmp" / "value_of_information.csv")
    assert set(voi["parameter"]) == {KEY, "channels.free_trial.effects.0.lift", "journey.rates.intent.purchase"}
    assert "p_best_parameters" in pd.read_csv(work / "cmp" / "ranking.csv").columns
    html = (work / "cmp" / "comparison.html").read_text()
    assert "Parameter uncertainty" in html and "Value of information per parameter" in html


def test_without_the_setting_compare_writes_no_uncertainty_outputs(journeysim_inproc, tiniest) -> None:
    res = journeysim_inproc("-m", *tiniest, "strategy=nurture,conversion_push", "hydra.sweep.dir=sweep")
    assert res.code == 0, res.err
    assert "parameter_draw" not in pd.read_parquet(Path("sweep/0/samples.parquet")).columns
    assert "parameter_uncertainty" not in Path("sweep/0/config.yaml").read_text()
    res = journeysim_inproc("compare", "sweep", "--out", "cmp")
    assert res.code == 0, res.err
    assert (
        not Path("cmp/value_of_information.csv").exists() and "p_better" not in Path("cmp/differences.csv").read_text()
    )


def test_the_api_draws_per_replication_too(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    study = js.run_study(["population.scale=0.01", "sim=quick", "sim.replications=4", ENSEMBLE])
    params = study.run.parameters
    assert params is not None and params["parameter_draw"].nunique() == 2
