"""Hydra callbacks: validate every job before Hydra creates any directory, and aggregate a sweep at its end.

`on_run_start` and `on_multirun_start` fire after composition but before `run_job` / the sweeper make
directories, so a bad config leaves nothing behind. In a sweep, each job's config is composed exactly as the
launcher will compose it (`load_sweep_config`) and all of them are validated before the first one starts.
`on_multirun_end` writes the sweep table (sweep.parquet, sweep.csv, failures.csv) from what the jobs left on disk,
so it works the same with every launcher; sweep jobs that fail return normally (see `journeysim.cli.task`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException
from rich.console import Console

from journeysim.cli.check import print_run_check, print_sweep_check
from journeysim.cli.jobs import JobConfigs, numbered
from journeysim.cli.report import exit_bad_input, invalid_config_text
from journeysim.cli.state import STATE
from journeysim.config.compose import group_options, sweep_jobs
from journeysim.config.limits import limit_problems
from journeysim.config.shapes import shape_problems
from journeysim.config.size import size_problems
from journeysim.config.study import job_baseline
from journeysim.config.validate import (
    InvalidConfig,
    Problem,
    composition_problem,
    interpolation_problem,
    resolved_container,
    validated,
    validated_data,
)
from journeysim.io.resume import Found, found
from journeysim.model.scenario import Scenario
from journeysim.study.estimate import LONG_RUN_SECONDS, Estimate, duration, estimate

log = logging.getLogger(__name__)


def _task_overrides(config: DictConfig) -> list[str]:
    """The command-line overrides as typed: never resolved (an override may itself hold `${...}`)."""
    node = OmegaConf.select(config, "hydra.overrides.task")
    return [] if node is None else [str(o) for o in OmegaConf.to_container(node, resolve=False)]  # type: ignore[union-attr]


def _resolved_or_empty(config: DictConfig) -> dict[str, Any]:
    """The resolved user config, or {} when it does not resolve (`validated` then reports why)."""
    try:
        return resolved_container(config)
    except Exception:
        return {}


def _empty_option(config: DictConfig, problem: Problem) -> Problem:
    """ "no journey is chosen" when one was chosen but its file sets nothing (blank): say so instead."""
    chosen = OmegaConf.select(config, f"hydra.runtime.choices.{problem.setting}", default=None)
    if not chosen or not problem.problem.startswith(f"no {problem.setting} is chosen"):
        return problem
    return Problem(
        problem.setting,
        f"the {problem.setting} option '{chosen}' sets none of its required settings (is its file empty?)",
        f"fill in {problem.setting}/{chosen}.yaml in your config directory, or choose another {problem.setting}",
    )


def _checked(
    config: DictConfig,
    overrides: Sequence[str],
    options: Mapping[str, Sequence[str]],
    loader: Any,
    resolved: dict[str, Any] | None = None,
) -> tuple[Scenario, dict[str, Any], Estimate]:
    """Validate one job's config, its size and its baseline; every failure (interpolation errors too) is
    `InvalidConfig`; also the job's estimated needs. `resolved`: the job's resolved config when known without
    resolving it (`JobConfigs.resolved`: a job that differs from a checked one in plain values only), whose
    config-level checks (unknown keys, `???`) are then the checked one's.

    Hydra only warns when a callback raises, and then starts the job: nothing may escape here but `SystemExit`.
    """
    try:
        shapes = shape_problems(_resolved_or_empty(config) if resolved is None else resolved)
        if shapes:
            raise InvalidConfig(shapes)
        try:
            if resolved is None:
                scenario, data = validated(config, overrides=overrides, group_options=options)
            else:
                scenario, data = validated_data(resolved, options), resolved
        except InvalidConfig as exc:
            raise InvalidConfig([_empty_option(config, p) for p in exc.problems]) from None
        problems = limit_problems(data, scenario)
        needs = estimate(scenario) if not problems else None
        problems += size_problems(scenario, needs) if needs is not None else []
        if problems or needs is None:
            raise InvalidConfig(problems)
        job_baseline(scenario, data, config.hydra, loader)
    except InvalidConfig:
        raise
    except OmegaConfBaseException as exc:
        raise InvalidConfig([interpolation_problem(exc)]) from None
    except HydraException as exc:
        raise InvalidConfig([composition_problem(exc, overrides)]) from None
    except Exception as exc:  # a guard: anything unexpected is reported, never run
        raise InvalidConfig([Problem("config", f"{type(exc).__name__}: {exc}", "check the settings")]) from None
    return scenario, data, needs


def _warn_if_long(seconds: float, what: str) -> None:
    """One line on stderr when the estimated run time is long (never for `check`)."""
    if seconds > LONG_RUN_SECONDS and not STATE.check_only:
        sys.stderr.write(f"journeysim: {what} will take long: ~{duration(seconds)} estimated on one core\n")


def _config_yaml(data: dict[str, Any]) -> Callable[[], str]:
    """The text a run writes as config.yaml for its resolved config `data`, made only when asked for."""
    return lambda: OmegaConf.to_yaml(OmegaConf.create(data))


def _job_dir(job_cfg: DictConfig, num: int) -> Path:
    """The directory sweep job `num` writes into, as Hydra's launchers set it (sweep dir / subdir of job num)."""
    numbered(job_cfg, num)
    return Path(str(job_cfg.hydra.sweep.dir)) / str(job_cfg.hydra.sweep.subdir)


