"""`hydra/launcher=ray_batch`, `slurm_batch`, `slurm_local_batch`: the batch launcher's batches on Ray and SLURM.

The unit of work is the batch launcher's (`cli.batch_launcher`): the driver derives every job's config from one
composed config (`JobConfigs`: one copy per job) and deals the jobs into `n_jobs` batches;
each batch goes to one worker as one Ray task (`ray.remote`) or one element of a submitit job array
(`executor.map_array`), with the job configs, Hydra's context (callbacks) and the task pickled by cloudpickle, so
the worker composes nothing. On the worker, `run_batch` validates the batch's jobs, leaves out completed ones
(resume), simulates the rest in stacked passes and runs each job through Hydra's `run_job`: every job's files,
status.json included, are written where it runs (a failure stays that job's), and the driver's `on_multirun_end`
collects the sweep table from the job directories, as with every other launcher.

The per-job presets (`ray_local`, `ray_cluster`, `slurm`, `slurm_local`) stay as they were: Hydra's own launchers,
one job per task, every output (report.html included) as a single run writes it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import multiprocessing
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hydra.core.global_hydra import GlobalHydra
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, setup_globals
from omegaconf import DictConfig, OmegaConf, open_dict

from journeysim.cli.batch_launcher import JourneysimBatchLauncher, _comparison, in_job_order
from journeysim.cli.batch_work import run_batch_with
from journeysim.cli.jobs import JobConfigs
from journeysim.cli.state import STATE
from journeysim.study.batch import STACK

log = logging.getLogger(__name__)

Batch = list[tuple[int, DictConfig]]


Checked = dict[tuple[str, ...], tuple[Any, dict[str, Any]]]


def _checked(batch: Batch) -> Checked:
    """The batch's jobs as the driver's validation checked them (scenario, resolved config), so the worker does
    not validate them again (~16 ms a job); jobs the driver did not check are validated on the worker."""
    made = STATE.job_configs
    if not isinstance(made, JobConfigs):
        return {}
    keys = (tuple(str(o) for o in cfg.hydra.overrides.task) for _, cfg in batch)
    return {key: made.checked[key] for key in keys if key in made.checked}


def run_batch_on_worker(
    work: dict[str, Any], singleton_state: dict[Any, Any], jobs: Batch, checked: Checked, job_id: str | None = None
) -> list[JobReturn]:
    """One batch in a worker process (a Ray task, a submitit array element): Hydra's global state as the driver
    had it (config store, plugins, the config loader) and the driver's checked jobs, then the batch launcher's
    `run_batch`. `job_id`: the scheduler's id for the batch, recorded as each job's `hydra.job.id`."""
    setup_globals()
    Singleton.set_state(singleton_state)
    STATE.job_configs = None
    if checked:
        STATE.job_configs = JobConfigs(GlobalHydra.instance().config_loader(), work["config"])
        STATE.job_configs.checked.update(checked)
    if job_id is not None:
        for _, cfg in jobs:
            with open_dict(cfg):
                cfg.hydra.job.id = job_id
    return run_batch_with(work, jobs)


def _submitit_batch(
    work: dict[str, Any], singleton_state: dict[Any, Any], jobs: Batch, checked: Checked
) -> list[JobReturn]:
    """`run_batch_on_worker` inside a submitit job: each job records the array element's id (`12345_3`)."""
    import submitit

    return run_batch_on_worker(work, singleton_state, jobs, checked, str(submitit.JobEnvironment().job_id))


@contextlib.contextmanager
def _shippable(work: dict[str, Any]) -> Iterator[None]:
    """While the batches are pickled: the config loader without the driver-only shortcut the batch launcher set
    on it (`_reuse_checked_configs`, which refers to the driver's whole sweep state); restored afterwards."""
    loader = work["context"].config_loader
    patched = loader.__dict__.pop("load_sweep_config", None)
    try:
        yield
    finally:
        if patched is not None:
            loader.load_sweep_config = patched


class ClusterBatchLauncher(JourneysimBatchLauncher):
    """The batch launcher with the worker pool replaced by remote workers (`_workers`, `_submit`)."""

    def _workers(self) -> int:
        return self.n_jobs

    def _submit(self, batches: list[Batch]) -> list[JobReturn]:
        raise NotImplementedError

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        """Run the jobs in batches, one per remote worker, and return their results in job order."""
        jobs, batches = self._batches(job_overrides, initial_job_idx, self._workers())
        assert self.config is not None
        log.info(
            "%s: %d jobs in %d batches of %s",
            type(self).__name__,
            len(jobs),
            len(batches),
            ",".join(str(len(b)) for b in batches),
        )
        with _shippable(self.work()):
            runs = in_job_order(self._submit(batches), [len(b) for b in batches])
        if self.comparison and len(runs) > 1:
            _comparison(Path(str(self.config.hydra.sweep.dir)))
        return runs


