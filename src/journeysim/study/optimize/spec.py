"""What a budget optimisation asks: the channels, the total (or a target to reach at least cost), the bounds, the
objective and the incremental constraints; checked against the scenario before anything is simulated.

Money here is the scenario's money (what the engine spends). Every problem found is collected, so a user fixes
them all in one go (`OptimizeInputError`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from journeysim.errors import ConfigError, did_you_mean
from journeysim.model.scenario import Scenario

#: objective name -> (what it means, the outcome column it is built from); all incremental over the horizon
OBJECTIVES: dict[str, str] = {
    "profit": "incremental profit: incremental margin - incremental spend",
    "new_buyers": "incremental new buyers",
    "revenue": "incremental revenue",
    "purchases": "incremental purchases",
    "clv": "incremental horizon CLV of the prospects (discounted margin of all acquired customers)",
}
#: what a `target` can name (the minimum-spend question): every objective
TARGETS = tuple(OBJECTIVES)


class OptimizeInputError(ValueError):
    """Everything wrong with an optimisation request, one `ConfigError` per problem."""

    def __init__(self, problems: Sequence[ConfigError]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Bound:
    """A channel's budget range: absolute money, or (`relative`) factors of its budget in the current plan."""

    low: float = 0.0
    high: float = math.inf
    relative: bool = False


@dataclass(frozen=True)
class Target:
    """The minimum-spend question: reach `value` of incremental `metric` with one-sided `confidence`."""

    metric: str
    value: float
    confidence: float = 0.9


@dataclass(frozen=True)
class OptimizeSpec:
    """One optimisation: `total` is split exactly over `channels` (or, with `target`, the least total is sought,
    up to `max_total`). Shares bound each channel to [min_share, max_share] x total. `max_cac`, `max_cpa` and
    `min_roas` are incremental constraints. `simulations` is the evaluation budget (candidate plans simulated,
    each on the scenario's replications; the no-spend counterfactual counts as one)."""

    channels: tuple[str, ...]
    total: float | None = None
    objective: str = "profit"
    bounds: Mapping[str, Bound] = field(default_factory=dict)
    min_share: float = 0.0
    max_share: float = 1.0
    max_cac: float | None = None
    max_cpa: float | None = None
    min_roas: float | None = None
    target: Target | None = None
    max_total: float | None = None
    simulations: int | None = None
    levels: tuple[float, ...] = (0.0, 0.4, 2.0)
    scale: float = 1.0  # scenario money per unit of the user's money (population.scale on budgets), for messages
    periods: str | None = None  # split each channel's money over periods too (`study.optimize.periods`)
    carry_over: bool = True  # with periods: curves on effective doses with adstock tails (`study.optimize.carry`)

    def least_for(self, curves: int) -> int:
        """The design (the reference, each curve's budget at every level, the counterfactual) plus two rounds."""
        moves = sum(1 for v in self.levels if v != 1.0)
        return 1 + moves * curves + 1 + 2

    @property
    def least_simulations(self) -> int:
        """The least evaluation budget with one curve per channel."""
        return self.least_for(len(self.channels))

    @property
    def budget(self) -> int:
        """The evaluation budget: `simulations`, by default the design plus four rounds."""
        return self.least_simulations + 2 if self.simulations is None else self.simulations

    def budget_for(self, curves: int) -> int:
        """The evaluation budget with `curves` response curves (cells with periods)."""
        return self.least_for(curves) + 2 if self.simulations is None else self.simulations


def current_budgets(scenario: Scenario, channels: Sequence[str]) -> NDArray[np.float64]:
    """Each channel's budget in the scenario's strategy (0 where it does not spend)."""
    plans = {p.channel: p.budget for p in scenario.strategy.plans}
    return np.array([float(plans.get(c, 0.0)) for c in channels])


def _positive(setting: str, value: float | None, fix: str) -> list[ConfigError]:
    if value is None or (math.isfinite(value) and value > 0):
        return []
    return [ConfigError(setting, f"{value!r} is not a number > 0", fix)]


def _channel_problems(spec: OptimizeSpec, scenario: Scenario) -> list[ConfigError]:
    out = []
    if not spec.channels:
        out.append(ConfigError("channels", "no channel to allocate", "name two or more channels, e.g. social,search"))
    known = list(scenario.channels)
    cell_bounds = [b for b in spec.bounds if "@" in b]
    if cell_bounds and spec.periods is None:
        out.append(ConfigError(f"bounds.{cell_bounds[0]}", "a bound per period needs periods", "add --periods"))
    named = [b.partition("@")[0] for b in spec.bounds]
    for c in [*spec.channels, *dict.fromkeys(b for b in named if b not in spec.channels)]:
        if c not in known:
            out.append(
                ConfigError(
                    "channels" if c in spec.channels else f"bounds.{c}",
                    f"unknown channel '{c}'{did_you_mean(c, known)}",
                    f"use channels of the catalogue: {', '.join(known)}",
                )
            )
    if len(set(spec.channels)) != len(spec.channels):
        out.append(ConfigError("channels", "a channel is named twice", "name each channel once"))
    return out


