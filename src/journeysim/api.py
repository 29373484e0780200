"""The notebook API: load a scenario from the shipped configs (plus overrides), run it, read DataFrames.

    import journeysim.api as js
    res = js.run(["population=b2b", "sim.replications=3"])
    res.funnel, res.timeseries, res.metrics_table()
    study = js.run_study(["strategy=balanced"])  # everything a CLI run writes: + incrementality, bottlenecks

Overrides use the command line's syntax; `config_dir` adds your own configs as `--config-dir` does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from omegaconf import DictConfig

from journeysim.config.compose import compose
from journeysim.config.compose import load_scenario as _load_scenario
from journeysim.config.study import load_study
from journeysim.config.touches import touch_share
from journeysim.config.validate import InvalidConfig, resolved_container
from journeysim.errors import ConfigError
from journeysim.model import Dwell, Journey, OrderValue, Population, Scenario, Segment, Settings
from journeysim.study.baseline import Baseline
from journeysim.study.calibrate import RateEstimate, fit_rates
from journeysim.study.grid import run_grid
from journeysim.study.pipeline import BaselineSpec, StudyProgress, StudyResult
from journeysim.study.pipeline import run_study as _run_study
from journeysim.study.run import RunResult
from journeysim.study.run import run as _run

__all__ = [
    "Baseline",
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
    "StudyResult",
    "fit_rates",
    "load_config",
    "load_scenario",
    "run",
    "run_grid",
    "run_study",
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


#: "As the config says": the `baseline` and `baseline_channels` settings for overrides, `auto` for a `Scenario`.
CONFIGURED = "configured"


def run_study(
    scenario_or_overrides: Scenario | Sequence[str] | None = None,
    *,
    baseline: BaselineSpec = CONFIGURED,
    bottlenecks: bool | None = None,
    config_dir: str | Path | None = None,
    keep_records: bool = False,
    progress: StudyProgress | None = None,
) -> StudyResult:
    """Everything a CLI run computes, in memory: `.run` (metrics, samples, funnel, time series), `.incrementality`
    against the baseline on the same seeds, `.bottlenecks` and `.bottleneck_notes`, `.timings`.

    With overrides, the config decides the baseline (`baseline`, `baseline_channels`, named presets included) and
    the bottleneck table (`outputs.bottlenecks`), as in the CLI; `baseline` and `bottlenecks` override them. With a
    `Scenario`, the baseline defaults to `auto` (no spend when the strategy spends) and bottlenecks to on.
    `progress(phase, done, total)` reports the "simulate" and "baseline" phases.
    """
    if isinstance(scenario_or_overrides, str):
        raise TypeError("give overrides as a list, e.g. run_study(['strategy=balanced'])")
    configured: BaselineSpec = "auto"
    touches = None
    if isinstance(scenario_or_overrides, Scenario):
        scenario, table = scenario_or_overrides, True
    else:
        study = load_study(list(scenario_or_overrides or ()), config_dir=config_dir)
        scenario, configured, table = study.scenario, study.baseline, study.bottlenecks
        touches = touch_share(study.data.get("outputs") or {})  # outputs.touches: the touch log in `.run.touches`
    return _run_study(
        scenario,
        configured if isinstance(baseline, str) and baseline == CONFIGURED else baseline,
        bottlenecks=table if bottlenecks is None else bottlenecks,
        keep_records=keep_records,
        progress=progress,
        touches=touches,
    )
