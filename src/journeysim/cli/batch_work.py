"""A batch launcher worker's work: validate its jobs, simulate them together, then run each through Hydra.

A worker forked from the launcher (`hydra/launcher=batch`) names its jobs by their overrides and reads each one's
config through its `cli.jobs.JobConfigs` view (one scratch config per template, set to the job's values when the
job is prepared and again when it runs): no config is copied per job. A worker in another process (a Ray task, a
submitit job: `cli.cluster_batches`) receives each job's own config. Either way `_prepare` simulates the jobs that
can be prepared in stacked passes (`study.batch`) into `STATE.prepared`, and each job then goes through
`cli.batch_job.run_lean` (or Hydra's `run_job` where lean is impossible), which writes its files.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import yaml
from hydra.core.global_hydra import GlobalHydra
from hydra.core.utils import JobReturn, configure_log, filter_overrides, run_job
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf
from omegaconf._utils import get_omega_conf_dumper

from journeysim.cli.batch_job import JobRecords, lean_possible, run_lean, set_output_dir
from journeysim.cli.jobs import JobConfigs, numbered
from journeysim.cli.state import STATE
from journeysim.cli.view_containers import ViewContainers, full_container
from journeysim.cli.yaml_slots import SlotTexts, omegaconf_dump
from journeysim.config.study import job_baseline
from journeysim.config.validate import validated
from journeysim.io.resume import Found, found
from journeysim.model.scenario import Scenario
from journeysim.study.baseline import Baseline
from journeysim.study.batch import study_scenarios
from journeysim.study.pipeline import StudyResult

log = logging.getLogger(__name__)

#: The launcher's work, set before worker processes fork (they inherit it: Hydra's context needs no pickling).
_WORK: dict[str, Any] = {}


@dataclass
class BatchJob:
    """One job of a batch: its number, its overrides, and its own config where it has one (a job shipped to a
    remote worker); without one it is a view of the worker's `JobConfigs` (`config()`)."""

    num: int
    overrides: list[str]
    own: DictConfig | None = None

    @property
    def viewed(self) -> bool:
        """Whether `config()` is a shared view (valid until another job's), not the job's own config."""
        return self.own is None

    def config(self) -> DictConfig:
        """The job's own config as it came, or the view set to this job, numbered as Hydra's launchers do."""
        if self.own is not None:
            return self.own
        return numbered(_job_configs().view(self.overrides), self.num)


def _job_configs() -> JobConfigs:
    made = STATE.job_configs
    if not isinstance(made, JobConfigs):
        made = STATE.job_configs = JobConfigs(_WORK["context"].config_loader, _WORK["config"])
    return made


def own_configs(jobs: Sequence[tuple[int, Sequence[str]]]) -> list[tuple[int, DictConfig]]:
    """Each job's own config (`JobConfigs.get`), numbered: what a remote worker receives."""
    return [(num, numbered(_job_configs().get(list(o)), num)) for num, o in jobs]


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


def _lean(cfg: DictConfig) -> bool:
    """Whether this batch's jobs (like `cfg`, its first) may go through `run_lean` (records rendered here)."""
    context = _WORK.get("context")
    return context is not None and bool(_WORK.get("lean", True)) and lean_possible(context, cfg)


def _prepare(jobs: Sequence[BatchJob], stack: int) -> None:
    """Validate the jobs, skip the completed ones, simulate the rest in stacked passes into `STATE.prepared`."""
    loader = GlobalHydra.instance().config_loader() if GlobalHydra.instance().is_initialized() else None
    checked = STATE.job_configs.checked if isinstance(STATE.job_configs, JobConfigs) else {}
    lean: bool | None = None
    containers = ViewContainers()
    nums, scenarios, baselines, bottlenecks, kept, full = [], [], [], [], [], []
    for job in jobs:
        try:
            cfg = job.config()
            lean = _lean(cfg) if lean is None else lean
            scenario, resolved = checked.get(tuple(job.overrides)) or validated(cfg, overrides=job.overrides)
            baseline = job_baseline(scenario, resolved, cfg.hydra, loader)
            out_dir = set_output_dir(cfg)
            text = _yaml_of(resolved)
            if found(out_dir, job.overrides, text) is not Found.NOTHING:
                continue  # completed before (kept by the task) or someone else's (refused by the task)
            container = (containers.of(cfg, job.overrides) if job.viewed else full_container(cfg)) if lean else None
        except Exception as exc:  # the task reports it in the job's own status
            log.debug("job %s: not prepared (%s)", job.num, exc)
            continue
        nums.append(job.num)
        kept.append((scenario, resolved, baseline, text))
        full.append(cast(dict[str, Any], container))
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
    records = _records(full, [r for _, r, _, _ in kept]) if lean else []
    for i, (num, (scenario, resolved, baseline, text), study) in enumerate(zip(nums, kept, studies, strict=True)):
        config_text, job_records = records[i] if records else (text, None)
        STATE.prepared[num] = Prepared(scenario, resolved, baseline, config_text, study, job_records)


def _records(
    full: Sequence[dict[str, Any]], resolved: Sequence[dict[str, Any]]
) -> list[tuple[Callable[[], str], JobRecords]]:
    """Per job: its config.yaml text (lazy) and its `.hydra` records, rendered from one template per batch
    (`cli.yaml_slots`); `full`: each job's config as a plain container (unresolved)."""
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
        text = (lambda i=i: configs.text(i)) if configs is not None else _yaml_of(resolved[i])  # type: ignore[misc]
        out.append((text, JobRecords(tasks.text(i), hydras.text(i), overrides)))
    return out


def run_batch(jobs: Sequence[BatchJob]) -> list[JobReturn]:
    """Prepare a batch, then run each job through Hydra (run directory, .hydra records, callbacks, the task).
    The results hold no config where the job's was a view (the sweepers read return values and overrides; the
    configs are on disk in every job's `.hydra`)."""
    context: HydraContext = _WORK["context"]
    task: TaskFunction = _WORK["task"]
    config: DictConfig = _WORK["config"]
    STATE.batch_reports = bool(_WORK["reports"])
    _prepare(jobs, int(_WORK["stack"]))
    runs = []
    for job in jobs:
        log.info(f"\t#{job.num} : {' '.join(filter_overrides(job.overrides))}")
        prepared = STATE.prepared.get(job.num)
        cfg = job.config()
        if prepared is not None and prepared.records is not None:
            run = run_lean(context, task, cfg, prepared.records, keep=job.viewed)
        else:
            run = run_job(
                hydra_context=context,
                task_function=task,
                config=cfg,
                job_dir_key="hydra.sweep.dir",
                job_subdir_key="hydra.sweep.subdir",
            )
        if job.viewed:
            run.cfg = run.hydra_cfg = None
        runs.append(run)
        configure_log(config.hydra.hydra_logging, config.hydra.verbose)
    STATE.prepared.clear()
    return runs


def run_batch_with(work: dict[str, Any], jobs: Sequence[tuple[int, DictConfig]]) -> list[JobReturn]:
    """`run_batch` in a process that did not fork from the launcher (a Ray task, a submitit job): `work` is the
    launcher's `work()`, shipped with the batch (`cli.cluster_batches`) with each job's own config."""
    _WORK.update(work)
    return run_batch([BatchJob(num, [str(o) for o in cfg.hydra.overrides.task], cfg) for num, cfg in jobs])
