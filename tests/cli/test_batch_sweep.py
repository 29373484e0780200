"""The batch path and the one-job-per-variant CLI path give byte-identical per-variant metrics.

`journeysim -m strategy.budget=...` (one Hydra job per budget, each simulated alone) against `js.run_many` (the
base composed once, the budgets applied as config keys, the variants in one stacked pass, one shared baseline).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import journeysim as js
from journeysim.errors import ConfigError
from journeysim.io.outputs import metrics_document

BASE = ["strategy=balanced", "sim.replications=2", "population.scale=0.03", "sim.seed=5"]
BUDGETS = (0, 40_000, 150_000)


@pytest.mark.slow
def test_cli_jobs_and_the_batch_write_the_same_metrics(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    args = [
        *BASE,
        f"strategy.budget={','.join(map(str, BUDGETS))}",
        "outputs.report=false",
        "outputs.bottlenecks=false",
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "journeysim.cli.app", "-m", *args, f"hydra.sweep.dir={sweep}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    batch = js.run_many(BASE, [{"strategy.budget": b} for b in BUDGETS])
    for job, study in enumerate(batch.studies):
        written = json.loads((sweep / str(job) / "metrics.json").read_text())
        mine = json.loads(json.dumps(metrics_document(study.run)))
        assert written["metrics"] == mine["metrics"]  # every metric's mean, std and interval, to the last bit
        if study.incrementality is not None:
            inc = json.loads((sweep / str(job) / "incrementality.json").read_text())
            assert (
                inc["metrics"]["incremental_purchases"]["mean"]
                == study.incrementality.metrics["incremental_purchases"].mean
            )


def test_a_variant_that_breaks_validation_names_the_variant_and_the_setting() -> None:
    with pytest.raises(ConfigError) as info:
        js.run_many(BASE, [{"strategy.budget": 1000}, {"strategy.budget": -5}])
    assert info.value.setting.startswith("variants[1].")


def _sweep(journeysim_cli, cwd: Path, name: str, *extra: str, env: dict[str, str] | None = None):
    args = ["-m", *BASE, f"strategy.budget={','.join(map(str, BUDGETS))}", f"hydra.sweep.dir={name}", *extra]
    return journeysim_cli(args, cwd, env=env)


@pytest.mark.slow
def test_the_batch_launcher_writes_every_job_as_the_basic_launcher_does(
    journeysim_cli, job_data, tmp_path: Path
) -> None:
    assert _sweep(journeysim_cli, tmp_path, "basic").code == 0
    done = _sweep(journeysim_cli, tmp_path, "batch", "hydra/launcher=batch")
    assert done.code == 0, done.err[-2000:]
    for job in range(len(BUDGETS)):
        basic, batch = tmp_path / "basic" / str(job), tmp_path / "batch" / str(job)
        for name in job_data:
            if (basic / name).exists():
                assert (batch / name).read_bytes() == (basic / name).read_bytes(), f"job {job}: {name}"
        assert (basic / "report.html").exists() and not (batch / "report.html").exists()  # only where asked
        status = json.loads((batch / "status.json").read_text())
        assert status["status"] == "ok" and "report.html" not in status["files"]
    for table in ("sweep.csv", "sweep.parquet", "failures.csv"):
        assert (tmp_path / "batch" / table).exists()


@pytest.mark.slow
def test_a_failed_job_stays_its_own_and_resuming_keeps_the_completed_ones(journeysim_cli, tmp_path: Path) -> None:
    first = _sweep(journeysim_cli, tmp_path, "s", "hydra/launcher=batch", env={"JOURNEYSIM_FAIL_JOB": "1"})
    assert first.code == 1  # a sweep with a failed job
    sweep = tmp_path / "s"
    assert json.loads((sweep / "1" / "status.json").read_text())["status"] == "failed"
    assert "1" in (sweep / "failures.csv").read_text()
    kept = {j: (sweep / str(j) / "metrics.json").read_bytes() for j in (0, 2)}
    again = _sweep(journeysim_cli, tmp_path, "s", "hydra/launcher=batch")
    assert again.code == 0, again.err[-2000:]
    assert "2 of 3 jobs completed before and are kept" in again.err
    for j, before in kept.items():
        assert (sweep / str(j) / "metrics.json").read_bytes() == before
    assert json.loads((sweep / "1" / "status.json").read_text())["status"] == "ok"


def test_a_job_that_breaks_validation_exits_2_naming_it_and_writes_nothing(journeysim_cli, tmp_path: Path) -> None:
    bad = journeysim_cli(
        ["-m", "hydra/launcher=batch", *BASE, "strategy.budget=1000,-5", "hydra.sweep.dir=bad"], tmp_path
    )
    assert bad.code == 2
    assert "strategy" in bad.err and "Traceback" not in bad.err
    assert not (tmp_path / "bad").exists()


def _records(sweep: Path, job: int) -> dict[str, list[str]]:
    """A job's `.hydra` records, less the lines that name where it ran or the `lean` switch itself."""
    out = {}
    for name in ("config.yaml", "hydra.yaml", "overrides.yaml"):
        lines = (sweep / str(job) / ".hydra" / name).read_text().splitlines()
        out[name] = [ln for ln in lines if "lean" not in ln and str(sweep.parent) not in ln]
    return out


@pytest.mark.slow
def test_lean_jobs_write_the_records_hydras_run_job_writes(journeysim_cli, job_data, tmp_path: Path) -> None:
    for name, lean in (("lean", "true"), ("hydra", "false")):
        (tmp_path / name).mkdir()
        done = _sweep(journeysim_cli, tmp_path / name, "s", "hydra/launcher=batch", f"hydra.launcher.lean={lean}")
        assert done.code == 0, done.err[-2000:]
    for job in range(len(BUDGETS)):
        lean, hydra = _records(tmp_path / "lean" / "s", job), _records(tmp_path / "hydra" / "s", job)
        assert lean == hydra, f"job {job}"
        assert len(lean["hydra.yaml"]) > 100  # the whole Hydra config, not a stand-in
        for name in job_data:
            a, b = tmp_path / "lean" / "s" / str(job) / name, tmp_path / "hydra" / "s" / str(job) / name
            assert a.exists() == b.exists() and (not a.exists() or a.read_bytes() == b.read_bytes()), name
