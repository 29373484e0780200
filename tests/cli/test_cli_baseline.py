"""A spending run also simulates its counterfactual baseline on the same seeds: incrementality.json, channels.csv,
the console table and the report section; every run's report carries the bottleneck table."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from journeysim.config import load_scenario
from journeysim.study.incrementality import incremental


def test_a_spending_run_reports_its_increment_over_no_spend(journeysim_inproc, tiniest) -> None:
    overrides = [*tiniest, "strategy=balanced", "population.scale_budgets=false"]  # the budget as written
    res = journeysim_inproc(*overrides, "hydra.run.dir=run")
    assert res.code == 0, res.err
    run = Path.cwd() / "run"
    doc = json.loads((run / "incrementality.json").read_text())
    assert (doc["baseline"], doc["baseline_strategy"], doc["replications"]) == ("no spend", "none", 2)
    assert not (run / "channels.csv").exists()  # per channel only when asked

    # the same seeds as the run: recomputing the increment outside the CLI gives exactly the same numbers
    expected = incremental(load_scenario(overrides), channels=False).summary
    for metric in ("incremental_purchases", "incremental_revenue", "iroas", "incremental_cac"):
        assert doc["metrics"][metric]["mean"] == pytest.approx(expected.loc[metric, "mean"], rel=1e-12), metric
    assert doc["metrics"]["incremental_spend"]["mean"] == pytest.approx(150_000, rel=0.01)  # budget of the horizon
    samples = pd.read_parquet(run / "samples.parquet")
    assert doc["metrics"]["incremental_spend"]["mean"] == pytest.approx(samples["spend"].mean())

    assert "Incrementality vs baseline 'no spend' (same seeds, 2 replications, 95% CI)" in res.out
    for label in ("incremental purchases", "incremental revenue", "iROAS", "incremental CAC"):
        assert label in res.out, label
    status = json.loads((run / "status.json").read_text())
    assert "incrementality.json" in status["files"] and status["timings_s"]["baseline"] > 0
    html = (run / "report.html").read_text()
    assert 'id="incrementality"' in html and 'id="bottlenecks"' in html
    bottlenecks = pd.read_csv(run / "bottlenecks.csv")
    assert bottlenecks["rank"].tolist()[:3] == [1, 2, 3] and "ignores its strategy" in html


def test_a_named_baseline_with_per_channel_effects(journeysim_inproc, tiniest) -> None:
    overrides = [*tiniest, "sim.replications=1", "strategy=retention", "baseline=nurture", "baseline_channels=true"]
    overrides.append("population.scale_budgets=false")  # the budgets as written
    res = journeysim_inproc(*overrides, "hydra.run.dir=run")
    assert res.code == 0, res.err
    run = Path.cwd() / "run"
    doc = json.loads((run / "incrementality.json").read_text())
    assert (doc["baseline"], doc["baseline_strategy"]) == ("nurture", "nurture")
    # retention spends 100,000 over the horizon, nurture 120,000: the increment over nurture has negative spend
    assert doc["metrics"]["incremental_spend"]["mean"] == pytest.approx(-20_000, rel=0.01)
    assert set(doc["channels"]) == {"service", "loyalty_programme", "referral_programme"}
    channels = pd.read_csv(run / "channels.csv")
    assert set(channels["channel"]) == set(doc["channels"])
    assert {"removal_purchases", "marginal_roas"} <= set(channels["metric"])
    assert "Per channel: removal effect and marginal ROAS" in res.out
    assert "Incrementality vs baseline 'nurture'" in res.out


def test_the_baseline_can_be_turned_off(journeysim_inproc, tiniest) -> None:
    res = journeysim_inproc("check", "--full", *tiniest, "strategy=balanced", "baseline=null", "baseline_channels=true")
    assert res.code == 0 and "baseline: null" in res.out and "baseline_channels: true" in res.out


def test_run_study_returns_what_the_cli_writes(journeysim_inproc, tiniest, tmp_path: Path) -> None:
    """`js.run_study` with the same overrides computes every file a CLI run writes, byte for byte."""
    import journeysim as js
    from journeysim.io import write_study

    overrides = [*tiniest, "strategy=retention", "baseline=nurture", "baseline_channels=true"]
    res = journeysim_inproc(*overrides, "hydra.run.dir=run")
    assert res.code == 0, res.err
    run = Path.cwd() / "run"
    study = js.run_study(overrides)
    assert study.baseline is not None and study.baseline.label == "nurture" and study.incrementality is not None
    assert study.bottlenecks is not None and study.bottleneck_notes
    written = write_study(tmp_path / "api", study, (run / "config.yaml").read_text())
    names = sorted(p.name for p in written)
    assert {"metrics.json", "incrementality.json", "channels.csv", "bottlenecks.csv", "samples.parquet"} <= set(names)
    for name in names:
        assert (tmp_path / "api" / name).read_bytes() == (run / name).read_bytes(), name
    assert set(study.timings) == {"simulate", "baseline", "bottlenecks"}
