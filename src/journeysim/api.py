"""The notebook API: load a scenario from the shipped configs (plus overrides), run it, read DataFrames.

    import journeysim.api as js
    res = js.run(["population=b2b", "sim.replications=3"])
    res.funnel, res.timeseries, res.metrics_table()

Overrides use the command line's syntax; `config_dir` adds your own configs as `--config-dir` does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from omegaconf import DictConfig

from journeysim.config.compose import compose
from journeysim.config.compose import load_scenario as _load_scenario
from journeysim.config.validate import InvalidConfig, resolved_container
from journeysim.errors import ConfigError
from journeysim.model import Dwell, Journey, OrderValue, Population, Scenario, Segment, Settings
from journeysim.study.calibrate import RateEstimate, fit_rates
from journeysim.study.run import RunResult
from journeysim.study.run import run as _run

__all__ = [
    "ConfigError",
    "Dwell",
    "InvalidConfig",
    "Journey",
    "OrderValue",
    "Population",
    "RateEstimate",
    "RunResult",
    "Scenario",
    "Segment",
    "Settings",
    "fit_rates",
    "load_config",
    "load_scenario",
    "run",
]


def load_config(
    overrides: Sequence[str] | None = None,
    config_dir: str | Path | None = None,
    config_name: str = "config",
) -> dict[str, object]:
    """The resolved config as plain dicts (what `journeysim check` prints), without validating it."""
    cfg: DictConfig = compose(list(overrides or ()), config_dir=config_dir, config_name=config_name)
    return resolved_container(cfg)


def load_scenario(
    overrides: Sequence[str] | None = None,
    config_dir: str | Path | None = None,
    config_name: str = "config",
) -> Scenario:
    """Compose the shipped configs with `overrides` (e.g. ["journey=marketing_funnel", "sim.seed=7"]) and validate.

    Raises `InvalidConfig` listing every problem (each names the setting and the fix).
    """
    return _load_scenario(list(overrides or ()), config_dir=config_dir, config_name=config_name)


def run(
    scenario_or_overrides: Scenario | Sequence[str] | None = None,
    *,
    config_dir: str | Path | None = None,
    keep_records: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Run a `Scenario`, or the shipped configs with these overrides; `.metrics`, `.funnel`, `.timeseries` back."""
    if isinstance(scenario_or_overrides, Scenario):
        scenario = scenario_or_overrides
    elif isinstance(scenario_or_overrides, str):
        raise TypeError("give overrides as a list, e.g. run(['population=b2b'])")
    else:
        scenario = load_scenario(scenario_or_overrides, config_dir=config_dir)
    return _run(scenario, keep_records=keep_records, progress=progress)
