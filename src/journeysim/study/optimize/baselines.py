"""Baselines the optimiser is measured against: Optuna's TPE sampler searching the same decision, each trial one
simulated plan scored on the optimiser's common random numbers (optuna is an optional extra, imported when called).

Two search spaces: `simplex` (one weight in [0, 1] per channel, normalised to the total and moved to the nearest
plan within the bounds, so every trial honours the fixed total) and `box` (each channel's budget within its
bounds on its own, as the `hydra/sweeper=budget_search` preset searches: the total is not held).

    from journeysim.study.optimize.baselines import optuna_search
    found = optuna_search(scenario, ("social", "search"), lo, hi, total=20_000, trials=40, seed=7)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from journeysim.model.scenario import Scenario
from journeysim.study.optimize.evaluate import Evaluator
from journeysim.study.optimize.search import objective_samples
from journeysim.study.optimize.solve import project

#: the search spaces `optuna_search` knows
SPACES = ("simplex", "box")


@dataclass
class SearchResult:
    """Every trial's plan and mean objective, in the order simulated; `best_of(n)` is the answer after n trials."""

    space: str
    budgets: list[NDArray[np.float64]] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    def best_of(self, n: int | None = None) -> tuple[NDArray[np.float64], float]:
        """The best plan among the first `n` trials (all by default) and its mean objective."""
        values = self.values[: len(self.values) if n is None else n]
        k = int(np.argmax(values))
        return self.budgets[k], values[k]


def simplex_plan(
    weights: NDArray[np.float64], lo: NDArray[np.float64], hi: NDArray[np.float64], total: float
) -> NDArray[np.float64]:
    """Weights (>= 0) normalised to `total` (an equal split when all are 0), then the nearest plan within
    [lo, hi] with the same total: a trial's allocation that honours the total exactly."""
    w = np.asarray(weights, float)
    y = total * w / w.sum() if w.sum() > 0 else np.full(w.size, total / w.size)
    return np.asarray(project(y, lo, hi, total), float)


class PlanObjective:
    """A plan's score as a search sees it: the mean over the base scenario's replications of its incremental
    objective over the counterfactual, every plan on the same seeds (common random numbers)."""

    def __init__(self, base: Scenario, channels: Sequence[str], objective: str = "profit") -> None:
        self.evaluator = Evaluator(base, channels)
        self.objective = objective

    def __call__(self, plans: Sequence[NDArray[np.float64]]) -> list[float]:
        """The mean objective of each plan (simulated together, one simulation each)."""
        return [float(objective_samples(inc, self.objective).mean()) for inc in self.evaluator(plans)]


def _suggest(
    trial: Any, channels: Sequence[str], lo: NDArray[np.float64], hi: NDArray[np.float64], total: float, space: str
) -> NDArray[np.float64]:
    if space == "box":
        return np.array([trial.suggest_float(c, float(a), float(b)) for c, a, b in zip(channels, lo, hi, strict=True)])
    weights = np.array([trial.suggest_float(f"weight_{c}", 0.0, 1.0) for c in channels])
    return simplex_plan(weights, lo, hi, total)


def optuna_search(
    base: Scenario,
    channels: Sequence[str],
    lo: NDArray[np.float64],
    hi: NDArray[np.float64],
    *,
    total: float,
    trials: int,
    seed: int,
    space: str = "simplex",
    objective: str = "profit",
    batch: int = 2,
    startup: int = 10,
    multivariate: bool = False,
) -> SearchResult:
    """Optuna TPE (seeded, `startup` random trials first, as the preset) maximising the mean incremental
    `objective`; `batch` trials are asked, simulated together and told at a time (the preset's `n_jobs`);
    `multivariate` models the channels jointly (optuna's experimental option; the preset's TPE does not).
    Raises `ImportError` with the install line when optuna is missing."""
    if space not in SPACES:
        raise ValueError(f"space must be one of {SPACES}, not {space!r}")
    if space == "box" and not np.isfinite(hi).all():
        raise ValueError("space='box' needs a finite upper bound for every channel")
    try:
        import optuna
    except ImportError as exc:  # the optional extra
        raise ImportError('optuna_search needs optuna: pip install "journeysim[optuna]"') from exc
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():  # multivariate is experimental in optuna 2.10
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup, multivariate=multivariate)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    score = PlanObjective(base, channels, objective)
    found = SearchResult(space)
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    while len(found.values) < trials:
        asked = [study.ask() for _ in range(min(batch, trials - len(found.values)))]
        plans = [_suggest(t, channels, lo, hi, total, space) for t in asked]
        for t, x, v in zip(asked, plans, score(plans), strict=True):
            study.tell(t, v)
            found.budgets.append(x)
            found.values.append(v)
    return found
