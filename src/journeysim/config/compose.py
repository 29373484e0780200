"""Compose configs with Hydra's Compose API (notebooks, tests, the `check` verb) and expand sweeps into jobs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hydra import compose as hydra_compose
from hydra import version
from hydra._internal.hydra import Hydra
from hydra._internal.utils import create_config_search_path
from hydra.core.config_loader import ConfigLoader
from hydra.core.config_search_path import SearchPathQuery
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from hydra.initialize import get_gh_backup, restore_gh_from_backup
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from journeysim.config.limits import limit_problems
from journeysim.config.paths import shipped_config_dir
from journeysim.config.schema import GROUPS, register_schemas
from journeysim.config.validate import InvalidConfig, Problem, composition_problem, validated
from journeysim.model.scenario import Scenario

BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


def group_options(loader: ConfigLoader) -> dict[str, list[str]]:
    """The options a user can choose in each journeysim group (e.g. journey -> [buyer_to_customer, ...])."""
    return {g: list(loader.get_group_options(g)) for g in (*GROUPS, "strategy", "experiment")}


def strategy_preset(
    loader: ConfigLoader, config_name: str | None, hydra_overrides: Sequence[str], name: str
) -> dict[str, Any]:
    """The resolved `strategy` node of preset `name`, composed from the same primary config and search path as the
    run (so a preset in your `--config-dir` works). Raises `InvalidConfig` (setting `baseline`) if it does not
    compose."""
    try:
        cfg = loader.load_configuration(
            config_name=config_name, overrides=[*hydra_overrides, f"strategy={name}"], run_mode=RunMode.RUN
        )
        data = OmegaConf.to_container(cfg.strategy, resolve=True)
    except (HydraException, OmegaConfBaseException) as exc:
        problem = composition_problem(exc, [f"strategy={name}"])
        raise InvalidConfig([Problem("baseline", problem.problem, "name a strategy preset that composes")]) from None
    if not isinstance(data, dict):
        raise InvalidConfig([Problem("baseline", f"strategy preset '{name}' is not a mapping", "fix the preset")])
    return {str(k): v for k, v in data.items()}


def compose(
    overrides: Sequence[str] = (),
    *,
    config_dir: str | Path | None = None,
    config_name: str = "config",
) -> DictConfig:
    """The composed config (without the `hydra` node) for these overrides, from the shipped configs.

    `config_dir` adds a directory of your own configs after the shipped ones (new option names, or a primary
    config picked with `config_name`), exactly as `journeysim --config-dir DIR` does.
    """
    cfg, _ = _compose(overrides, config_dir=config_dir, config_name=config_name)
    return cfg


@contextmanager
def hydra_initialized(config_dir: str | Path | None = None) -> Iterator[ConfigLoader]:
    """Initialise Hydra on the shipped configs, plus `config_dir` placed exactly where `--config-dir` puts it.

    Like `hydra.initialize_config_dir`, which takes a single directory only; the previous global state is
    restored on exit. Yields the config loader (for group options and sweep jobs).
    """
    register_schemas()
    search_path = create_config_search_path(str(shipped_config_dir()))
    if config_dir is not None:
        path = Path(config_dir).expanduser().resolve()
        if not path.is_dir():
            problem = Problem("config_dir", f"directory '{path}' does not exist", "give an existing directory")
            raise InvalidConfig([problem])
        search_path.prepend("command-line", f"file://{path}", anchor=SearchPathQuery(provider="schema"))
    backup = get_gh_backup()
    version.setbase("1.3")
    try:
        hydra = Hydra.create_main_hydra2(task_name="journeysim", config_search_path=search_path)
        yield hydra.config_loader
    finally:
        restore_gh_from_backup(backup)


def _compose(
    overrides: Sequence[str], *, config_dir: str | Path | None, config_name: str
) -> tuple[DictConfig, dict[str, list[str]]]:
    with hydra_initialized(config_dir) as loader:
        try:
            cfg = hydra_compose(config_name=config_name, overrides=list(overrides))
        except (HydraException, OmegaConfBaseException) as exc:
            raise InvalidConfig([composition_problem(exc, overrides)]) from None
        return cfg, group_options(loader)


def load_scenario(
    overrides: Sequence[str] = (),
    *,
    config_dir: str | Path | None = None,
    config_name: str = "config",
) -> Scenario:
    """Compose and validate; the engine's `Scenario`, or `InvalidConfig` listing every problem."""
    cfg, options = _compose(overrides, config_dir=config_dir, config_name=config_name)
    scenario, data = validated(cfg, overrides=overrides, group_options=options)
    problems = limit_problems(data, scenario)
    if problems:
        raise InvalidConfig(problems)
    return scenario


def sweep_jobs(config: DictConfig) -> list[list[str]] | None:
    """Each job's overrides in a multirun, as the basic sweeper will launch them; None for other sweepers."""
    sweeper = OmegaConf.select(config, "hydra.sweeper")
    if sweeper is None or OmegaConf.select(sweeper, "_target_") != BASIC_SWEEPER:
        return None
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

    params: Mapping[str, str] = OmegaConf.select(sweeper, "params") or {}
    arguments = [f"{k}={v}" for k, v in params.items()]
    task = OmegaConf.select(config, "hydra.overrides.task")
    arguments += [] if task is None else [str(o) for o in OmegaConf.to_container(task, resolve=False)]  # type: ignore[union-attr]
    parsed = OverridesParser.create().parse_overrides(arguments)
    batches = BasicSweeper.split_arguments(parsed, None)
    return [list(job) for batch in batches for job in batch]
