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
