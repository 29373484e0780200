"""What a run directory holds, seen from a job about to write into it (journeysim.io.resume)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from journeysim.io.resume import Found, completed, found, result_means

CONFIG = "sim:\n  seed: 1\n  replications: 2\n"


def _run_dir(tmp_path: Path, status: str | None = "ok", files: tuple[str, ...] = ("metrics.json",)) -> Path:
    run = tmp_path / "run"
    run.mkdir(parents=True)
    (run / "config.yaml").write_text(CONFIG)
    (run / "metrics.json").write_text(json.dumps({"metrics": {"purchases": {"mean": 12.5}, "cac": {"mean": None}}}))
    if status is not None:
        doc = {"status": status, "overrides": ["sim.seed=1"], "files": [*files, "config.yaml"]}
        (run / "status.json").write_text(json.dumps(doc))
    return run


def test_a_completed_result_of_the_same_job_is_kept(tmp_path: Path) -> None:
    run = _run_dir(tmp_path)
    assert completed(run)
    assert found(run, ["sim.seed=1"], CONFIG) is Found.SAME
    assert found(run, ["sim.seed=1"], "sim:\n  replications: 2\n  seed: 1\n") is Found.SAME  # same mapping


def test_another_jobs_result_is_never_ours(tmp_path: Path) -> None:
    run = _run_dir(tmp_path)
    assert found(run, ["sim.seed=2"], CONFIG) is Found.OTHER  # other overrides
    assert found(run, ["sim.seed=1"], CONFIG.replace("2", "3")) is Found.OTHER  # same overrides, other config


def test_unfinished_failed_or_damaged_runs_are_not_results(tmp_path: Path) -> None:
    assert found(tmp_path / "absent", [], CONFIG) is Found.NOTHING
    killed = _run_dir(tmp_path / "a", status=None)  # killed before status.json: never trusted
    assert not completed(killed) and found(killed, ["sim.seed=1"], CONFIG) is Found.NOTHING
    failed = _run_dir(tmp_path / "b", status="failed")
    assert found(failed, ["sim.seed=2"], CONFIG) is Found.NOTHING
    missing = _run_dir(tmp_path / "c", files=("metrics.json", "funnel.csv"))  # lists a file that is not there
    assert not completed(missing)
    garbled = _run_dir(tmp_path / "d")
    (garbled / "status.json").write_text('{"status": "ok", "fil')  # cannot happen with atomic writes; still not ok
    assert not completed(garbled)


def test_result_means_read_back_with_nan_for_undefined(tmp_path: Path) -> None:
    means, increments = result_means(_run_dir(tmp_path))
    assert means["purchases"] == 12.5 and math.isnan(means["cac"]) and increments is None
