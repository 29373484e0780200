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


def test_a_sweep_prints_one_line_per_job_and_the_summary(journeysim_inproc, tiniest) -> None:
    res = journeysim_inproc("-m", *tiniest, "strategy=none,balanced,nurture", "hydra.sweep.dir=s")
    assert res.code == 0, res.err
    jobs = [line for line in res.out.splitlines() if line.startswith("job ")]
    assert [j.split(":")[0] for j in jobs] == ["job 1 of 3", "job 2 of 3", "job 3 of 3"]
    assert "vs 'no spend': incremental profit " in jobs[1] and "iROAS" in jobs[1]
    assert all(re.search(r"\(\d+\.\d s\) -> .*s/\d$", j) for j in jobs)
    assert "Funnel" not in res.out and "Sweep s: 3 jobs (3 ok)" in res.out
    assert len(res.out.splitlines()) < 20  # was 100+ (every job's funnel, metrics and incrementality tables)
    assert res.out.rstrip().splitlines()[-1].endswith("journeysim compare s")  # the sweep's own view, next


def test_full_tables_on_request(journeysim_inproc, tiniest) -> None:
    res = journeysim_inproc("-m", *tiniest, "sim.seed=1,2", "baseline=null", "outputs.tables=true", "hydra.sweep.dir=s")
    assert res.code == 0, res.err
    assert res.out.count("Funnel") == 2 and not any(line.startswith("job ") for line in res.out.splitlines())
    single = journeysim_inproc(*tiniest, "outputs.tables=false", "hydra.run.dir=r")
    assert single.code == 0 and "\nrun: new buyers " in f"\n{single.out}" and "Funnel" not in single.out


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
