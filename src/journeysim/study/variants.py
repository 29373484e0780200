"""Variants of one base scenario: dotted-key overrides applied to the `Scenario` dataclasses, or transforms, and
the tidy table their studies make (shared by `grid.run_grid` and `batch.run_many`).

A variant is either a mapping of dotted keys to values, applied to the `Scenario` dataclasses (`settings.seed`,
`sim.replications` (`sim` is the config's name for `settings`), `journey.rates.awareness.interest`,
`strategy.plans.0.budget`: dataclass fields, mapping keys and tuple indices), or a function `Scenario -> Scenario`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from journeysim.errors import ConfigError, did_you_mean
from journeysim.model.scenario import Scenario
from journeysim.study.pipeline import StudyResult

Variant = Mapping[str, Any] | Callable[[Scenario], Scenario]
#: Config section names that differ from the `Scenario` field they set.
ALIASES = {"sim": "settings"}
#: The summary columns of each metric row.
SUMMARY = ("mean", "std", "ci_low", "ci_high", "replications")


def _parts(key: str) -> list[str]:
    parts = key.split(".")
    return [ALIASES.get(parts[0], parts[0]), *parts[1:]]


def _child(node: Any, part: str, key: str) -> Any:
    """`node`'s field, key or index `part`; a `ConfigError` on `key` naming the choices when there is none."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        names = [f.name for f in dataclasses.fields(node)]
        if part in names:
            return getattr(node, part)
    elif isinstance(node, Mapping):
        if part in node:
            return node[part]
        names = [str(k) for k in node]
    elif isinstance(node, tuple) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    else:
        names = [str(i) for i in range(len(node))] if isinstance(node, tuple) else []
    raise ConfigError(key, f"no '{part}' here{did_you_mean(part, names)}", f"use one of: {', '.join(names) or '-'}")


def _set(node: Any, parts: Sequence[str], value: Any, key: str) -> Any:
    """A copy of `node` with the value at `parts` replaced (dataclasses rebuilt, so their checks run again)."""
    if not parts:
        return value
    head, rest = parts[0], parts[1:]
    new = _set(_child(node, head, key), rest, value, key)
    if isinstance(node, Mapping):
        return {**node, head: new}
    if isinstance(node, tuple):
        i = int(head)
        return (*node[:i], new, *node[i + 1 :])
    return dataclasses.replace(node, **{head: new})


def value_at(scenario: Scenario, key: str) -> Any:
    """The value at dotted `key` of `scenario` (see the module docstring for the keys)."""
    node: Any = scenario
    for part in _parts(key):
        node = _child(node, part, key)
    return node


def apply(scenario: Scenario, variant: Variant) -> Scenario:
    """The scenario a variant describes: the overrides applied in order, or the transform's result."""
    if callable(variant):
        return variant(scenario)
    for key, value in variant.items():
        scenario = _set(scenario, _parts(key), value, key)
    return scenario


def _label(variant: Variant) -> str:
    return getattr(variant, "__name__", repr(variant)) if callable(variant) else ""


def _rows(study: StudyResult) -> list[dict[str, Any]]:
    """One row per metric of the run (metrics.json), then per incrementality metric when there is a baseline."""
    metrics = dict(study.metrics)
    if study.incrementality is not None:
        metrics.update(study.incrementality.metrics)
    return [{"metric": name, **{c: getattr(m, c) for c in SUMMARY}} for name, m in metrics.items()]


def tidy_table(
    variants: Sequence[Variant], scenarios: Sequence[Scenario], studies: Sequence[StudyResult]
) -> pd.DataFrame:
    """One row per variant and metric: `variant` (its position), `scenario`, one column per overridden key (each
    variant's value there, the base's where it sets none), `transform` (when any variant is one), then `metric`,
    mean, std, ci_low, ci_high and replications."""
    keys = list(dict.fromkeys(k for v in variants if not callable(v) for k in v))
    transforms = any(callable(v) for v in variants)
    rows: list[dict[str, Any]] = []
    for i, (variant, scenario, study) in enumerate(zip(variants, scenarios, studies, strict=True)):
        params: dict[str, Any] = {"variant": i, "scenario": scenario.name}
        params.update({k: value_at(scenario, k) for k in keys})
        if transforms:
            params["transform"] = _label(variant)
        rows += [{**params, **row} for row in _rows(study)]
    columns = ["variant", "scenario", *keys, *(["transform"] if transforms else []), "metric", *SUMMARY]
    return pd.DataFrame(rows, columns=columns)
