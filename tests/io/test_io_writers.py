"""The registry of run-directory writers: every data file of a run, in the order of `RUN_FILES`."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeysim.config import load_scenario
from journeysim.errors import ConfigError
from journeysim.interventions import Strategy
from journeysim.io import RUN_FILES, RUN_WRITERS, write_run_outputs, write_study
from journeysim.study.baseline import NO_SPEND, Baseline
from journeysim.study.pipeline import run_study


@pytest.fixture(scope="module")
def study():
    scenario = load_scenario(["population.scale=0.01", "sim=quick", "strategy=balanced", "sim.event_log=true"])
    return run_study(scenario, Baseline(NO_SPEND, Strategy(), channels=True))


def test_every_data_file_in_the_contracts_order(tmp_path: Path, study) -> None:
    written = [p.name for p in write_study(tmp_path, study, "name: x\n")]
    assert written == [n for n in RUN_FILES if n not in ("report.html", "status.json")]
    assert RUN_WRITERS.names()[:2] == ("config", "funnel")


def test_a_subset_by_name_and_the_run_only_writer(tmp_path: Path, study) -> None:
    assert [p.name for p in write_study(tmp_path / "a", study, "", ["metrics", "bottlenecks"])] == [
        "metrics.json",
        "bottlenecks.csv",
    ]
    names = [p.name for p in write_run_outputs(tmp_path / "b", study.run, "name: x\n")]
    assert "incrementality.json" not in names and names[0] == "config.yaml" and names[-1] == "metrics.json"
    with pytest.raises(ConfigError, match="did you mean 'metrics'"):
        write_study(tmp_path / "c", study, "", ["metric"])
    with pytest.raises(ValueError, match="already registered"):
        RUN_WRITERS.add("metrics", lambda out, s, c: [])
