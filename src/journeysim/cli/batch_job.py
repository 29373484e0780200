"""One prepared sweep job through Hydra's job steps, without the copies: Hydra's `run_job`, made lean for a batch.

Hydra's `run_job` deep-copies the job config twice (the task's config, the Hydra config), installs the Hydra
config twice (two more copies) and dumps three YAML records with PyYAML's pure-Python emitter: ~50 ms a job,
more than a 1e5-customer job's share of a stacked simulation. A batch job's config is its own (derived for it by
`cli.jobs.JobConfigs`, used by nothing else afterwards), so here the Hydra config is installed once and without
a copy (`install_hydra_config`: the job's own `hydra` node, which is also the job's `hydra_cfg`) and the task gets
the job's config with `hydra` removed in place (what Hydra's copy would hold). The `.hydra` records are the texts
the batch rendered (`cli.yaml_slots`: the bytes `OmegaConf.to_yaml` writes). Everything else is Hydra's: the run
directory, the job's logging (`journeysim.log`), `env_set`, the task's status and its return value, the callbacks'
`on_job_start` and `on_job_end`. Used only where nothing can tell the difference: no `hydra.job.chdir` and no
callback that looks at jobs (`lean_possible`); any other job goes through Hydra's `run_job`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.conf import HydraConf
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, JobRuntime, JobStatus, _flush_loggers, configure_log, env_override
from hydra.experimental.callback import Callback
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf, flag_override, open_dict, read_write


@dataclass(frozen=True)
class JobRecords:
    """The texts of a job's `.hydra` records: config.yaml (the task's config), hydra.yaml and overrides.yaml."""

    config: str
    hydra: str
    overrides: str


def lean_possible(context: HydraContext, config: DictConfig) -> bool:
    """Whether jobs may skip Hydra's copies: the job does not change directory and no callback watches jobs."""
    if config.hydra.job.chdir or config.hydra.output_subdir is None:
        return False
    handlers = getattr(context.callbacks, "callbacks", None)
    if handlers is None:
        return False
    return all(
        type(cb).on_job_start is Callback.on_job_start and type(cb).on_job_end is Callback.on_job_end for cb in handlers
    )


def set_output_dir(config: DictConfig) -> Path:
    """The job's run directory (sweep dir / subdir), recorded in `hydra.runtime.output_dir` as `run_job` does."""
    out = os.path.join(str(config.hydra.sweep.dir), str(config.hydra.sweep.subdir))
    with read_write(config.hydra.runtime), open_dict(config.hydra.runtime):
        config.hydra.runtime.output_dir = os.path.abspath(out)
    return Path(out)


def install_hydra_config(config: DictConfig) -> DictConfig:
    """`HydraConfig.set_config` without its deep copy of the `hydra` node (~8 ms a job): the job's own node, made
    read-only, in a holder of its own, its parent still the job's config (for interpolations into it)."""
    node = config._get_node("hydra")
    assert isinstance(node, DictConfig) and issubclass(OmegaConf.get_type(node) or object, HydraConf)
    OmegaConf.set_readonly(node, True)
    holder = DictConfig(content={})
    with flag_override(holder, "no_deepcopy_set_nodes", True):
        holder["hydra"] = node  # moved, not copied
    node._set_parent(config)
    HydraConfig.instance().cfg = holder  # type: ignore[assignment]
    return holder


def run_lean(
    context: HydraContext, task: TaskFunction, config: DictConfig, records: JobRecords, keep: bool = False
) -> JobReturn:
    """Run one job as Hydra's `run_job` does (see the module doc); its config is used up (left without `hydra`),
    or with `keep` (a view other jobs reuse, `cli.jobs.JobConfigs.view`) left as it was."""
    old = HydraConfig.instance().cfg
    out_dir = set_output_dir(config)
    node = config._get_node("hydra")
    readonly = node._get_node_flag("readonly") if isinstance(node, DictConfig) else None
    position = list(config.__dict__["_content"]).index("hydra")
    try:
        hydra_cfg: Any = install_hydra_config(config)
        ret = JobReturn(overrides=[str(o) for o in config.hydra.overrides.task], hydra_cfg=hydra_cfg)
        out_dir.mkdir(parents=True, exist_ok=True)
        ret.working_dir = os.getcwd()
        configure_log(config.hydra.job_logging, config.hydra.verbose)
        records_dir = Path(config.hydra.runtime.output_dir) / str(config.hydra.output_subdir)
        records_dir.mkdir(parents=True, exist_ok=True)
        for name, text in (
            ("config.yaml", records.config),
            ("hydra.yaml", records.hydra),
            ("overrides.yaml", records.overrides),
        ):
            (records_dir / name).write_text(text, encoding="utf-8")
        env = dict(hydra_cfg.hydra.job.env_set)
        with read_write(config), open_dict(config):
            del config["hydra"]  # the task's config, as Hydra's copy without `hydra`
        ret.cfg = config
        with env_override(env):
            context.callbacks.on_job_start(config=config, task_function=task)
            try:
                ret.return_value = task(config)
                ret.status = JobStatus.COMPLETED
            except Exception as exc:
                ret.return_value = exc
                ret.status = JobStatus.FAILED
        ret.task_name = JobRuntime.instance().get("name")
        _flush_loggers()
        context.callbacks.on_job_end(config=config, job_return=ret)
        return ret
    finally:
        HydraConfig.instance().cfg = old
        if keep and isinstance(node, DictConfig):
            _put_back(config, node, readonly, position)


def _put_back(config: DictConfig, node: DictConfig, readonly: bool | None, position: int) -> None:
    """The `hydra` node back in `config` at its `position` among the keys, not copied (OmegaConf would copy a
    node set from its own config), with its read-only flag as it was."""
    content = config.__dict__["_content"]
    if "hydra" not in content:
        items = list(content.items())
        items.insert(position, ("hydra", node))
        content.clear()
        content.update(items)
        node._set_parent(config)
    node._set_flag("readonly", readonly)
