"""`population.from_run=DIR`: continue from the end state of an earlier run.

The earlier run is reproduced from its `config.yaml` (same config + seed = identical results, so no event log is
needed): each replication is simulated again and its end state kept, namely every customer still in a
non-terminal stage with their per-customer random effects and (where a stage has a non-exponential dwell) their
time in the stage, and each funded channel's adstock. Replication r of
the new run starts from replication r of the earlier one (cyclically when it has more replications). The calendar
carries on: a dated earlier run moves the start date on by its horizon (unless `sim.start_date` is given), an
undated one shifts the weekly and seasonal patterns by its horizon; see docs/snapshot.md.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray

from journeysim.config.problems import InvalidConfig, Problem
from journeysim.engine.plan import Plan
from journeysim.engine.registry import ENGINES
from journeysim.errors import ConfigError, did_you_mean
from journeysim.io.outputs import CONFIG_FILE
from journeysim.model.scenario import Scenario
from journeysim.model.start import CarriedReplication, StartState
from journeysim.study.run import replication_seeds

SETTING = "population.from_run"
FIX = "give the directory of a finished journeysim run (it holds config.yaml)"


@dataclass(frozen=True)
class EndState:
    """One earlier replication's active customers (segment and stage names by code) and adstock per channel."""

    segment: NDArray[np.int16]
    stage: NDArray[np.int16]
    effects: dict[str, NDArray[np.float64]]
    adstock: dict[str, float]
    age: NDArray[np.float64] | None  # days in the current stage at the horizon (journeys with a non-exponential dwell)


@dataclass(frozen=True)
class EarlierRun:
    """What a continuation needs from an earlier run: names, calendar, and each replication's end state."""

    stages: tuple[str, ...]
    segments: tuple[str, ...]
    horizon_days: int
    start_date: datetime.date | None
    day_offset: int
    generation: int  # 0 for a fresh run, k for a k-th continuation
    ends: tuple[EndState, ...]


_CACHE: dict[tuple[str, int], EarlierRun] = {}  # (config path, mtime): a baseline reuses the earlier run


def _end_state(scenario: Scenario, seed: np.random.SeedSequence) -> EndState:
    plan = Plan.compile(scenario, seed)
    aging = any(d is not None for d in plan.dwell)  # the time in a stage matters only where a dwell has memory
    rec = ENGINES.get(scenario.settings.engine, "sim.engine")(plan, event_log=aging)
    c = rec.customers
    keep = (c.final_stage < rec.n_stages) & ~np.isin(c.final_stage, rec.terminal)
    age = None
    if aging and rec.events is not None:
        entered = np.zeros(len(c))  # when each customer entered its current stage: its last event (arrivals too)
        if plan.initial_age is not None:  # customers this run carried over had been in their stage a while already
            entered[: plan.n_initial] = -plan.initial_age
        who = rec.events["customer"].to_numpy(dtype=np.intp)
        np.maximum.at(entered, who, rec.events["time"].to_numpy(dtype=float))
        age = rec.horizon_days - entered[keep]
    return EndState(
        c.segment[keep],
        c.final_stage[keep],
        {name: values[keep] for name, values in c.effects.items()},
        {cs.channel.name: float(cs.adstock) for cs in plan.dynamics.channels},
        age,
    )


def earlier_run(directory: str, build: Callable[[Mapping[str, Any]], Scenario]) -> EarlierRun:
    """The earlier run in `directory`, reproduced from its config.yaml (cached while the file is unchanged)."""
    path = Path(directory) / CONFIG_FILE
    if not Path(directory).is_dir():
        raise InvalidConfig([Problem(SETTING, f"no directory '{directory}'", FIX)])
    if not path.is_file():
        raise InvalidConfig([Problem(SETTING, f"'{directory}' has no {CONFIG_FILE}", FIX)])
    key = (str(path.resolve()), path.stat().st_mtime_ns)
    if key in _CACHE:
        return _CACHE[key]
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, Mapping):
            raise ValueError("not a mapping")
        sc = build(data)
    except (yaml.YAMLError, ValueError, TypeError) as exc:  # ConfigError and InvalidConfig are ValueErrors
        first = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidConfig([Problem(SETTING, f"{path} is not a valid run config: {first}", FIX)]) from None
    ends = tuple(_end_state(sc, seed) for seed in replication_seeds(sc))
    s = sc.settings
    generation = 0 if sc.start_state is None else sc.start_state.generation
    run = EarlierRun(
        sc.journey.stages, sc.population.names, s.horizon_days, s.start_date, s.day_offset, generation, ends
    )
    _CACHE.clear()
    _CACHE[key] = run
    return run


def _carried(run: EarlierRun, end: EndState, scenario: Scenario) -> CarriedReplication:
    """One end state mapped onto the new scenario's segments and stages, in roster order."""
    j, names = scenario.journey, scenario.population.names
    seg_map = np.array([names.index(n) for n in run.segments], dtype=np.int64)
    st_map = np.array([j.index(n) for n in run.stages], dtype=np.int64)
    seg, st = seg_map[end.segment.astype(np.intp)], st_map[end.stage.astype(np.intp)]
    order = np.lexsort((st, seg))  # the roster's order: by segment, then stage
    counts = np.zeros((len(names), j.n_stages), dtype=np.int64)
    np.add.at(counts, (seg, st), 1)
    effect_names = list(dict.fromkeys(e.name for g in scenario.population.segments for e in g.heterogeneity.effects))
    effects = None
    if effect_names and set(effect_names) <= set(end.effects):
        values = np.stack([end.effects[n] for n in effect_names], axis=1)[order]
        effects = np.where(np.isnan(values), 1.0, values)
    age = None if end.age is None else end.age[order]
    return CarriedReplication(counts, effects, end.adstock, age)


def _check_names(run: EarlierRun, scenario: Scenario) -> None:
    problems = []
    for g, name in enumerate(run.segments):
        if name not in scenario.population.names and any((e.segment == g).any() for e in run.ends):
            hint = did_you_mean(name, scenario.population.names)
            problems.append(
                Problem(SETTING, f"the earlier run's segment '{name}' is not in this population{hint}", "add it")
            )
    for s, name in enumerate(run.stages):
        if name not in scenario.journey.stages and any((e.stage == s).any() for e in run.ends):
            hint = did_you_mean(name, scenario.journey.stages)
            problems.append(
                Problem(SETTING, f"the earlier run's stage '{name}' is not in this journey{hint}", "use its journey")
            )
    if problems:
        raise InvalidConfig(problems)


def continued(
    scenario: Scenario, directory: str, build: Callable[[Mapping[str, Any]], Scenario], dated: bool
) -> Scenario:
    """`scenario` starting from the end state of the run in `directory` (`dated`: sim.start_date was given)."""
    if not isinstance(directory, str) or not directory.strip():
        raise ConfigError(SETTING, f"{directory!r} is not a directory", "e.g. population.from_run=outputs/q1")
    run = earlier_run(directory, build)
    _check_names(run, scenario)
    reps = tuple(_carried(run, end, scenario) for end in run.ends)
    effects = list(dict.fromkeys(e.name for g in scenario.population.segments for e in g.heterogeneity.effects))
    settings = scenario.settings
    if not dated and run.start_date is not None:
        settings = dataclasses.replace(settings, start_date=run.start_date + datetime.timedelta(run.horizon_days))
    elif not dated:
        settings = dataclasses.replace(settings, day_offset=run.day_offset + run.horizon_days)
    state = StartState(str(directory), reps, tuple(effects), generation=run.generation + 1)
    return dataclasses.replace(scenario, settings=settings, start_state=state)
