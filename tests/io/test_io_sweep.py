"""The sweep table from what jobs leave on disk: finished, failed, still running (no status) and never started."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from journeysim.io.sweep import (
    FAILURES_CSV,
    SWEEP_CSV,
    SWEEP_PARQUET,
    find_jobs,
    job_label,
    override_key_value,
    sweep_table,
    swept_keys,
    write_sweep_table,
)


def make_job(
    root: Path,
    num: int,
    overrides: list[str],
    status: str | None,
    purchases: float | None = None,
    error: str | None = None,
    iroas: tuple[float, float] | None = None,
) -> Path:
    """A job directory as Hydra and journeysim leave it: .hydra/hydra.yaml, then status.json and metrics.json."""
    job = root / str(num)
    (job / ".hydra").mkdir(parents=True)
    hydra = {"hydra": {"job": {"num": num}, "overrides": {"task": overrides, "hydra": []}}}
    (job / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump(hydra))
    if status is None:
        return job  # still running, or killed
    doc = {"status": status, "scenario": f"s{num}", "overrides": overrides, "timings_s": {"total": 1.5}, "error": error}
    (job / "status.json").write_text(json.dumps(doc))
    if purchases is not None:
        metrics = {
            "seed": 42,
            "replications": 2,
            "metrics": {
                "purchases": {"mean": purchases, "std": 1.0, "ci_low": purchases - 2, "ci_high": purchases + 2},
                "roas": {"mean": None, "std": None, "ci_low": None, "ci_high": None},
            },
        }
        (job / "metrics.json").write_text(json.dumps(metrics))
    if iroas is not None:
        inc = {"metrics": {"iroas": {"mean": iroas[0], "ci_low": 0.0, "ci_high": 9.0, "pooled": iroas[1]}}}
        (job / "incrementality.json").write_text(json.dumps(inc))
    return job


@pytest.fixture
def sweep(tmp_path: Path) -> Path:
    root = tmp_path / "sweep"
    make_job(root, 0, ["sim=quick", "strategy.budget=0"], "ok", purchases=100.0)
    make_job(root, 1, ["sim=quick", "strategy.budget=5000"], "failed", error="RuntimeError: boom")
    make_job(root, 2, ["sim=quick", "strategy.budget=10000"], None)
    make_job(root, 10, ["sim=quick", "strategy.budget=20000"], "ok", purchases=130.0, iroas=(2.0, 1.8))
    return root


PLANNED = [["sim=quick", f"strategy.budget={b}"] for b in (0, 5000, 10000, 15000, 20000, 25000, 30000, 35000, 0, 0, 0)]


def test_find_jobs_reads_each_outcome_and_adds_the_planned_jobs_that_never_started(sweep: Path) -> None:
    jobs = find_jobs(sweep, PLANNED)
    by_num = {j.num: j for j in jobs}
    assert [j.num for j in jobs] == list(range(11))  # job 10 sorts after 9, numerically
    assert by_num[0].status == "ok" and by_num[0].seconds == 1.5 and by_num[0].scenario == "s0"
    assert (by_num[1].status, by_num[1].error) == ("failed", "RuntimeError: boom")
    assert by_num[2].status == "incomplete" and by_num[2].overrides == ("sim=quick", "strategy.budget=10000")
    assert by_num[3].status == "not started" and by_num[3].run_dir is None
    assert by_num[3].overrides == ("sim=quick", "strategy.budget=15000")
    assert [j.num for j in find_jobs(sweep)] == [0, 1, 2, 10]  # without the plan: what is on disk


def test_the_table_has_one_row_per_job_swept_settings_as_columns_and_metric_summaries(sweep: Path) -> None:
    table = sweep_table(find_jobs(sweep), sweep)
    t = table.table
    assert table.params == ["strategy.budget"]  # sim=quick is the same in every job: not a scenario parameter
    assert list(t.columns[:4]) == ["job", "status", "scenario", "strategy.budget"]
    assert t["strategy.budget"].tolist() == [0, 5000, 10000, 20000]
    assert pd.api.types.is_integer_dtype(t["strategy.budget"])  # numbers stay numbers (budget-response curves)
    assert t["status"].tolist() == ["ok", "failed", "incomplete", "ok"]
    assert t["run_dir"].tolist() == ["0", "1", "2", "10"]  # relative to the sweep directory
    assert t["purchases.mean"].tolist()[0] == 100.0 and pd.isna(t["purchases.mean"][1])
    assert t.loc[3, ["purchases.ci_low", "purchases.ci_high"]].tolist() == [128.0, 132.0]
    assert t["roas.mean"].isna().all()  # null in metrics.json -> NaN
    assert t.loc[3, "iroas.pooled"] == 1.8 and pd.isna(t.loc[0, "iroas.mean"])  # incrementality joins in
    assert t.loc[0, "seed"] == 42 and t.loc[0, "replications"] == 2
    assert table.failures["job"].tolist() == [1, 2]
    assert table.failures["error"].tolist()[0] == "RuntimeError: boom"
    assert table.counts() == {"ok": 2, "failed": 1, "incomplete": 1}


def test_written_files_round_trip_and_nothing_temporary_is_left(sweep: Path) -> None:
    table = sweep_table(find_jobs(sweep, PLANNED), sweep)
    write_sweep_table(sweep, table)
    parquet = pd.read_parquet(sweep / SWEEP_PARQUET)
    csv = pd.read_csv(sweep / SWEEP_CSV)
    assert len(parquet) == len(csv) == 11
    assert parquet["purchases.mean"].tolist()[:1] == csv["purchases.mean"].tolist()[:1] == [100.0]
    assert parquet["strategy.budget"].tolist() == csv["strategy.budget"].tolist()
    failures = pd.read_csv(sweep / FAILURES_CSV)
    assert failures["status"].tolist() == ["failed", "incomplete", *["not started"] * 7]
    assert not list(sweep.glob(".*.tmp"))


def test_a_finished_sweep_writes_an_empty_failure_list(tmp_path: Path) -> None:
    make_job(tmp_path, 0, ["sim.seed=1"], "ok", purchases=1.0)
    make_job(tmp_path, 1, ["sim.seed=2"], "ok", purchases=2.0)
    table = sweep_table(find_jobs(tmp_path), tmp_path)
    write_sweep_table(tmp_path, table)
    assert pd.read_csv(tmp_path / FAILURES_CSV).empty
    assert table.params == ["sim.seed"]


def test_override_keys_values_and_labels() -> None:
    assert override_key_value("strategy.budget=5000") == ("strategy.budget", "5000")
    assert override_key_value("+strategy.x=a=b") == ("strategy.x", "a=b")
    assert override_key_value("++sim.seed=3") == ("sim.seed", "3")
    assert override_key_value("~strategy") is None
    assert job_label({"strategy": "balanced", "strategy.budget": 5000.0, "x": None}) == (
        "strategy=balanced strategy.budget=5000"
    )


def test_swept_keys_keep_given_keys_first() -> None:
    from journeysim.io.sweep import SweepJob

    jobs = [SweepJob(0, None, "ok", ("a=1", "b=1")), SweepJob(1, None, "ok", ("a=1", "b=2", "c=3"))]
    assert swept_keys(jobs) == ["b", "c"]  # c is absent from job 0: it differs too
    assert swept_keys(jobs, ["a"]) == ["a", "b", "c"]


def test_load_yaml_reads_what_safe_load_reads() -> None:
    """The libyaml reader gives the same data as `yaml.safe_load`: scalars of every kind Hydra records write, nested
    lists and mappings, and a None for an empty document."""
    import yaml

    from journeysim.io.rundir import load_yaml

    text = (
        "hydra:\n  job:\n    num: 7\n    name: app\n  overrides:\n    task:\n    - strategy.budget=5000\n"
        "    - 'sim.seed=3'\n  flag: true\n  rate: 1.5e-3\n  when: 2027-01-01\n  none: null\n"
        "list: [1, 2.0, 'x', {a: b}]\n"
    )
    assert load_yaml(text) == yaml.safe_load(text)
    assert load_yaml(text)["hydra"]["overrides"]["task"] == ["strategy.budget=5000", "sim.seed=3"]
    assert load_yaml("") is None
