"""The `journeysim` console script end to end: default run, outputs, summary, dry run, sweeps, help."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from journeysim.io import OUTPUT_FILES


def _run_dirs(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.rglob("status.json"))


def test_default_run_writes_every_output_and_prints_the_funnel(tmp_path: Path, journeysim_cli) -> None:
    res = journeysim_cli([], cwd=tmp_path)  # exactly what a user types: the default scenario
    assert res.code == 0, res.err
    (run_dir,) = _run_dirs(tmp_path / "outputs")
    for name in OUTPUT_FILES:
        assert (run_dir / name).is_file(), name
    assert not (run_dir / "incrementality.json").exists()  # no spend: baseline auto has nothing to compare with
    assert (run_dir / "journeysim.log").is_file()  # logging goes through Hydra
    assert "Funnel: customer_journey" in res.out and "conversion rate" in res.out and "95% CI" in res.out
    assert "Traceback" not in res.err

    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["scenario"] == "customer_journey-b2c"
    assert (metrics["seed"], metrics["replications"]) == (42, 5)
    conv = metrics["metrics"]["conversion_rate"]
    assert set(conv) == {"mean", "std", "ci_low", "ci_high", "replications"}
    assert conv["replications"] == 5 and conv["ci_low"] <= conv["mean"] <= conv["ci_high"]

    status = json.loads((run_dir / "status.json").read_text())
    assert status["status"] == "ok" and status["error"] is None and status["overrides"] == []
    assert status["timings_s"]["simulate"] > 0

    funnel = pd.read_csv(run_dir / "funnel.csv")
    assert funnel["stage"].tolist()[:2] == ["awareness", "interest"]
    ts = pd.read_parquet(run_dir / "timeseries.parquet")
    assert ts["day"].max() == 364
    resolved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert resolved["name"] == "customer_journey-b2c"  # interpolations resolved
    assert resolved["sim"]["horizon_days"] == 365


def test_overrides_are_recorded_and_change_the_run(tmp_path: Path, journeysim_cli, tiny) -> None:
    stale = tmp_path / "run" / "incrementality.json"  # left by an earlier run in the same directory
    stale.parent.mkdir()
    stale.write_text("{}")
    res = journeysim_cli([*tiny, "journey=marketing_funnel", "sim.seed=7", "hydra.run.dir=run"], cwd=tmp_path)
    assert res.code == 0, res.err
    status = json.loads((tmp_path / "run" / "status.json").read_text())
    assert status["overrides"] == [*tiny, "journey=marketing_funnel", "sim.seed=7"]
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert (metrics["journey"], metrics["seed"], metrics["horizon_days"]) == ("marketing_funnel", 7, 90)
    assert not stale.exists() and "incrementality.json" not in status["files"]  # this run has no baseline


def test_report_and_bottlenecks_can_be_switched_off(tmp_path: Path, journeysim_cli, tiny) -> None:
    stale = tmp_path / "run" / "report.html"  # left by an earlier, unfinished run in the same directory
    stale.parent.mkdir()
    stale.write_text("<html>old</html>")
    args = [*tiny, "outputs.report=false", "outputs.bottlenecks=false", "hydra.run.dir=run"]
    res = journeysim_cli(args, cwd=tmp_path)
    assert res.code == 0, res.err
    status = json.loads((tmp_path / "run" / "status.json").read_text())
    assert status["status"] == "ok" and not set(status["files"]) & {"report.html", "bottlenecks.csv"}
    assert not stale.exists() and not (tmp_path / "run" / "charts").exists()
    assert {"report", "bottlenecks"}.isdisjoint(status["timings_s"]) and "simulate" in status["timings_s"]
    for name in ("metrics.json", "samples.parquet", "funnel.csv", "timeseries.parquet", "config.yaml"):
        assert name in status["files"] and (tmp_path / "run" / name).is_file()


def test_check_validates_and_prints_without_running(journeysim_inproc, tree) -> None:
    res = journeysim_inproc("check", "--full", "population=b2b", "sim.replications=3")
    assert res.code == 0, res.err
    assert "OK: scenario 'customer_journey-b2b'" in res.out
    assert "replications: 3" in res.out  # the resolved config is printed
    assert tree(Path.cwd()) == []  # nothing written


def test_check_validates_every_sweep_job(journeysim_inproc, tree) -> None:
    res = journeysim_inproc("check", "-m", "journey=marketing_funnel,sales_funnel_b2b", "sim.seed=1,2")
    assert res.code == 0, res.err
    assert res.out.count(" OK: scenario") == 4
    assert "All 4 jobs are valid" in res.out
    assert tree(Path.cwd()) == []


def test_sweep_with_the_basic_launcher(tmp_path: Path, journeysim_cli, tiny) -> None:
    res = journeysim_cli(["-m", *tiny, "sim.seed=1,2", "hydra.sweep.dir=sweep"], cwd=tmp_path)
    assert res.code == 0, res.err
    jobs = _run_dirs(tmp_path / "sweep")
    assert [p.name for p in jobs] == ["0", "1"]
    for job in jobs:
        assert all((job / name).is_file() for name in OUTPUT_FILES)
    m0, m1 = (json.loads((j / "metrics.json").read_text()) for j in jobs)
    assert (m0["seed"], m1["seed"]) == (1, 2)
    assert m0["metrics"]["purchases"]["mean"] != m1["metrics"]["purchases"]["mean"]


@pytest.mark.slow
def test_sweep_with_the_joblib_launcher_matches_the_basic_launcher(tmp_path: Path, journeysim_cli, tiny) -> None:
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    res = journeysim_cli(["-m", "hydra/launcher=parallel", *tiny, "sim.seed=1,2", "hydra.sweep.dir=par"], cwd=tmp_path)
    assert res.code == 0, res.err
    basic = journeysim_cli(["-m", *tiny, "sim.seed=1,2", "hydra.sweep.dir=seq"], cwd=tmp_path)
    assert basic.code == 0, basic.err
    for job in ("0", "1"):
        par = json.loads((tmp_path / "par" / job / "metrics.json").read_text())
        seq = json.loads((tmp_path / "seq" / job / "metrics.json").read_text())
        assert par == seq  # same config + seed = identical results, whatever launcher runs it


def test_help_lists_groups_and_verbs_but_no_schemas(journeysim_inproc, tree) -> None:
    res = journeysim_inproc("--help")
    assert res.code == 0
    assert "journeysim check" in res.out
    journeys = "bgnbd, buyer_to_customer, customer_journey, marketing_funnel, paretonbd, sales_funnel_b2b"
    assert f"journey: {journeys}" in res.out
    assert "population: b2b, b2c, bgnbd, mixed, paretonbd" in res.out
    assert "_schema" not in res.out.split("== Config ==")[0]  # schemas are not user choices
    assert tree(Path.cwd()) == []


def test_a_failing_run_records_the_error_in_status_json(
    journeysim_inproc, monkeypatch: pytest.MonkeyPatch, tiny
) -> None:
    import journeysim.cli.task

    def broken(*args, **kwargs):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(journeysim.cli.task, "run_study", broken)
    res = journeysim_inproc(*tiny, "hydra.run.dir=run")
    assert res.code == 1  # a failure of the run, not bad input
    status = json.loads((Path.cwd() / "run" / "status.json").read_text())
    assert status["status"] == "failed"
    assert status["error"] == "RuntimeError: engine exploded"
    assert "Traceback" in status["traceback"] and "in broken" in status["traceback"]  # where it failed


GROUND_TRUTH = ["population=mixed", "population.scale=0.02", "sim=quick", "sim.replications=3", "sim.event_log=true"]


def test_a_run_writes_the_ground_truth_as_parquet(tmp_path: Path, journeysim_cli) -> None:
    res = journeysim_cli([*GROUND_TRUTH, "hydra.run.dir=run"], cwd=tmp_path)
    assert res.code == 0, res.err
    run = tmp_path / "run"
    events, customers = pd.read_parquet(run / "events.parquet"), pd.read_parquet(run / "customers.parquet")
    status = json.loads((run / "status.json").read_text())
    assert {"events.parquet", "customers.parquet"} <= set(status["files"])
    samples = pd.read_parquet(run / "samples.parquet")
    assert customers.groupby("replication")["purchases"].sum().tolist() == samples["purchases"].tolist()
    assert str(events["to_stage"].dtype) == "category" and len(events) > len(customers)


def test_sweep_jobs_show_their_place_in_the_sweep(journeysim_inproc, tiniest, monkeypatch) -> None:
    import contextlib

    import journeysim.cli.task as task

    labels: list[tuple[int, str]] = []

    @contextlib.contextmanager
    def recording(total: int, label: str, console=None, sweep=None):  # type: ignore[no-untyped-def]
        labels.append((total, label))
        yield lambda done, of, what=None: None

    monkeypatch.setattr(task, "replication_progress", recording)
    res = journeysim_inproc("-m", *tiniest, "sim.seed=1,2,3", "baseline=null", "hydra.sweep.dir=s")
    assert res.code == 0, res.err
    assert [label for _, label in labels] == [f"job {n} of 3: simulating customer_journey-b2c" for n in (1, 2, 3)]
    single = journeysim_inproc(*tiniest, "hydra.run.dir=r")
    assert single.code == 0 and labels[-1] == (2, "simulating customer_journey-b2c")
