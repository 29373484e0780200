"""A batch sweep with Hydra's default, time-stamped sweep directory: the jobs and the sweep table share it.

Jobs derived from one composed config must resolve `${now:...}` as the sweep does (Hydra copies the driver's resolver
cache into every job's config); a job config made before the sweep resolved its directory once wrote its job
directories under another time stamp than the sweep table.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_jobs_and_the_sweep_table_share_the_default_sweep_dir(tmp_path: Path) -> None:
    args = ["strategy=balanced", "sim=quick", "population.scale=0.01", "sim.replications=1"]
    proc = subprocess.run(
        [sys.executable, "-m", "journeysim.cli.app", "-m", *args, "strategy.budget=0,5000", "hydra/launcher=batch"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    sweeps = [p for p in (tmp_path / "multirun").glob("*/*") if p.is_dir()]
    assert len(sweeps) == 1, sweeps
    assert {p.name for p in sweeps[0].iterdir()} >= {"0", "1", "sweep.csv", "sweep.parquet"}
    assert (sweeps[0] / "0" / "metrics.json").is_file() and (sweeps[0] / "1" / "metrics.json").is_file()
