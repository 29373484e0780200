"""The Hydra/OmegaConf side of journeysim: schemas, config lookup, validation and conversion to a `Scenario`.

The engine never imports this package; it only sees the plain `Scenario` built here.
"""

from __future__ import annotations

from journeysim.config.compose import compose, load_scenario, sweep_jobs
from journeysim.config.paths import shipped_config_dir
from journeysim.config.schema import GROUPS, SCHEMAS, register_schemas
from journeysim.config.validate import InvalidConfig, Problem, resolved_container, scenario_from_container, validate

register_schemas()

__all__ = [
    "GROUPS",
    "SCHEMAS",
    "InvalidConfig",
    "Problem",
    "compose",
    "load_scenario",
    "register_schemas",
    "resolved_container",
    "scenario_from_container",
    "shipped_config_dir",
    "sweep_jobs",
    "validate",
]
