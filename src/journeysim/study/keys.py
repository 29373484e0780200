"""Dotted scenario keys: read (`value_at`) and replace (`apply`) a value anywhere in a `Scenario`.

A key names dataclass fields, mapping keys and tuple indices (`settings.seed`, `sim.replications` (`sim` is the
config's name for `settings`), `journey.rates.awareness.interest`, `strategy.plans.0.budget`). Replacing rebuilds
the dataclasses on the way, so their checks run again. Used by the grid, by parameter ensembles and by optimisers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from journeysim.errors import ConfigError, did_you_mean
from journeysim.model.scenario import Scenario

Variant = Mapping[str, Any] | Callable[[Scenario], Scenario]
#: Config section names that differ from the `Scenario` field they set.
ALIASES = {"sim": "settings"}


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
