"""`journeysim compare`: means with CIs, paired differences (Welch when seeds differ), ranking, CSVs and HTML."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from journeysim.interventions import RateMultiplier, Strategy
from journeysim.io import RunStatus, write_run_outputs, write_status
from journeysim.model import Journey, OrderValue, Population, Scenario, Segment, Settings
from journeysim.study.compare import paired_differences, summary_table
from journeysim.study.run import run


def write_run(path: Path, scenario: Scenario) -> Path:
    """A finished run directory as the task writes it (without the report, which compare does not read)."""
    result = run(scenario)
    write_run_outputs(path, result, "name: x\n")
    write_status(path, RunStatus("ok", scenario.name))
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, journey: Journey) -> Path:
    """Three runs: `base` and `lift` share seed 5 (paired), `other` uses seed 6 (not paired with either)."""
    root = tmp_path_factory.mktemp("runs")
    pop = Population(
        (Segment("consumers", initial={"awareness": 400}, arrivals_per_day=3.0, order_value=OrderValue("fixed", 80.0)),)
    )
    lift = Strategy(name="lift", rate_multipliers=(RateMultiplier("intent", "purchase", 2.0, 0, 60),))
    for name, seed, strategy in (("base", 5, Strategy()), ("lift", 5, lift), ("other", 6, Strategy())):
        settings = Settings(horizon_days=60, replications=4, seed=seed)
        write_run(root / name, Scenario(journey, pop, settings, name=name, strategy=strategy))
    return root


def test_compare_writes_tables_and_a_report_with_paired_and_welch_differences(journeysim_inproc, runs: Path) -> None:
    res = journeysim_inproc("compare", str(runs / "base"), str(runs / "lift"), str(runs / "other"))
    assert res.code == 0, res.err
    (out,) = (Path.cwd() / "comparisons").iterdir()  # by default: a new comparisons/<date>_<time> directory
    for name in (
        "comparison.csv",
        "differences.csv",
        "ranking.csv",
        "comparison.html",
        "charts/comparison_metrics.png",
    ):
        assert (out / name).is_file(), name

    samples = pd.concat(
        [pd.read_parquet(runs / n / "samples.parquet").assign(scenario=n) for n in ("base", "lift", "other")]
    )
    comparison = pd.read_csv(out / "comparison.csv")
    expected = summary_table(samples, [c for c in samples.columns if c not in ("scenario", "replication", "seed")])
    pd.testing.assert_frame_equal(comparison, expected, check_dtype=False)

    diffs = pd.read_csv(out / "differences.csv").set_index(["scenario", "metric"])
    assert diffs.loc[("lift", "purchases"), "test"] == "paired t"  # same seed and replications: CRN pairs
    assert diffs.loc[("other", "purchases"), "test"] == "Welch t"  # another seed: independent samples
    direct = paired_differences(samples, "base", ["purchases"]).set_index("scenario")
    assert diffs.loc[("lift", "purchases"), "difference"] == pytest.approx(direct.loc["lift", "difference"])
    assert diffs.loc[("lift", "purchases"), "p_value"] == pytest.approx(direct.loc["lift", "p_value"])
    assert diffs.loc[("lift", "purchases"), "ci_low"] > 0  # doubling intent -> purchase clearly adds purchases

    ranking = pd.read_csv(out / "ranking.csv")
    assert ranking["metric"].unique().tolist() == ["revenue"] and ranking["higher_is_better"].all()
    assert ranking.loc[0, "scenario"] == "lift" and ranking["rank"].tolist() == [1, 2, 3]
    assert ranking["p_best"].sum() == pytest.approx(1.0)

    assert "Differences vs 'base'" in res.out and "Ranking by revenue" in res.out
    assert "note: other do(es) not share seeds and replications with 'base'" in res.out
    html = (out / "comparison.html").read_text()
    assert "Paired differences" in html and "Ranking" in html


def test_reference_metrics_and_ranking_metric_are_chosen(journeysim_inproc, runs: Path) -> None:
    args = [str(runs / "base"), str(runs / "lift"), "--reference", "lift", "--metrics", "purchases,cac"]
    res = journeysim_inproc("compare", *args, "--rank-by", "sales_cycle_days_mean", "--out", "cmp")
    assert res.code == 0, res.err
    assert "Differences vs 'lift'" in res.out and "Ranking by sales_cycle_days_mean (lower is better)" in res.out
    assert "All scenarios share seeds with 'lift'" in res.out
    diffs = pd.read_csv(Path.cwd() / "cmp" / "differences.csv")
    assert diffs["scenario"].unique().tolist() == ["base"]
    ranking = pd.read_csv(Path.cwd() / "cmp" / "ranking.csv")
    assert ranking["mean"].is_monotonic_increasing  # lower is better: rank 1 has the shortest sales cycle


def test_default_output_directories_are_new_each_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from journeysim.cli.compare import _out_dir

    monkeypatch.chdir(tmp_path)
    first, second = _out_dir(None), _out_dir(None)
    assert first != second and first.parent == second.parent == Path("comparisons")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["base", "nope"], "nope: does not exist"),
        (["base"], "only one scenario found (base)"),
        (["base", "lift", "--reference", "lfit"], "unknown scenario 'lfit' (did you mean 'lift'?)"),
        (["base", "lift", "--metrics", "purchase"], "unknown metric 'purchase' (did you mean 'purchases'"),
        (["base", "lift", "--rank-by", "revenu"], "--rank-by: unknown metric 'revenu'"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    journeysim_inproc, tree, runs: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(runs)  # paths relative to the runs
    before = tree(runs)
    res = journeysim_inproc("compare", *args)
    assert res.code == 2, res.out
    assert message in res.err and "Traceback" not in res.err
    assert tree(runs) == before


@pytest.mark.slow
def test_compare_a_budget_sweep_from_the_console_script(journeysim_cli, tmp_path: Path, tiniest) -> None:
    """End to end: a budget sweep, then compare on the sweep dir draws the budget-response curve."""
    sweep = ["-m", *tiniest, "strategy=balanced", "strategy.budget=0,50000,100000", "baseline=null"]
    res = journeysim_cli([*sweep, "hydra.sweep.dir=sweep"], cwd=tmp_path)
    assert res.code == 0, res.err
    res = journeysim_cli(["compare", "sweep", "--out", "cmp", "--metrics", "purchases,revenue"], cwd=tmp_path)
    assert res.code == 0, res.err
    assert "All scenarios share seeds with 'strategy.budget=0'" in res.out
    comparison = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    assert sorted(comparison["strategy.budget"].unique()) == [0, 50000, 100000]
    assert (tmp_path / "cmp" / "charts" / "budget_response.png").is_file()
    assert "Budget response" in (tmp_path / "cmp" / "comparison.html").read_text()
    table = json.loads((tmp_path / "sweep" / "0" / "status.json").read_text())
    assert table["status"] == "ok"


def test_probabilities_of_best_from_four_replications_are_withheld_with_the_reason(
    journeysim_inproc, runs: Path
) -> None:
    """Issue 15.10: 4 replications (< 5) give no percentage without saying how little it means; the CSV keeps
    the numbers (t reference) with the note."""
    res = journeysim_inproc("compare", str(runs / "base"), str(runs / "lift"), "--out", "few")
    assert res.code == 0, res.err
    assert "withheld" in res.out and "only 4 replication(s)" in " ".join(res.out.split())
    ranking = pd.read_csv(Path.cwd() / "few" / "ranking.csv")
    assert {"p_best_t", "p_best_normal", "note"} <= set(ranking.columns)
    assert ranking["note"].str.contains("sim.replications=5").all()
    html = (Path.cwd() / "few" / "comparison.html").read_text()
    assert "Probabilities withheld: only 4 replication(s)" in html


def test_a_budget_sweep_ranks_by_incremental_profit_with_a_baseline_and_by_profit_without(
    journeysim_cli, tmp_path: Path, tiniest
) -> None:
    """Issue 15.11: a planner ranks by (incremental) profit, not revenue; the ranking metric is among the shown
    metrics, and samples.parquet carries the paired incremental values that ranking needs."""
    sweep = ["-m", *tiniest, "strategy=balanced", "strategy.budget=20000,60000"]
    res = journeysim_cli([*sweep, "hydra.sweep.dir=with"], cwd=tmp_path)
    assert res.code == 0, res.err
    samples = pd.read_parquet(tmp_path / "with" / "0" / "samples.parquet")
    assert {"incremental_profit", "iroas"} <= set(samples.columns)
    res = journeysim_cli(["compare", "with", "--out", "cmp_with"], cwd=tmp_path)
    assert res.code == 0, res.err
    assert "Ranking by incremental_profit (higher is better)" in res.out
    assert pd.read_csv(tmp_path / "cmp_with" / "ranking.csv")["metric"].unique().tolist() == ["incremental_profit"]
    assert "incremental_prof" in res.out.split("Differences")[0]  # shown in the means table

    res = journeysim_cli([*sweep, "baseline=null", "hydra.sweep.dir=without"], cwd=tmp_path)
    assert res.code == 0, res.err
    res = journeysim_cli(["compare", "without", "--out", "cmp_without"], cwd=tmp_path)
    assert res.code == 0, res.err
    assert "Ranking by profit (higher is better)" in res.out


def test_ratios_without_a_difference_are_named_in_the_report_not_dropped(journeysim_inproc, runs: Path) -> None:
    """Issue 15.11: ROI against a reference that spends nothing has no paired difference; the HTML says so."""
    res = journeysim_inproc(
        "compare", str(runs / "base"), str(runs / "lift"), "--metrics", "purchases,roi", "--out", "ratio"
    )
    assert res.code == 0, res.err
    html = (Path.cwd() / "ratio" / "comparison.html").read_text()
    assert "No paired difference for <code>roi</code>" in html
