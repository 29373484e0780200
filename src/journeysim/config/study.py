"""A study from the configs: the validated scenario, its resolved baseline (a named preset composed with Hydra) and
the `outputs` switches, for the CLI's jobs and for `journeysim.api.run_study`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra import compose as hydra_compose
from hydra.core.config_loader import ConfigLoader
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from journeysim.config.baseline import baseline_choice, resolve_baseline
from journeysim.config.compose import group_options, hydra_initialized, strategy_preset
from journeysim.config.problems import InvalidConfig, Problem
from journeysim.config.scaling import budget_scale, scaled_strategy
from journeysim.config.validate import composition_problem, validated
from journeysim.errors import ConfigError
from journeysim.model.scenario import Scenario
from journeysim.study.baseline import Baseline


def study_baseline(
    scenario: Scenario,
    data: Mapping[str, Any],
    loader: ConfigLoader | None,
    config_name: str | None = "config",
    hydra_overrides: Sequence[str] = (),
) -> Baseline | None:
    """The baseline the resolved config `data` asks for (None when off, or `auto` and nothing is spent).

    A named preset is composed with `loader` from the same primary config and Hydra overrides as the run.
    Raises `InvalidConfig` naming `baseline`.
    """
    choice = baseline_choice(data)
    preset = None
    if choice.preset is not None:
        if loader is None:
            raise InvalidConfig([Problem("baseline", "a named preset needs Hydra's config loader", "use auto")])
        preset = scaled_strategy(
            strategy_preset(loader, config_name, hydra_overrides, choice.preset), budget_scale(data)
        )
    try:
        return resolve_baseline(scenario, choice, preset)
    except ConfigError as exc:
        raise InvalidConfig([Problem(exc.setting, exc.problem, exc.fix)]) from None


def job_baseline(
    scenario: Scenario, data: Mapping[str, Any], hydra: DictConfig | None, loader: ConfigLoader | None
) -> Baseline | None:
    """`study_baseline` for a Hydra job: `hydra` is the run's `hydra` node (primary config name, Hydra overrides)."""
    if hydra is None:
        return study_baseline(scenario, data, None)
    name = OmegaConf.select(hydra, "job.config_name", default="config")
    overrides = [str(o) for o in OmegaConf.select(hydra, "overrides.hydra", default=[]) or []]
    return study_baseline(scenario, data, loader, name, overrides)


@dataclass(frozen=True)
class StudyConfig:
    """A composed, validated study: the scenario, its baseline, and the resolved config it came from."""

    scenario: Scenario
    baseline: Baseline | None
    data: dict[str, Any]

    @property
    def bottlenecks(self) -> bool:
        """Whether the config asks for the bottleneck table (`outputs.bottlenecks`, default true)."""
        return bool((self.data.get("outputs") or {}).get("bottlenecks", True))


def load_study(
    overrides: Sequence[str] = (),
    *,
    config_dir: str | Path | None = None,
    config_name: str = "config",
) -> StudyConfig:
    """Compose the configs with `overrides` (as the CLI does), validate, and resolve the baseline.

    Raises `InvalidConfig` listing every problem.
    """
    with hydra_initialized(config_dir) as loader:
        try:
            cfg = hydra_compose(config_name=config_name, overrides=list(overrides))
        except (HydraException, OmegaConfBaseException) as exc:
            raise InvalidConfig([composition_problem(exc, overrides)]) from None
        scenario, data = validated(cfg, overrides=list(overrides), group_options=group_options(loader))
        return StudyConfig(scenario, study_baseline(scenario, data, loader, config_name), data)
