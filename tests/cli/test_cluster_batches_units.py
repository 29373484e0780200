"""The Ray and SLURM batch launchers' own parts, without Ray or SLURM: splitting, gathering, what travels."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from omegaconf import OmegaConf

from journeysim.cli.batch_launcher import batches_of, in_job_order
from journeysim.cli.cluster_batches import RayBatchLauncher, SubmititLocalBatchLauncher, _gather, _shippable


def test_jobs_are_dealt_into_one_batch_per_worker_and_their_results_put_back_in_order() -> None:
    jobs = [(n, None) for n in range(7)]
    batches = batches_of(jobs, 3)
    assert [[n for n, _ in b] for b in batches] == [[0, 3, 6], [1, 4], [2, 5]]  # type: ignore[arg-type]
    assert len(batches_of(jobs, 40)) == 7  # never an empty batch
    assert len(batches_of(jobs, 0)) == 1
    done = [f"run{n}" for b in batches for n, _ in b]  # what the workers return, batch after batch
    assert in_job_order(done, [len(b) for b in batches]) == [f"run{n}" for n in range(7)]


def test_a_lost_batch_is_raised_after_the_others_are_gathered() -> None:
    seen: list[str] = []

    def result(handle: str) -> list[str]:
        seen.append(handle)
        if handle == "b":
            raise RuntimeError("worker died")
        return [handle + "0", handle + "1"]

    with pytest.raises(RuntimeError, match="worker died"):
        _gather(["a", "b", "c"], result)
    assert seen == ["a", "b", "c"]  # c was still waited for
    assert _gather(["a", "c"], result) == ["a0", "a1", "c0", "c1"]  # in job order


def test_the_driver_only_shortcut_does_not_travel_and_is_restored() -> None:
    class Loader:
        def load_sweep_config(self) -> str:
            return "composed"

    loader = Loader()
    loader.load_sweep_config = lambda: "shortcut"  # type: ignore[method-assign]
    work = {"context": SimpleNamespace(config_loader=loader)}
    with _shippable(work):
        assert loader.load_sweep_config() == "composed"
    assert loader.load_sweep_config() == "shortcut"


def test_worker_counts() -> None:
    ray = OmegaConf.create({"init": {"address": "local"}, "remote": {"num_cpus": 1}})
    assert RayBatchLauncher(ray=ray, n_jobs=-1).auto
    fixed = RayBatchLauncher(ray=ray, n_jobs=3)
    assert not fixed.auto
    assert fixed.n_jobs == 3 and fixed.remote == {"num_cpus": 1}
    assert SubmititLocalBatchLauncher(n_jobs=-1, array_parallelism=5, submitit_folder="x").n_jobs == 5
    assert SubmititLocalBatchLauncher(n_jobs=4, submitit_folder="x").n_jobs == 4


def test_the_drivers_checked_jobs_travel_with_their_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker's `_run_batch` finds each job as the driver checked it (no second validation there)."""
    from hydra import initialize_config_dir
    from hydra.core.singleton import Singleton

    from journeysim.cli import cluster_batches
    from journeysim.cli.jobs import JobConfigs
    from journeysim.cli.state import STATE

    job = OmegaConf.create({"hydra": {"overrides": {"task": ["strategy.budget=5"]}}})
    other = OmegaConf.create({"hydra": {"overrides": {"task": ["strategy.budget=6"]}}})
    driver = JobConfigs(None, OmegaConf.create({}))
    driver.checked[("strategy.budget=5",)] = ("scenario", {"resolved": 1})
    monkeypatch.setattr(STATE, "job_configs", driver)
    shipped = cluster_batches._checked([(0, job), (1, other)])
    assert shipped == {("strategy.budget=5",): ("scenario", {"resolved": 1})}  # job 1 was not checked: not sent

    seen = {}
    monkeypatch.setattr(cluster_batches, "run_batch_with", lambda work, jobs: seen.update(STATE.job_configs.checked))
    monkeypatch.setattr(STATE, "job_configs", None)  # a fresh worker process
    conf = str((Path(__file__).parents[2] / "conf").resolve())
    with initialize_config_dir(conf, version_base=None):
        cluster_batches.run_batch_on_worker({"config": OmegaConf.create({})}, Singleton.get_state(), [], shipped)
    assert seen == shipped