class RayBatchLauncher(ClusterBatchLauncher):
    """One Ray task per batch; `n_jobs` batches (-1: one per task slot of the Ray cluster, its CPUs divided by
    `ray.remote.num_cpus`). `ray.init` and `ray.remote` take the same settings as hydra-ray-launcher's."""

    def __init__(
        self, ray: Any, n_jobs: int = -1, stack: int = STACK, reports: bool = False, comparison: bool = False
    ) -> None:
        super().__init__(n_jobs=max(n_jobs, 1), stack=stack, reports=reports, comparison=comparison)
        self.auto = n_jobs <= 0
        plain = OmegaConf.to_container(ray, resolve=True) if OmegaConf.is_config(ray) else dict(ray or {})
        assert isinstance(plain, dict)
        self.init: dict[str, Any] = dict(plain.get("init") or {})
        self.remote: dict[str, Any] = dict(plain.get("remote") or {})

    def _workers(self) -> int:
        import ray

        if not ray.is_initialized():
            log.info("Initializing ray with config: %s", self.init)
            ray.init(**self.init)
        if not self.auto:
            return self.n_jobs
        slot = float(self.remote.get("num_cpus") or 1)
        return max(1, int(float(ray.cluster_resources().get("CPU", 1)) // slot))

    def _submit(self, batches: list[Batch]) -> list[JobReturn]:
        import ray

        task = ray.remote(**self.remote)(run_batch_on_worker) if self.remote else ray.remote(run_batch_on_worker)
        work, state = self.work(), Singleton.get_state()
        refs = [task.remote(work, state, batch, _checked(batch)) for batch in batches]
        return _gather(refs, ray.get)


def _gather(handles: Sequence[Any], result: Any) -> list[JobReturn]:
    """Every batch's job results in order; a batch whose worker died is raised after the others have finished
    (their jobs' files are complete either way, and `journeysim resume` reruns the lost batch's jobs)."""
    runs: list[JobReturn] = []
    lost: BaseException | None = None
    for handle in handles:
        try:
            runs.extend(result(handle))
        except Exception as exc:
            log.error("a batch was lost: %s", exc)
            lost = lost or exc
    if lost is not None:
        raise lost
    return runs


class SubmititBatchLauncher(ClusterBatchLauncher):
    """One submitit job-array element per batch (`executor.map_array`); `n_jobs` batches (-1: one per core for
    the local executor, `array_parallelism` for SLURM). Every other setting is hydra-submitit-launcher's."""

    _EXECUTOR = "abstract"

    def __init__(
        self, n_jobs: int = -1, stack: int = STACK, reports: bool = False, comparison: bool = False, **params: Any
    ) -> None:
        self.params: dict[str, Any] = {
            k: OmegaConf.to_container(v, resolve=True) if OmegaConf.is_config(v) else v for k, v in params.items()
        }
        if n_jobs <= 0:
            n_jobs = int(self.params.get("array_parallelism") or multiprocessing.cpu_count())
        super().__init__(n_jobs=n_jobs, stack=stack, reports=reports, comparison=comparison)

    def _executor(self) -> Any:
        """submitit's executor for the preset's settings, built as hydra-submitit-launcher builds it."""
        import submitit
        from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf

        params = dict(self.params)
        init: dict[str, Any] = {"folder": params.pop("submitit_folder")}
        if "max_num_timeout" in params:
            init[f"{self._EXECUTOR}_max_num_timeout"] = params.pop("max_num_timeout")
        executor = submitit.AutoExecutor(cluster=self._EXECUTOR, **init)
        base = set(OmegaConf.structured(BaseQueueConf).keys())
        executor.update_parameters(**{k if k in base else f"{self._EXECUTOR}_{k}": v for k, v in params.items()})
        return executor

    def _submit(self, batches: list[Batch]) -> list[JobReturn]:
        executor = self._executor()
        unit = functools.partial(_submitit_batch, self.work(), Singleton.get_state())
        submitted = executor.map_array(unit, batches, [_checked(batch) for batch in batches])
        log.info("submitit '%s': %d array elements submitted", self._EXECUTOR, len(submitted))
        return _gather(submitted, lambda job: job.results()[0])


class SubmititLocalBatchLauncher(SubmititBatchLauncher):
    """`hydra/launcher=slurm_local_batch`: the SLURM batch path with each batch as a local subprocess."""

    _EXECUTOR = "local"


class SubmititSlurmBatchLauncher(SubmititBatchLauncher):
    """`hydra/launcher=slurm_batch`: one SLURM job array, one element per batch."""

    _EXECUTOR = "slurm"
