"""`run_study`: the run, its baseline reusing the run's own replications, incrementality and bottlenecks."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

import journeysim.study.outcomes as outcomes_module
import journeysim.study.pipeline as pipeline
import journeysim.study.run as run_module
from journeysim.config import load_scenario
from journeysim.interventions import Strategy
from journeysim.study.baseline import NO_SPEND, Baseline, baseline_simulations
from journeysim.study.incrementality import incremental
from journeysim.study.pipeline import StudyResult, resolve, run_study
from journeysim.study.run import run

SPENDING = ["population.scale=0.01", "sim=quick", "strategy=balanced"]


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SPENDING)


def _count_simulations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = run_module.simulate

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(run_module, "simulate", counting)
    monkeypatch.setattr(outcomes_module, "simulate", counting)
    return calls


def test_the_baseline_reuses_the_runs_replications_with_identical_numbers(scenario, monkeypatch) -> None:
    reference = incremental(scenario, channels=True)  # simulates the strategy itself again
    calls = _count_simulations(monkeypatch)
    study = run_study(scenario, Baseline(NO_SPEND, Strategy(), channels=True))
    reps = scenario.settings.replications
    assert len(calls) == reps + baseline_simulations(scenario, study.baseline)
    assert baseline_simulations(scenario, study.baseline) == (1 + 2 * len(scenario.strategy.plans)) * reps
    inc = study.incrementality
    pd.testing.assert_frame_equal(inc.summary, reference.summary)
    pd.testing.assert_frame_equal(inc.replications, reference.replications)
    pd.testing.assert_frame_equal(inc.channel_summary, reference.channel_summary)
    alone = run(scenario)
    pd.testing.assert_frame_equal(study.run.samples, alone.samples)  # observing the run changes nothing


def test_baseline_arguments(scenario) -> None:
    auto = resolve(scenario, "auto")
    assert auto is not None and (auto.label, auto.strategy.total_budget, auto.channels) == (NO_SPEND, 0.0, False)
    named = resolve(scenario, Strategy(name="quiet"))
    assert named is not None and named.label == "quiet"
    assert resolve(scenario, None) is None
    with pytest.raises(ValueError, match="give a Baseline"):
        resolve(scenario, "nurture")


def test_a_run_without_baseline_and_bottlenecks_is_just_the_run(scenario) -> None:
    study = run_study(scenario, bottlenecks=False)
    assert isinstance(study, StudyResult)
    assert study.incrementality is None and study.bottlenecks is None and set(study.timings) == {"simulate"}
    assert study.metrics_table().loc["purchases", "replications"] == scenario.settings.replications


def test_progress_reports_each_phase(scenario) -> None:
    seen: list[tuple[str, int, int]] = []
    run_study(scenario, "auto", bottlenecks=False, progress=lambda *a: seen.append(a))
    reps = scenario.settings.replications
    assert seen[0] == ("simulate", 0, reps) and ("simulate", reps, reps) in seen
    assert ("baseline", 0, reps) in seen and seen[-1] == ("baseline", reps, reps)


def test_a_failing_bottleneck_finder_is_logged_not_fatal(scenario, monkeypatch, caplog) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("no chain")

    monkeypatch.setattr(pipeline, "ranked", broken)
    with caplog.at_level(logging.WARNING):
        study = run_study(scenario, "auto")
    assert study.bottlenecks is None and "bottleneck finder skipped: no chain" in caplog.text
    assert study.incrementality is not None
