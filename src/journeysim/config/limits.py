"""Numbers the engine computes with exactly: every value of a config, and the sums the engine forms from them.

Rates, budgets and counts are float64 in the engine. A value near 1e308 is finite, yet the sum of two of them
(a stage's total exit rate) overflows to infinity and the run "succeeds" with nonsense. Below 2**53 (~9e15) floats
hold every whole number exactly; journeysim allows magnitudes up to `MAX_MAGNITUDE` so sums of a few stay exact.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from journeysim.config.validate import Problem
from journeysim.model.scenario import Scenario

#: Largest magnitude of any number in a config (rates per day, budgets, counts, multipliers).
MAX_MAGNITUDE = 1e15
#: Settings that are identifiers, not quantities (numpy seeds take any whole number >= 0).
EXEMPT = ("sim.seed",)


def _numbers(node: Any, key: str) -> Iterable[tuple[str, float]]:
    """(dotted setting, value) of every number in a resolved config."""
    if isinstance(node, Mapping):
        for name, value in node.items():
            yield from _numbers(value, f"{key}.{name}" if key else str(name))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _numbers(value, f"{key}[{i}]")
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield key, float(node) if not isinstance(node, int) or abs(node) < 2**1000 else math.inf


def magnitude_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Every number whose magnitude exceeds `MAX_MAGNITUDE` (NaN and infinity are the model's to report)."""
    return [
        Problem(
            key,
            f"{value:g} is beyond the largest magnitude journeysim computes with exactly ({MAX_MAGNITUDE:g})",
            f"give {key} a value between -{MAX_MAGNITUDE:g} and {MAX_MAGNITUDE:g}",
        )
        for key, value in _numbers(data, "")
        if key not in EXEMPT and math.isfinite(value) and abs(value) > MAX_MAGNITUDE
    ]


def sum_problems(scenario: Scenario) -> list[Problem]:
    """A stage whose total exit rate (after segment multipliers) exceeds `MAX_MAGNITUDE` per day, or overflows."""
    problems: list[Problem] = []
    with np.errstate(over="ignore", invalid="ignore"):
        totals = scenario.rate_tensor().sum(axis=-1)
    for g, seg in enumerate(scenario.population.segments):
        for s, stage in enumerate(scenario.journey.stages):
            total = float(totals[g, s])
            if not (math.isfinite(total) and total <= MAX_MAGNITUDE):
                problems.append(
                    Problem(
                        f"journey.rates.{stage}",
                        f"the rates out of '{stage}' sum to {total:g} per day for segment '{seg.name}' (with its "
                        f"multipliers), beyond the largest journeysim computes with exactly ({MAX_MAGNITUDE:g})",
                        f"lower the rates out of '{stage}' or the segment's multipliers",
                    )
                )
    return problems


def limit_problems(data: Mapping[str, Any], scenario: Scenario) -> list[Problem]:
    """Values and rate sums the engine cannot represent exactly (see the module docstring)."""
    return magnitude_problems(data) + sum_problems(scenario)
