"""`hydra/launcher=batch`: a Hydra launcher that runs a sweep's jobs in batches at simulation speed.

Why a launcher (not a sweeper): the sweeper decides *which* jobs run (the basic sweeper's grid, Optuna's trials)
and a launcher decides *how*; batching is a how, so every sweeper (grid, Optuna, journeysim's budget search) gets
it, and the per-job directories, `.hydra` records, callbacks, resume and failure handling stay Hydra's and the
task's. What it changes:
- configs: jobs that differ only in plain values are derived from one composed job (`cli.jobs.JobConfigs`: the
  validation callback checks each through one scratch copy, and each worker derives its own jobs' configs, so the
  driver neither composes nor copies a config per job);
- simulation: the jobs are split into one contiguous batch per worker process; a worker validates its jobs,
  leaves out those completed before (resume), simulates the rest with `study.batch` (stacked engine passes, one
  shared no-spend baseline per worker) and then runs each job through Hydra's `run_job` with the task, which
  writes the job's files from the prepared study (metrics, funnel, time series, config, status: the same bytes
  as a job simulated alone). A job whose batch could not be prepared is simulated by the task as usual, so a
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import yaml
from hydra.core.global_hydra import GlobalHydra
from hydra.core.utils import JobReturn, configure_log, filter_overrides, run_job, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf._utils import get_omega_conf_dumper

from journeysim.cli.batch_job import JobRecords, lean_possible, run_lean, set_output_dir
from journeysim.cli.jobs import JobConfigs
from journeysim.cli.state import STATE
from journeysim.cli.yaml_slots import SlotTexts, omegaconf_dump
from journeysim.config.study import job_baseline
from journeysim.config.validate import validated
from journeysim.io.resume import Found, found
from journeysim.model.scenario import Scenario
from journeysim.study.baseline import Baseline
from journeysim.study.batch import STACK, study_scenarios
from journeysim.study.pipeline import StudyResult

log = logging.getLogger(__name__)

Job = TypeVar("Job")


@dataclass
class Prepared:
    """A job the launcher validated and simulated: what the task needs to write its files."""

    scenario: Scenario
    resolved: dict[str, Any]
    baseline: Baseline | None
    config_yaml: Callable[[], str]
    study: StudyResult
    records: JobRecords | None = None  # the `.hydra` records' texts (None: Hydra's `run_job` writes them)


def _plain(value: Any) -> bool:
    """Only the types `OmegaConf.to_container` gives (so a direct YAML dump equals OmegaConf's)."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or type(value) in (str, int, float, bool)


def _yaml_of(resolved: dict[str, Any]) -> Callable[[], str]:
    """config.yaml's text for a resolved config, made once and only when asked for: `OmegaConf.to_yaml`'s own
    dump call on the plain container (a third of the time of building an OmegaConf object first; same bytes)."""
    made: list[str] = []

    def text() -> str:
        if not made:
            if _plain(resolved):
                made.append(
                    yaml.dump(
                        resolved,
                        default_flow_style=False,
                        allow_unicode=True,
                        sort_keys=False,
                        Dumper=get_omega_conf_dumper(),
                    )
                )
            else:
                made.append(OmegaConf.to_yaml(OmegaConf.create(resolved)))
        return made[0]

    return text


#: The launcher's work, set before worker processes fork (they inherit it: Hydra's context needs no pickling).
_WORK: dict[str, Any] = {}


def _prepare(jobs: Sequence[tuple[int, DictConfig]], stack: int) -> None:
    """Validate the jobs, skip the completed ones, simulate the rest in stacked passes into `STATE.prepared`."""
    loader = GlobalHydra.instance().config_loader() if GlobalHydra.instance().is_initialized() else None
    checked = STATE.job_configs.checked if isinstance(STATE.job_configs, JobConfigs) else {}
    nums, scenarios, baselines, bottlenecks, kept, cfgs = [], [], [], [], [], []
    for num, cfg in jobs:
        try:
            overrides = [str(o) for o in cfg.hydra.overrides.task]
            scenario, resolved = checked.get(tuple(overrides)) or validated(cfg, overrides=overrides)
            baseline = job_baseline(scenario, resolved, cfg.hydra, loader)
            out_dir = set_output_dir(cfg)
            yaml = _yaml_of(resolved)
            if found(out_dir, overrides, yaml) is not Found.NOTHING:
                continue  # completed before (kept by the task) or someone else's (refused by the task)
        except Exception as exc:  # the task reports it in the job's own status
            log.debug("job %s: not prepared (%s)", num, exc)
            continue
        nums.append(num)
        kept.append((scenario, resolved, baseline, yaml))
        cfgs.append(cfg)
        scenarios.append(scenario)
        baselines.append(baseline)
        bottlenecks.append(bool((resolved.get("outputs") or {}).get("bottlenecks", True)))
    if not scenarios:
        return
    try:
        studies, _ = study_scenarios(scenarios, baselines, bottlenecks, stack)
    except Exception as exc:  # each job then runs alone and fails (or not) on its own
        log.warning("batch of %d jobs could not be simulated together (%s); running them one by one", len(nums), exc)
        return
    records = _records(cfgs, [r for _, r, _, _ in kept])
    for i, (num, (scenario, resolved, baseline, yaml), study) in enumerate(zip(nums, kept, studies, strict=True)):
        text, job_records = records[i] if records else (yaml, None)
        STATE.prepared[num] = Prepared(scenario, resolved, baseline, text, study, job_records)


def _records(
    cfgs: Sequence[DictConfig], resolved: Sequence[dict[str, Any]]
) -> list[tuple[Callable[[], str], JobRecords]]:
    """Per job: its config.yaml text (lazy) and its `.hydra` records, rendered from one template per batch
    (`cli.yaml_slots`); empty when the jobs must go through Hydra's `run_job` (see `batch_job.lean_possible`)."""
    context = _WORK.get("context")
    if context is None or not _WORK.get("lean", True) or not cfgs or not lean_possible(context, cfgs[0]):
        return []
    full = [cast(dict[str, Any], OmegaConf.to_container(c, resolve=False, enum_to_str=True)) for c in cfgs]
    tasks = SlotTexts([{k: v for k, v in f.items() if k != "hydra"} for f in full])
    hydras = SlotTexts([{"hydra": f["hydra"]} for f in full])
    plain = all(_plain(r) for r in resolved)
    configs = SlotTexts(list(resolved)) if plain else None
    log.debug(
        "records of %d jobs from templates: task %s, hydra %s, config %s",
        len(full),
        tasks.pieces is not None,
        hydras.pieces is not None,
        configs is not None and configs.pieces is not None,
    )
    out = []
    for i, f in enumerate(full):
        overrides = omegaconf_dump(f["hydra"]["overrides"]["task"])
        yaml = (lambda i=i: configs.text(i)) if configs is not None else _yaml_of(resolved[i])  # type: ignore[misc]
        out.append((yaml, JobRecords(tasks.text(i), hydras.text(i), overrides)))
    return out


def _run_batch(jobs: Sequence[tuple[int, DictConfig]]) -> list[JobReturn]:
    """Prepare a batch, then run each job through Hydra (run directory, .hydra records, callbacks, the task)."""
    context: HydraContext = _WORK["context"]
    task: TaskFunction = _WORK["task"]
    config: DictConfig = _WORK["config"]
    STATE.batch_reports = bool(_WORK["reports"])
    _prepare(jobs, int(_WORK["stack"]))
    runs = []
    for num, cfg in jobs:
        overrides = [str(o) for o in cfg.hydra.overrides.task]
        log.info(f"\t#{num} : {' '.join(filter_overrides(overrides))}")
        prepared = STATE.prepared.get(num)
        if prepared is not None and prepared.records is not None:
            runs.append(run_lean(context, task, cfg, prepared.records))
            if isinstance(STATE.job_configs, JobConfigs):
                STATE.job_configs.forget(overrides)  # its config is used up: made again if asked for
        else:
            runs.append(
                run_job(
                    hydra_context=context,
                    task_function=task,
                    config=cfg,
                    job_dir_key="hydra.sweep.dir",
                    job_subdir_key="hydra.sweep.subdir",
                )
            )
        configure_log(config.hydra.hydra_logging, config.hydra.verbose)
    STATE.prepared.clear()
    return runs


def job_configs(jobs: Sequence[tuple[int, Sequence[str]]]) -> list[tuple[int, DictConfig]]:
    """Each job's own config (`JobConfigs.get`: derived from a composed one where only plain values differ), with
    its number set as Hydra's launchers set it."""
    made = STATE.job_configs
    configs = made if isinstance(made, JobConfigs) else JobConfigs(_WORK["context"].config_loader, _WORK["config"])
    out = []
    for num, overrides in jobs:
        cfg = configs.get(list(overrides))
        with open_dict(cfg):
            cfg.hydra.job.id = num
            cfg.hydra.job.num = num
        out.append((num, cfg))
    return out


def _worker(batch: int) -> list[JobReturn]:
    """A worker process's batch: it makes its jobs' configs (in parallel with the other workers, not one after
    another in the driver), then runs them; the results travel back without the job configs (the sweepers read
    the return values and overrides; the configs are on disk in every job's `.hydra`), which would cost the
    driver ~10 ms a job to unpickle."""
    runs = _run_batch(job_configs(_WORK["batches"][batch]))
    for run in runs:
        run.cfg = run.hydra_cfg = None
    return runs


def run_batch_with(work: dict[str, Any], jobs: Sequence[tuple[int, DictConfig]]) -> list[JobReturn]:
    """`_run_batch` in a process that did not fork from the launcher (a Ray task, a submitit job): `work` is the
    launcher's `work()`, shipped with the batch (`cli.cluster_batches`)."""
    _WORK.update(work)
    return _run_batch(jobs)


def batches_of(jobs: Sequence[Job], workers: int) -> list[list[Job]]:
    """The jobs in one contiguous batch per worker (at most `workers` batches, sizes differing by the last)."""
    workers = max(1, min(workers, len(jobs)))
    size = -(-len(jobs) // workers)
    return [list(jobs[i : i + size]) for i in range(0, len(jobs), size)]


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
        """What `_run_batch` needs besides the jobs (Hydra's context, the task, the sweep config, the settings)."""
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
        jobs = job_configs(self._jobs(job_overrides, first))
        made = STATE.job_configs
        log.info("%d jobs: %d composed, the rest derived", len(jobs), made.composed if made is not None else len(jobs))
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
            runs = _run_batch(job_configs(batches[0]))
        else:
            gc.freeze()  # the driver's objects: the workers' collections skip them, and their pages stay shared
            with multiprocessing.get_context("fork").Pool(len(batches)) as pool:
                runs = [run for part in pool.map(_worker, range(len(batches))) for run in part]
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
