"""Compose configs with Hydra's Compose API (notebooks, tests, the `check` verb) and expand sweeps into jobs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.config_loader import ConfigLoader
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from journeysim.config.paths import shipped_config_dir
from journeysim.config.schema import GROUPS, register_schemas
from journeysim.config.validate import InvalidConfig, Problem, composition_problem, validate
from journeysim.model.scenario import Scenario

BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


def user_dir_override(config_dir: str | Path) -> str:
    """The `hydra.searchpath` override that adds a directory of the user's own configs (like `--config-dir`)."""
    path = Path(config_dir).expanduser().resolve()
    if not path.is_dir():
        raise InvalidConfig([Problem("config_dir", f"directory '{path}' does not exist", "give an existing directory")])
    return f"hydra.searchpath=['file://{path}']"


def group_options(loader: ConfigLoader) -> dict[str, list[str]]:
    """The options a user can choose in each journeysim group (e.g. journey -> [buyer_to_customer, ...])."""
    return {g: list(loader.get_group_options(g)) for g in (*GROUPS, "experiment")}


def compose(
    overrides: Sequence[str] = (),
    *,
    config_dir: str | Path | None = None,
    config_name: str = "config",
) -> DictConfig:
    """The composed config (without the `hydra` node) for these overrides, from the shipped configs.

    `config_dir` adds a directory of your own configs after the shipped ones (new option names, or a primary
    config picked with `config_name`), as `journeysim --config-dir DIR` does.
    """
    cfg, _ = _compose(overrides, config_dir=config_dir, config_name=config_name)
    return cfg


def _compose(
    overrides: Sequence[str], *, config_dir: str | Path | None, config_name: str
) -> tuple[DictConfig, dict[str, list[str]]]:
    register_schemas()
    extra = [user_dir_override(config_dir)] if config_dir is not None else []
    with initialize_config_dir(config_dir=str(shipped_config_dir()), version_base="1.3", job_name="journeysim"):
        try:
            cfg = hydra_compose(config_name=config_name, overrides=[*overrides, *extra])
        except (HydraException, OmegaConfBaseException) as exc:
            raise InvalidConfig([composition_problem(exc, overrides)]) from None
        loader = GlobalHydra.instance().config_loader()
        return cfg, group_options(loader)


def load_scenario(
    overrides: Sequence[str] = (),
    *,
    config_dir: str | Path | None = None,
    config_name: str = "config",
) -> Scenario:
    """Compose and validate; the engine's `Scenario`, or `InvalidConfig` listing every problem."""
    cfg, options = _compose(overrides, config_dir=config_dir, config_name=config_name)
    return validate(cfg, overrides=overrides, group_options=options)


def sweep_jobs(config: DictConfig) -> list[list[str]] | None:
    """Each job's overrides in a multirun, as the basic sweeper will launch them; None for other sweepers."""
    sweeper = OmegaConf.select(config, "hydra.sweeper")
    if sweeper is None or OmegaConf.select(sweeper, "_target_") != BASIC_SWEEPER:
        return None
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

    params: Mapping[str, str] = OmegaConf.select(sweeper, "params") or {}
    arguments = [f"{k}={v}" for k, v in params.items()]
    arguments += [str(o) for o in OmegaConf.select(config, "hydra.overrides.task") or []]
    parsed = OverridesParser.create().parse_overrides(arguments)
    batches = BasicSweeper.split_arguments(parsed, None)
    return [list(job) for batch in batches for job in batch]