def _occupied(setting: str, run_dir: Path) -> Problem:
    """A run or sweep job that would overwrite the completed result of another one."""
    return Problem(
        setting,
        f"{run_dir} holds the completed result of another run (other overrides or config); "
        "journeysim never overwrites a completed result",
        f"choose another {setting}, or remove {run_dir} first if you no longer need it",
    )


def _guarded(check: Callable[[DictConfig], None], config: DictConfig) -> None:
    """Run a validation step; any exception becomes bad input (exit 2), since Hydra would only warn and run on."""
    try:
        check(config)
    except OmegaConfBaseException as exc:
        exit_bad_input([invalid_config_text([interpolation_problem(exc)])])
    except HydraException as exc:
        exit_bad_input([invalid_config_text([composition_problem(exc)])])
    except Exception as exc:  # a guard: anything unexpected is reported, never run
        exit_bad_input([invalid_config_text([Problem("config", f"{type(exc).__name__}: {exc}", "check the settings")])])


class ValidateBeforeRun(Callback):
    """Validate the run's (or every sweep job's) config; exit with status 2 before anything is created."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Validate the single run's config (the `check` verb prints it and stops here)."""
        _guarded(self._run_start, config)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Compose and validate every job of the sweep; list all invalid jobs and start none if any is bad."""
        _guarded(self._multirun_start, config)

    def _run_start(self, config: DictConfig) -> None:
        overrides = _task_overrides(config)
        options = group_options(GlobalHydra.instance().config_loader())
        try:
            scenario, data, needs = _checked(config, overrides, options, GlobalHydra.instance().config_loader())
        except InvalidConfig as exc:
            exit_bad_input([invalid_config_text(exc.problems)])
        _warn_if_long(needs.seconds, f"this run ({needs.describe(scenario.settings.replications)})")
        run_dir = Path(str(config.hydra.run.dir))
        if found(run_dir, overrides, _config_yaml(data)) is Found.OTHER:
            exit_bad_input([invalid_config_text([_occupied("hydra.run.dir", run_dir)])])
        STATE.started = True
        if STATE.check_only:
            print_run_check(Console(soft_wrap=True), scenario, data, full=STATE.check_full)
            raise SystemExit(0)

    def _multirun_start(self, config: DictConfig) -> None:
        loader = GlobalHydra.instance().config_loader()
        options = group_options(loader)
        planned = sweep_jobs(config)
        jobs: list[list[str]] = [[]] if planned is None else planned
        if planned is None:  # a sweeper that decides jobs as it goes (e.g. optuna): check the base config only
            log.info("sweeper is not the basic sweeper: validating the base config only")
        configs = STATE.job_configs = JobConfigs(loader, config)  # jobs differing in plain values: composed once
        blocks: list[str] = []
        checked: list[tuple[Sequence[str], Scenario]] = []
        kept, seconds = 0, 0.0
        for num, job in enumerate(jobs):
            try:
                job_cfg = configs.view(job)  # read here only: the launcher makes each job's own config
                scenario, data, needs = _checked(job_cfg, job, options, loader, configs.resolved(job))
                configs.checked[tuple(job)] = (scenario, data)
                seconds += needs.seconds
                checked.append((job, scenario))
                job_dir = _job_dir(job_cfg, num)
                here = found(job_dir, job, _config_yaml(data))
                if here is Found.OTHER:
                    blocks.append(invalid_config_text([_occupied("hydra.sweep.dir", job_dir)], job))
                kept += here is Found.SAME
            except InvalidConfig as exc:
                blocks.append(invalid_config_text(exc.problems, job))
            except (HydraException, OmegaConfBaseException) as exc:
                blocks.append(invalid_config_text([composition_problem(exc, job)], job))
        if blocks:
            if len(jobs) > 1:
                blocks.append(f"{len(blocks)} of {len(jobs)} sweep jobs are invalid; no job was started.")
            exit_bad_input(blocks)
        _warn_if_long(seconds, f"this sweep ({len(jobs)} jobs)")
        if kept and not STATE.check_only:
            sys.stderr.write(
                f"journeysim: resuming {config.hydra.sweep.dir}: {kept} of {len(jobs)} jobs completed before and are "
                f"kept; {len(jobs) - kept} to run\n"
            )
        STATE.started = True
        STATE.sweep_jobs = None if planned is None else len(planned)
        if STATE.check_only:
            print_sweep_check(Console(soft_wrap=True), checked)
            raise SystemExit(0)


class CollectSweep(Callback):
    """At the end of a sweep, write one tidy table of all jobs (failed ones listed) into the sweep directory."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Aggregate the sweep directory (also when jobs failed) and remember failures for the exit status."""
        from journeysim.cli.collect import collect_sweep  # pandas and pyarrow load only when a sweep ran

        sweep_dir = Path(str(config.hydra.sweep.dir))
        try:
            sweep = collect_sweep(sweep_dir, sweep_jobs(config))
        except Exception as exc:  # never lose the jobs' own results over the summary table
            log.error("could not write the sweep table in %s: %s", sweep_dir, exc)
            STATE.sweep_problem = f"the sweep table could not be written: {exc}"
            return
        bad = {k: v for k, v in sweep.counts().items() if k != "ok"}
        if bad:
            what = ", ".join(f"{v} {k}" for k, v in bad.items())
            STATE.sweep_problem = (
                f"not every sweep job succeeded ({what}, of {len(sweep.table)} jobs); see {sweep_dir / 'failures.csv'}"
            )
