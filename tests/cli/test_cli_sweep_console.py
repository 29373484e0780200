"""What a sweep and a long baseline show on the console (issue 15, items 16 and 17): one line per sweep job by
default (`outputs.tables=true` for the full tables), and progress bars that name what runs, with time left."""

from __future__ import annotations

import io
import re

from rich.console import Console

from journeysim import load_scenario
from journeysim.cli.progress import SweepClock, replication_progress
from journeysim.interventions import Strategy
from journeysim.study.baseline import Baseline
from journeysim.study.pipeline import run_study


def rendered(total: int, steps: list[tuple[int, str]], sweep: SweepClock | None = None) -> str:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=160)
    with replication_progress(total, "counterfactuals", console=console, sweep=sweep) as update:
        for done, what in steps:
            update(done, total, what)
        console.file.flush()
        text = out.getvalue()
    return re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", text)


def test_the_bar_names_what_runs_with_time_left() -> None:
    text = rendered(80, [(0, "no spend"), (5, "without social"), (10, "social +10%")])
    assert "counterfactuals: social +10%" in text and "left" in text


def test_a_sweep_bar_shows_the_sweeps_jobs_and_time_left() -> None:
    clock = SweepClock(jobs=4, started=0.0, finished=2)
    assert clock.text().startswith("sweep 2/4 jobs done, ~")
    assert SweepClock(jobs=4).text() == "sweep 0/4 jobs done"
    assert "sweep 2/4 jobs done" in rendered(5, [(1, "x")], sweep=clock)


def test_the_baseline_phase_names_each_variant() -> None:
    scenario = load_scenario(["strategy=conversion_push", "sim=quick", "population.scale=0.01"])
    plans = scenario.strategy.plans
    steps: list[tuple[str, str]] = []
    baseline = Baseline("no spend", Strategy(), channels=True)
    run_study(scenario, baseline, bottlenecks=False, describe=lambda *a: steps.append(a))
    names = [p.channel for p in plans if p.budget > 0]
    assert steps[0] == ("baseline", "baseline") and len(steps) == 1 + 2 * len(names)
    assert ("baseline", f"without {names[0]}") in steps and ("baseline", f"{names[0]} +10%") in steps