def _scalar_problems(spec: OptimizeSpec) -> list[ConfigError]:
    out = []
    if spec.objective not in OBJECTIVES:
        out.append(
            ConfigError(
                "objective",
                f"unknown objective '{spec.objective}'{did_you_mean(spec.objective, OBJECTIVES)}",
                f"use one of {', '.join(OBJECTIVES)}",
            )
        )
    out += _positive("total", spec.total, "give the total budget to split, e.g. --total 150000")
    out += _positive("max_total", spec.max_total, "give the largest total to consider, e.g. --max-total 500000")
    for name in ("max_cac", "max_cpa", "min_roas"):
        out += _positive(name, getattr(spec, name), f"give a number > 0 or leave {name} out")
    if not (0.0 <= spec.min_share <= spec.max_share <= 1.0):
        out.append(
            ConfigError(
                "shares",
                f"min_share {spec.min_share:g} and max_share {spec.max_share:g} are not 0 <= min <= max <= 1",
                "give shares of the total in [0, 1], e.g. --min-share 0.05 --max-share 0.5",
            )
        )
    if spec.periods is None and spec.budget < spec.least_simulations:
        out.append(
            ConfigError(
                "simulations",
                f"{spec.budget} simulated plans cannot fit {len(spec.channels)} response curves",
                f"give at least {spec.least_simulations} (the design and two rounds)",
            )
        )
    out += _target_problems(spec)
    return out


def _target_problems(spec: OptimizeSpec) -> list[ConfigError]:
    t = spec.target
    if t is None:
        if spec.total is None:
            return [ConfigError("total", "neither a total nor a target is given", "give --total X or --target M=V")]
        return []
    out = []
    if t.metric not in TARGETS:
        out.append(
            ConfigError(
                "target",
                f"unknown metric '{t.metric}'{did_you_mean(t.metric, TARGETS)}",
                f"use one of {', '.join(TARGETS)}, e.g. --target new_buyers=5000",
            )
        )
    out += _positive("target", t.value, "give the value to reach, e.g. --target new_buyers=5000")
    if not 0.5 <= t.confidence < 1.0:
        out.append(ConfigError("confidence", f"{t.confidence!r} is not in [0.5, 1)", "e.g. --confidence 0.9"))
    if spec.total is not None:
        out.append(ConfigError("total", "a target asks for the least total", "give --target or --total, not both"))
    return out


def box(
    spec: OptimizeSpec, current: NDArray[np.float64], total: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Each channel's budget range for this total: its bound (relative ones x its current budget) within the
    share limits."""
    lo, hi = np.zeros(len(spec.channels)), np.full(len(spec.channels), math.inf)
    for i, c in enumerate(spec.channels):
        b = spec.bounds.get(c, Bound())
        scale = current[i] if b.relative else 1.0
        lo[i], hi[i] = b.low * scale, b.high * scale
    return np.maximum(lo, spec.min_share * total), np.minimum(hi, spec.max_share * total)


def _bound_problems(spec: OptimizeSpec, current: NDArray[np.float64]) -> list[ConfigError]:
    out = []
    for i, c in enumerate(spec.channels):
        b = spec.bounds.get(c, Bound())
        if not (0 <= b.low <= b.high) or math.isnan(b.high):
            out.append(ConfigError(f"bounds.{c}", f"{b.low:g}..{b.high:g} is not 0 <= low <= high", "e.g. 0:50000"))
        if b.relative and current[i] <= 0:
            out.append(
                ConfigError(
                    f"bounds.{c}",
                    "a bound relative to the current plan, but the current plan spends nothing on it",
                    "give absolute money (e.g. 1000:20000) or start from a strategy that spends on it",
                )
            )
    if out or spec.total is None:
        return out
    lo, hi = box(spec, current, spec.total)
    if lo.sum() > spec.total * (1 + 1e-12) or hi.sum() < spec.total * (1 - 1e-12) or (lo > hi).any():
        out.append(
            ConfigError(
                "bounds",
                f"the channels' ranges hold {lo.sum() / spec.scale:,.2f}..{hi.sum() / spec.scale:,.2f}, "
                f"not the total {spec.total / spec.scale:,.2f}",
                "widen the bounds or shares, or change the total",
            )
        )
    return out


def problems(spec: OptimizeSpec, scenario: Scenario) -> list[ConfigError]:
    """Every problem of `spec` on `scenario` (nothing is simulated)."""
    found = _channel_problems(spec, scenario) + _scalar_problems(spec)
    if not found:
        found = _bound_problems(spec, current_budgets(scenario, spec.channels))
    return found


def check(spec: OptimizeSpec, scenario: Scenario) -> None:
    """Raise `OptimizeInputError` with every problem of `spec` on `scenario` (nothing is simulated)."""
    found = problems(spec, scenario)
    if found:
        raise OptimizeInputError(found)
