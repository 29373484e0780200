"""Sweeps survive failed jobs and end with one tidy table; `collect` rebuilds it for any sweep directory;
concurrent sweeps never share a directory.

Failures are injected with the test-only environment variable JOURNEYSIM_FAIL_JOB (job numbers that fail after
validation, inside the task), so the failing job passes validation exactly like a real runtime failure would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

FAIL = "JOURNEYSIM_FAIL_JOB"


def _assert_survived(sweep: Path, failed: int, ok: int, error_text: str) -> pd.DataFrame:
    """The table lists every job, the failed one with its error; the finished one kept all its outputs."""
    table = pd.read_parquet(sweep / "sweep.parquet")
    assert table["job"].tolist() == [0, 1]
    assert table["sim.seed"].tolist() == [1, 2]  # the swept setting, as a column
    assert table.loc[failed, "status"] == "failed" and table.loc[ok, "status"] == "ok"
    assert error_text in table.loc[failed, "error"]
    assert pd.isna(table.loc[failed, "purchases.mean"]) and table.loc[ok, "purchases.mean"] > 0
    assert table.loc[ok, "purchases.ci_low"] <= table.loc[ok, "purchases.mean"] <= table.loc[ok, "purchases.ci_high"]
    csv = pd.read_csv(sweep / "sweep.csv")
    assert csv["status"].tolist() == table["status"].tolist()
    failures = pd.read_csv(sweep / "failures.csv")
    assert failures["job"].tolist() == [failed] and error_text in failures.loc[0, "error"]
    status = json.loads((sweep / str(failed) / "status.json").read_text())
    assert status["status"] == "failed" and error_text in status["error"]
    finished = sweep / str(ok)
    for name in ("metrics.json", "samples.parquet", "report.html", "bottlenecks.csv", "status.json"):
        assert (finished / name).is_file(), name
    assert not (finished / "incrementality.json").exists()  # baseline=null
    return table


def test_a_failing_job_does_not_stop_the_sweep_and_is_listed(journeysim_cli, tmp_path: Path, tiniest) -> None:
    args = ["-m", *tiniest, "sim.seed=1,2", "strategy=balanced", "baseline=null", "hydra.sweep.dir=sweep"]
    res = journeysim_cli(args, cwd=tmp_path, env={FAIL: "0"})
    assert res.code == 1, res.err  # not every job succeeded: scripts see it, but the sweep went on
    assert "not every sweep job succeeded (1 failed, of 2 jobs)" in res.err
    assert "sweep job 0 failed: RuntimeError: injected failure" in res.err
    assert "Traceback" not in res.err
    assert "Sweep sweep: 2 jobs (1 ok, 1 failed)" in res.out
    _assert_survived(tmp_path / "sweep", failed=0, ok=1, error_text="injected failure")


@pytest.mark.slow
def test_the_joblib_launcher_survives_a_failing_job_too(journeysim_cli, tmp_path: Path, tiniest) -> None:
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    args = ["-m", "hydra/launcher=parallel", *tiniest, "sim.seed=1,2", "baseline=null", "hydra.sweep.dir=par"]
    res = journeysim_cli(args, cwd=tmp_path, env={FAIL: "1"})
    assert res.code == 1, res.err
    _assert_survived(tmp_path / "par", failed=1, ok=0, error_text="injected failure")


def test_collect_rebuilds_the_table_of_a_partial_sweep(
    journeysim_inproc, monkeypatch: pytest.MonkeyPatch, tiniest
) -> None:
    monkeypatch.setenv(FAIL, "1,2")
    res = journeysim_inproc("-m", *tiniest, "sim.seed=1,2,3", "hydra.sweep.dir=sweep")
    assert res.code == 1
    sweep = Path.cwd() / "sweep"
    assert pd.read_parquet(sweep / "sweep.parquet")["status"].tolist() == ["ok", "failed", "failed"]
    # job 1: killed before it finished (no status.json); job 2: never started
    (sweep / "1" / "status.json").unlink()
    shutil.rmtree(sweep / "2")
    for name in ("sweep.parquet", "sweep.csv", "failures.csv"):
        (sweep / name).unlink()
    res = journeysim_inproc("collect", "sweep")
    assert res.code == 0, res.err
    assert "3 jobs (1 ok, 1 incomplete, 1 not started)" in res.out
    assert "job 1 incomplete: no status.json: still running, or killed" in res.out
    table = pd.read_csv(sweep / "sweep.csv", dtype={"run_dir": str})
    assert table["status"].tolist() == ["ok", "incomplete", "not started"]
    assert table["sim.seed"].tolist() == [1, 2, 3]  # the never-started job's settings come from multirun.yaml
    assert table["run_dir"].tolist()[:2] == ["0", "1"] and pd.isna(table["run_dir"][2])
    assert pd.read_csv(sweep / "failures.csv")["job"].tolist() == [1, 2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing"], "'missing' is not a directory"),
        (["empty"], "no sweep jobs in 'empty'"),
        (["run"], "is a single run's directory, not a sweep"),
    ],
)
def test_collect_rejects_what_is_not_a_sweep(journeysim_inproc, tree, args: list[str], message: str) -> None:
    (Path.cwd() / "empty").mkdir()
    (Path.cwd() / "run" / ".hydra").mkdir(parents=True)
    before = tree(Path.cwd())
    res = journeysim_inproc("collect", *args)
    assert res.code == 2 and message in res.err and "Traceback" not in res.err
    assert tree(Path.cwd()) == before


@pytest.mark.slow
def test_two_sweeps_started_at_once_never_share_a_directory(tmp_path: Path, tiniest) -> None:
    """Default sweep directories carry microseconds; each sweep's jobs stay in its own (basic and joblib)."""
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    base = ["journeysim", "-m", *tiniest, "sim.seed=1,2", "baseline=null"]
    procs = [
        subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for cmd in (base, [*base, "hydra/launcher=parallel"])
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    sweeps = sorted(p.parent for p in tmp_path.glob("multirun/*/*/multirun.yaml"))
    assert len(sweeps) == 2
    for sweep in sweeps:
        assert sorted(p.parent.name for p in sweep.glob("*/status.json")) == ["0", "1"]
        assert pd.read_parquet(sweep / "sweep.parquet")["status"].tolist() == ["ok", "ok"]
