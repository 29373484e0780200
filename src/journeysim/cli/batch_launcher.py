"""`hydra/launcher=batch`: a Hydra launcher that runs a sweep's jobs in batches at simulation speed.

Why a launcher (not a sweeper): the sweeper decides *which* jobs run (the basic sweeper's grid, Optuna's trials)
and a launcher decides *how*; batching is a how, so every sweeper (grid, Optuna, journeysim's budget search) gets
it, and the per-job directories, `.hydra` records, callbacks, resume and failure handling stay Hydra's and the
task's. What it changes:
- configs: jobs that differ only in plain values are derived from one composed job (`cli.jobs.JobConfigs`: the
  validation callback checks each through one scratch copy, and each worker derives its own jobs' configs, so the
  driver neither composes nor copies a config per job);
- simulation: the jobs are dealt into one batch per worker process (job i to worker i mod n); a worker validates
  its jobs, leaves out those completed before (resume), simulates the rest with `study.batch` (stacked engine
  passes, one shared no-spend baseline per worker) and then runs each job through Hydra's `run_job` with the
  task, which writes the job's files from the prepared study (metrics, funnel, time series, config, status: the
  same bytes as a job simulated alone). A job whose batch could not be prepared is simulated by the task as usual, so a
  failure stays that job's (status.json `failed`, listed in failures.csv) and completed jobs are never lost;
- reports: per-job report.html only where asked (`outputs.report=true` given, or `reports: true`); the view of a
  batch is the sweep's comparison (`journeysim compare <sweep dir>`: paired differences, ranking, budget-response
  curves), written into `<sweep dir>/comparison/` at the end with `comparison: true`.
The per-job Ray and SLURM presets are untouched (their launchers compose and run one job per task);
`cli.cluster_batches` sends these batches to Ray tasks and SLURM array elements (`ray_batch`, `slurm_batch`).

Opt-in (`hydra/launcher=batch`), not the default for `-m`: the data files of every job are byte-identical to the
basic launcher's, but a sweep's outputs are not (no per-job report.html unless asked, `.hydra/hydra.yaml` names
this launcher, status.json's `simulate` is the job's share of a stacked pass), and the default must stay the
sequential launcher that works everywhere (no worker processes, any sweeper).
"""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import multiprocessing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from hydra.core.utils import JobReturn, configure_log, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from journeysim.cli.batch_work import _WORK, BatchJob, own_configs, run_batch
from journeysim.cli.jobs import JobConfigs
from journeysim.cli.state import STATE
from journeysim.study.batch import STACK

log = logging.getLogger(__name__)

Job = TypeVar("Job")


def _worker(batch: int) -> list[JobReturn]:
    """A worker process's batch (numbered overrides): each job's config is a view the worker sets (no copy per
    job, none made one after another in the driver)."""
    return run_batch([BatchJob(num, overrides) for num, overrides in _WORK["batches"][batch]])


def batches_of(jobs: Sequence[Job], workers: int) -> list[list[Job]]:
    """The jobs dealt into one batch per worker (at most `workers` batches, sizes differing by at most one): job
    i to batch i mod workers, so a grid's costlier end (large budgets buy more journeys) is shared, not one
    worker's. `in_job_order` puts the batches' results back in job order."""
    workers = max(1, min(workers, len(jobs)))
    return [list(jobs[b::workers]) for b in range(workers)]


def in_job_order(results: Sequence[Job], sizes: Sequence[int]) -> list[Job]:
    """The results of batches made by `batches_of` (concatenated, batch after batch, of `sizes`) in job order."""
    out: list[Job] = []
    starts = [sum(sizes[:b]) for b in range(len(sizes))]
    for j in range(max(sizes, default=0)):
        out += [results[starts[b] + j] for b in range(len(sizes)) if j < sizes[b]]
    return out


