"""The notebook API: load scenarios from the shipped configs, run them, read DataFrames back."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import journeysim.api as js

TINY = ["population.scale=0.02", "sim=quick"]


def test_load_scenario_defaults_and_overrides() -> None:
    default = js.load_scenario()
    assert isinstance(default, js.Scenario)
    assert (default.name, default.settings.replications, default.settings.seed) == ("customer_journey-b2c", 5, 42)
    b2b = js.load_scenario(["population=b2b", "sim.seed=7"])
    assert b2b.population.names == ("businesses",) and b2b.settings.seed == 7


def test_run_with_overrides_gives_dataframes_and_metrics() -> None:
    res = js.run(["population=b2b", *TINY])
    assert isinstance(res, js.RunResult)
    assert isinstance(res.funnel, pd.DataFrame) and res.funnel["stage"].iloc[0] == "awareness"
    assert isinstance(res.timeseries, pd.DataFrame) and res.timeseries["day"].max() == 89
    table = res.metrics_table()
    assert table.loc["conversion_rate", "replications"] == 2
    assert res.metrics["purchases"].mean > 0


def test_run_a_scenario_object_is_reproducible() -> None:
    scenario = js.load_scenario(TINY)
    a, b = js.run(scenario), js.run(scenario)
    assert a.samples.equals(b.samples)  # same config + seed = identical results
    assert js.run(TINY).samples.equals(a.samples)  # the overrides route builds the same scenario


def test_bad_overrides_raise_invalid_config_naming_the_fix() -> None:
    with pytest.raises(js.InvalidConfig, match="did you mean 'horizon_days'"):
        js.load_scenario(["+sim.horizn=5"])
    with pytest.raises(js.InvalidConfig, match=r"journey\.rates\.awareness\.interest"):
        js.run(["journey.rates.awareness.interest=-1"])
    with pytest.raises(TypeError, match="as a list"):
        js.run("population=b2b")  # type: ignore[arg-type]


def test_load_config_returns_the_resolved_plain_config() -> None:
    cfg = js.load_config(["journey=marketing_funnel"])
    assert cfg["name"] == "marketing_funnel-b2c"
    assert cfg["journey"]["rates"]["awareness"] == {"interest": 0.06, "lost": 0.06}


def test_config_dir_adds_your_own_options(tmp_path: Path) -> None:
    (tmp_path / "population").mkdir()
    (tmp_path / "population" / "pilot.yaml").write_text(
        "name: pilot\nsegments:\n  testers:\n    initial: {awareness: 50}\n    arrivals_per_day: 1\n"
    )
    res = js.run(["population=pilot", "sim=quick"], config_dir=tmp_path)
    assert res.scenario.population.names == ("testers",)


def test_model_classes_are_re_exported() -> None:
    journey = js.Journey.from_dict(
        {
            "stages": ["a", "b", "c"],
            "entry": "a",
            "conversion": ["b"],
            "terminal": ["c"],
            "rates": {"a": {"b": 0.5, "c": 0.5}, "b": {"c": 1.0}},
        }
    )
    pop = js.Population((js.Segment("s", initial={"a": 100}, order_value=js.OrderValue("fixed", 10.0)),))
    res = js.run(js.Scenario(journey, pop, js.Settings(horizon_days=30, replications=2, seed=1)))
    assert 0 < res.metrics["conversion_rate"].mean < 1


def test_run_study_gives_the_run_its_incrementality_and_bottlenecks() -> None:
    import journeysim

    study = journeysim.run_study(["strategy=balanced", *TINY])
    assert isinstance(study, js.StudyResult) and study.metrics["purchases"].mean > 0
    assert study.baseline is not None and study.baseline.label == "no spend"
    assert study.incrementality is not None and "iroas" in study.incrementality.summary.index
    assert study.bottlenecks is not None and list(study.bottlenecks["rank"][:2]) == [1, 2]
    same = js.run_study(js.load_scenario(["strategy=balanced", *TINY]))  # a Scenario: baseline auto, bottlenecks on
    assert same.incrementality is not None and same.incrementality.summary.equals(study.incrementality.summary)
    bare = js.run_study(["strategy=balanced", "baseline=null", "outputs.bottlenecks=false", *TINY])
    assert bare.incrementality is None and bare.bottlenecks is None
    with pytest.raises(TypeError, match="as a list"):
        js.run_study("strategy=balanced")  # type: ignore[arg-type]
