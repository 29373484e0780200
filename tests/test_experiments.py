"""The committed experiments (experiments/*/): every experiment config composes and validates, and each experiment
runs tiny end to end as its README says: the sweep through the `journeysim` console script, then its `analyse.py`
on the sweep directory (its `main`, in-process), writing the result tables into a temporary directory, never over
the committed ones."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from journeysim.cli.app import main

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENT_CONFIGS = sorted(p.stem for p in (ROOT / "conf" / "experiment").glob("*.yaml"))
#: about a thousand customers over half a year (conversion_push flights end on day 180), two replications; the
#: budgets as written (not scaled with the population), so the pipelines see the experiments' own budget grid
TINY = ["population.scale=0.005", "population.scale_budgets=false", "sim.replications=2", "sim.horizon_days=180"]
#: experiment folder -> the results its analyse.py writes
RESULTS = {
    "funnel_vs_journey": (
        "metrics.csv",
        "incremental.csv",
        "structure.csv",
        "visits.csv",
        "decomposition.csv",
        "run.json",
    ),
    "budget_response": ("response_curve.csv", "break_even.csv", "response_curve.png", "run.json"),
    "strategy_showdown": ("summary.csv", "paired_vs_none.csv", "ranking.csv", "run.json"),
    "attribution_arena": ("league.csv", "ranking.csv", "run.json"),
}


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}


def sweep(name: str, cwd: Path, *overrides: str) -> Path:
    """Run `journeysim -m +experiment=<name> ...` as a user does; return the sweep directory it wrote."""
    run_ok(["journeysim", "-m", f"+experiment={name}", *TINY, "hydra.sweep.dir=sweep", *overrides], cwd)
    return cwd / "sweep"


def run_ok(command: list[str], cwd: Path | None = None) -> None:
    """Run `command` as a user would (no stdin, the test's environment) and fail with its output's tail unless it
    exits 0."""
    proc = subprocess.run(
        command, cwd=cwd, env=_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def analyse(name: str, sweep_dir: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """`python experiments/<name>/analyse.py SWEEP_DIR --out OUT`, in this process (its `main(argv)`); returns what
    it printed. Loaded from its file, as `python` would, under a name of its own."""
    script = ROOT / "experiments" / name / "analyse.py"
    spec = importlib.util.spec_from_file_location(f"experiment_{name}_analyse", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    capsys.readouterr()
    module.main([str(sweep_dir), "--out", str(out)])
    printed = capsys.readouterr().out
    for f in RESULTS[name]:
        assert (out / f).stat().st_size > 0, f
    run = json.loads((out / "run.json").read_text())
    assert run["jobs_ok"] == run["jobs"] and run["replications"] == 2 and run["population_scale"] == 0.005
    return printed


def test_every_experiment_has_a_readme_config_and_committed_results() -> None:
    for name, files in RESULTS.items():
        assert name in EXPERIMENT_CONFIGS
        readme = (ROOT / "experiments" / name / "README.md").read_text()
        assert f"journeysim -m +experiment={name}" in readme
        assert f"python experiments/{name}/analyse.py" in readme
        for f in files:
            assert (ROOT / "experiments" / name / "results" / f).is_file(), f
        run = json.loads((ROOT / "experiments" / name / "results" / "run.json").read_text())
        assert run["jobs_ok"] == run["jobs"] > 1  # the committed numbers come from a complete sweep


@pytest.mark.parametrize("name", EXPERIMENT_CONFIGS)
def test_every_experiment_config_composes_and_validates(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`journeysim check -m +experiment=<name>` composes every job of the experiment's sweep and validates it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["journeysim"])
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(["check", "-m", f"+experiment={name}"])
    out, err = capsys.readouterr()
    assert done.value.code == 0, out + err
    assert "valid" in out and list(tmp_path.iterdir()) == []  # nothing simulated, nothing written


@pytest.mark.slow
def test_funnel_vs_journey_runs_tiny(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sweep_dir = sweep("funnel_vs_journey", tmp_path, "baseline=null")
    assert len(list(sweep_dir.glob("*/samples.parquet"))) == 4  # 2 journeys x (no spend, balanced)
    out = tmp_path / "results"
    printed = analyse("funnel_vs_journey", sweep_dir, out, capsys)
    assert "closed form" in printed
    inc = pd.read_csv(out / "incremental.csv").set_index(["journey", "metric"])["mean"]
    for journey in ("marketing_funnel", "customer_journey"):
        assert inc[journey, "incremental_spend"] == 150_000  # the balanced preset spends its whole budget
    structure = pd.read_csv(out / "structure.csv").set_index("model")
    # back-transitions are second chances: turning them into drop-outs can only lose buyers
    assert structure["conversion_probability"].iloc[1] < structure["conversion_probability"].iloc[0]
    assert float(structure["entry_stage_visits"]["customer_journey"]) > 1  # people come back to awareness


@pytest.mark.slow
def test_budget_response_runs_tiny(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sweep_dir = sweep("budget_response", tmp_path, "strategy.budget=0,25000,100000")
    out = tmp_path / "results"
    analyse("budget_response", sweep_dir, out, capsys)
    curve = pd.read_csv(out / "response_curve.csv")
    assert curve["budget"].tolist() == [0, 25_000, 100_000]
    assert curve["incremental_spend"].tolist() == [0, 25_000, 100_000]  # budget 0 is the paired baseline
    assert curve["marginal_roas"].isna().tolist() == [True, False, False]
    assert len(pd.read_csv(out / "break_even.csv")) == 4


@pytest.mark.slow
def test_strategy_showdown_runs_tiny_and_matches_each_runs_own_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the default per-run baseline (no spend, same seeds), a strategy job's incrementality.json must equal the
    paired difference against the sweep's `none` job: both are the same counterfactual on the same random numbers."""
    sweep_dir = sweep("strategy_showdown", tmp_path, "strategy=none,retention,balanced")
    out = tmp_path / "results"
    analyse("strategy_showdown", sweep_dir, out, capsys)
    ranking = pd.read_csv(out / "ranking.csv")
    by_profit = ranking[ranking["ranked_by"] == "incremental_profit"]
    assert set(by_profit["scenario"]) == {"none", "retention", "balanced"}
    assert by_profit["p_best"].sum() == pytest.approx(1.0)
    assert set(ranking[ranking["ranked_by"] == "incremental_roi"]["scenario"]) == {"retention", "balanced"}
    paired = pd.read_csv(out / "paired_vs_none.csv").set_index(["scenario", "metric"])
    for job in sweep_dir.glob("*/incrementality.json"):
        own = json.loads(job.read_text())["metrics"]["incremental_revenue"]["mean"]
        strategy = yaml.safe_load((job.parent / "config.yaml").read_text())["strategy"]["name"]
        # the CSV keeps 6 significant digits
        assert paired.loc[(strategy, "revenue"), "difference"] == pytest.approx(own, rel=1e-5)
    assert len(list(sweep_dir.glob("*/incrementality.json"))) == 2  # the two strategies that spend


@pytest.mark.slow
def test_attribution_arena_runs_tiny(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sweep_dir = sweep("attribution_arena", tmp_path, "journey=customer_journey,sales_funnel_b2b")
    assert len(list(sweep_dir.glob("*/touches.parquet"))) == 2
    out = tmp_path / "results"
    printed = analyse("attribution_arena", sweep_dir, out, capsys)
    assert "share of credit per channel" in printed
    ranking = pd.read_csv(out / "ranking.csv")
    assert set(ranking["journey"]) == {"customer_journey", "sales_funnel_b2b"}
    assert set(ranking["method"]) >= {"first_touch", "last_touch", "linear", "time_decay", "position_based", "markov"}
    assert ranking["share_error"].between(0, 1).all()


@pytest.mark.slow
def test_from_crm_counts_decides_through_parameter_uncertainty_tiny(tmp_path: Path) -> None:
    """`python experiments/from_crm_counts/decide.py` with 3 draws: three sweeps through the console script with
    `sim.parameter_uncertainty=fit/parameters.csv` (or fixed / true rates) and `journeysim compare`; the decision
    table carries compare's own p_better, variance split and most valuable parameter."""
    script = ROOT / "experiments" / "from_crm_counts" / "decide.py"
    out = tmp_path / "results"
    run_ok([sys.executable, str(script), "--draws", "3", "--out", str(out), "--work", str(tmp_path / "runs")])
    decision = pd.read_csv(out / "decision.csv")
    assert decision["replications"].tolist() == [6, 3, 3]
    uncertain = decision.iloc[0]
    assert uncertain["draws"] == 3 and uncertain["per_draw"] == 2
    assert 0 <= uncertain["p_better"] <= 1 and 0 <= uncertain["share_parameters"] <= 1
    assert uncertain["most_valuable_parameter"].startswith(("journey.rates.", "population.segments."))
    assert decision["most_valuable_parameter"].iloc[1:].isna().all()  # fixed rates: no draws, no split
    voi = pd.read_csv(out / "value_of_information.csv")
    assert len(voi) == 16 and voi["evppi"].is_monotonic_decreasing
