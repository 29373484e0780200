"""The notebook API: load a scenario from the shipped configs (plus overrides), run it, read DataFrames.

    import journeysim.api as js
    res = js.run(["population=b2b", "sim.replications=3"])
    res.funnel, res.timeseries, res.metrics_table()
    study = js.run_study(["strategy=balanced"])  # everything a CLI run writes: + incrementality, bottlenecks
    batch = js.run_many(["strategy=balanced"], [{"strategy.budget": b} for b in range(0, 200001, 1000)], workers=2)
    batch.table  # one tidy table; batch.studies: each variant's StudyResult (stacked passes, one shared baseline)

Overrides use the command line's syntax; `config_dir` adds your own configs as `--config-dir` does.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from journeysim.config.compose import compose
from journeysim.config.compose import load_scenario as _load_scenario
from journeysim.config.study import load_study
from journeysim.config.touches import touch_share
from journeysim.config.validate import InvalidConfig, resolved_container, scenario_from_container
from journeysim.errors import ConfigError
from journeysim.model import Dwell, Journey, OrderValue, Population, Scenario, Segment, Settings
from journeysim.study.baseline import Baseline
from journeysim.study.batch import BatchResult, Handle, VariantProblems
from journeysim.study.batch import run_many as _run_many
from journeysim.study.calibrate import RateEstimate, fit_rates
from journeysim.study.grid import run_grid
from journeysim.study.pipeline import BaselineSpec, StudyProgress, StudyResult
from journeysim.study.pipeline import run_study as _run_study
from journeysim.study.run import RunResult
from journeysim.study.run import run as _run
from journeysim.study.variants import Variant

__all__ = [
    "Baseline",
    "BatchResult",
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
    "run_many",
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


def _config_variant(data: dict[str, Any], variant: Mapping[str, Any], position: int) -> Scenario:
    """The scenario of the resolved config `data` with dotted config keys set (the CLI's `key=value` overrides,
    e.g. `strategy.budget`: budgets scale with the population as in a run); a `ConfigError` names the variant."""
    doc = copy.deepcopy(data)
    for key, value in variant.items():
        node = doc
        *parents, last = key.split(".")
        for part in parents:
            node = node.setdefault(part, {}) if isinstance(node, dict) else node
        if not isinstance(node, dict):
            raise ConfigError(
                f"variants[{position}].{key}", "is not a setting of the config", "use a dotted config key"
            )
        node[last] = value
    try:
        return scenario_from_container(doc)
    except ConfigError as exc:
        raise ConfigError(f"variants[{position}].{exc.setting}", exc.problem, exc.fix) from None


def run_many(
    base: Scenario | Sequence[str],
    variants: Sequence[Variant],
    *,
    baseline: BaselineSpec = "auto",
    workers: int = 1,
    config_dir: str | Path | None = None,
    handle: Handle | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BatchResult:
    """Many variants of one scenario at simulation speed (`study.batch.run_many`): `.table` (one tidy table) and
    `.studies` (each variant's `StudyResult`). With overrides, the base is composed once and each variant's dotted
    keys are config keys (`{"strategy.budget": 50000}`, as on the command line; no group choices); with a
    `Scenario`, they are `Scenario` keys (`study.variants`) or transforms. Variants on the same seed run on common
    random numbers in stacked passes, a shared no-spend baseline is simulated once, `workers` processes share it.
    """
    if isinstance(base, str):
        raise TypeError("give overrides as a list, e.g. run_many(['strategy=balanced'], variants)")
    if isinstance(base, Scenario):
        return _run_many(base, variants, baseline=baseline, workers=workers, handle=handle, progress=progress)
    study = load_study(list(base), config_dir=config_dir)
    scenarios: list[Scenario] = []
    problems: list[ConfigError] = []
    for i, v in enumerate(variants):
        try:
            scenarios.append(v(study.scenario) if callable(v) else _config_variant(study.data, v, i))
        except ConfigError as exc:
            problems.append(exc)
    if problems:
        raise problems[0] if len(problems) == 1 else VariantProblems(problems)
    chosen = study.baseline if isinstance(baseline, str) and baseline == CONFIGURED else baseline
    built = [_constant(sc, v) for sc, v in zip(scenarios, variants, strict=True)]
    result = _run_many(study.scenario, built, baseline=chosen, workers=workers, handle=handle, progress=progress)
    if len(result.table):  # the config keys each variant set, as `run_grid` shows Scenario keys
        keys = list(dict.fromkeys(k for v in variants if not callable(v) for k in v))
        for key in keys:
            values = [v.get(key) if not callable(v) else None for v in variants]
            result.table.insert(2, key, result.table["variant"].map(dict(enumerate(values))))
    return result


def _constant(scenario: Scenario, variant: Variant) -> Callable[[Scenario], Scenario]:
    """A transform that gives the already built scenario, named as the variant (its table label)."""

    def built(_: Scenario) -> Scenario:
        return scenario

    built.__name__ = (
        getattr(variant, "__name__", "") if callable(variant) else ",".join(f"{k}={v}" for k, v in variant.items())
    )
    return built