def _reuse_checked_configs(context: HydraContext) -> None:
    """Make the sweeper's legality check (`Sweeper.validate_batch_is_legal`: Hydra composes every job again, ~0.3 s
    a job in the driver, and discards the result) take the view of the configs journeysim's validation callback
    already made and checked (`JobConfigs.view`: no copy); jobs it has not checked are composed as before. Only
    this sweep's loader is changed."""
    loader = context.config_loader
    compose = loader.load_sweep_config

    def load_sweep_config(master_config: DictConfig, sweep_overrides: list[str]) -> DictConfig:
        made = STATE.job_configs
        if isinstance(made, JobConfigs) and made.config is master_config and tuple(sweep_overrides) in made.checked:
            return made.view(sweep_overrides)
        return compose(master_config, sweep_overrides)

    loader.load_sweep_config = load_sweep_config  # type: ignore[method-assign]


class JourneysimBatchLauncher(Launcher):
    """Runs a sweep's jobs in `n_jobs` worker processes, each with one batch of jobs simulated in stacked passes of
    up to `stack` jobs; `reports`: render every job's report.html (default: only where asked); `lean`: each job
    through `cli.batch_job.run_lean` (false: Hydra's `run_job`; the same files, slower)."""

    def __init__(
        self, n_jobs: int = 2, stack: int = STACK, reports: bool = False, comparison: bool = False, lean: bool = True
    ) -> None:
        self.n_jobs = n_jobs if n_jobs > 0 else multiprocessing.cpu_count()
        self.lean = lean
        self.stack = stack
        self.reports = reports
        self.comparison = comparison
        self.config: DictConfig | None = None
        self.context: HydraContext | None = None
        self.task: TaskFunction | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config, self.context, self.task = config, hydra_context, task_function
        _reuse_checked_configs(hydra_context)

    def work(self) -> dict[str, Any]:
        """What `batch_work.run_batch` needs besides the jobs (Hydra's context, the task, the sweep config, the
        settings)."""
        return {
            "context": self.context,
            "task": self.task,
            "config": self.config,
            "stack": self.stack,
            "reports": self.reports,
            "lean": self.lean,
        }

    def _jobs(self, job_overrides: Sequence[Sequence[str]], first: int) -> list[tuple[int, list[str]]]:
        """Hydra's launch preamble (globals, logging, the sweep folder), then the numbered jobs."""
        setup_globals()
        assert self.config is not None
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        Path(str(self.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
        return [(first + i, list(overrides)) for i, overrides in enumerate(job_overrides)]

    def _batches(
        self, job_overrides: Sequence[Sequence[str]], first: int, workers: int
    ) -> tuple[list[tuple[int, DictConfig]], list[list[tuple[int, DictConfig]]]]:
        """The launch preamble, then the jobs' configs made here and split into `workers` batches: for the cluster
        launchers, whose remote workers receive the configs."""
        _WORK.update(self.work())
        jobs = own_configs(self._jobs(job_overrides, first))
        log.info("%d jobs: %d composed, the rest derived", len(jobs), STATE.job_configs.composed)
        return jobs, batches_of(jobs, workers)

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        """Run the jobs (in batches over the workers, each making its jobs' configs) and return their results in
        job order."""
        batches = batches_of(self._jobs(job_overrides, initial_job_idx), self.n_jobs)
        assert self.config is not None
        _WORK.update(self.work())
        _WORK["batches"] = batches
        log.info("Launching %d jobs in %d batches", len(job_overrides), len(batches))
        if len(batches) == 1:
            runs = _worker(0)
        else:
            gc.freeze()  # the driver's objects: the workers' collections skip them, and their pages stay shared
            with multiprocessing.get_context("fork").Pool(len(batches)) as pool:
                done = [run for part in pool.map(_worker, range(len(batches))) for run in part]
            runs = in_job_order(done, [len(b) for b in batches])
        if self.comparison and len(runs) > 1:
            _comparison(Path(str(self.config.hydra.sweep.dir)))
        return runs


def _comparison(sweep_dir: Path) -> None:
    """The sweep's comparison page and tables in `<sweep dir>/comparison/` (`journeysim compare`); a failure here
    is logged, never fatal: the jobs' results are complete without it."""
    from journeysim.cli import compare

    try:
        with contextlib.redirect_stdout(io.StringIO()):
            compare.main([str(sweep_dir), "--out", str(sweep_dir / "comparison")])
        log.info("comparison of the sweep: %s", sweep_dir / "comparison" / "comparison.html")
    except (Exception, SystemExit) as exc:
        log.warning("could not write the sweep's comparison in %s: %s", sweep_dir, exc)
