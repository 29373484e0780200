"""The answer under parameter uncertainty (`sim.parameter_uncertainty`): the chosen, current and no-spend plans are
re-simulated with each replication's parameter draw, and the paired difference is split (one-way ANOVA by draw)
into the unknown rates' share and simulation noise; the parameter that matters most is the one with the largest
expected value of partial perfect information (EVPPI) for the chosen-vs-current decision.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from journeysim.model.scenario import Scenario
from journeysim.study.incrementality import outcome_row
from journeysim.study.optimize.evaluate import counterfactual, with_budgets
from journeysim.study.optimize.search import objective_samples
from journeysim.study.run import replication_seeds, simulate
from journeysim.study.uncertainty import ReplicationScenarios, draw_values
from journeysim.study.uncertainty_stats import evppi, p_better_noise, split

#: summary keys in money or customers (scaled like the objective)
SCALED_ALL = (
    "param_objective_mean",
    "param_objective_low",
    "param_objective_high",
    "param_difference",
    "param_difference_low",
    "param_difference_high",
    "param_sd_parameters",
    "param_sd_simulation",
)


def _outcomes(scenario: Scenario, base: Scenario) -> dict[str, NDArray[np.float64]]:
    """Per replication outcomes of `scenario`, replication r with its draw's parameters on `base`'s seed r."""
    per = ReplicationScenarios(scenario)
    rows = []
    for r, seed in enumerate(replication_seeds(base)):
        rec = simulate(per(r), np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key))
        rows.append({**outcome_row(rec), "clv": float(rec.prospect_clv.sum())})
    return {k: np.array([row[k] for row in rows], float) for k in rows[0]}


def _objective(
    plan: dict[str, NDArray[np.float64]], none: dict[str, NDArray[np.float64]], objective: str
) -> NDArray[np.float64]:
    return objective_samples(pd.DataFrame({k: plan[k] - none[k] for k in plan}), objective)


def _interval(mean: float, se: float, df: int) -> tuple[float, float]:
    if df < 1 or not math.isfinite(se):
        return math.nan, math.nan
    h = float(stats.t.ppf(0.975, df)) * se
    return mean - h, mean + h


def parameter_summary(
    base: Scenario,
    channels: Sequence[str],
    chosen: NDArray[np.float64],
    current: NDArray[np.float64],
    objective: str,
    build: Callable[[NDArray[np.float64], str], Scenario] | None = None,
) -> dict[str, float | str]:
    """Summary entries `param_*` (empty without parameter uncertainty): the objective's 95% CI at the chosen plan
    and of chosen - current over draws (parameter spread included), P(chosen beats current) over the parameter
    draws (noise shrunk out) and from simulation noise alone, the two standard deviations, and the decisive
    parameter (largest EVPPI). `build` makes a plan's scenario from its budgets (default: per channel)."""
    if base.settings.parameter_uncertainty is None:
        return {}
    order = ReplicationScenarios(base).order
    assert order is not None
    none = _outcomes(counterfactual(base, channels), base)
    make = build or (lambda x, name: with_budgets(base, channels, x, name))
    mine = _objective(_outcomes(make(chosen, "chosen"), base), none, objective)
    theirs = _objective(_outcomes(make(current, "current"), base), none, objective)
    obj, d = split(mine, order), split(mine - theirs, order)
    lo, hi = _interval(obj.mean, obj.se_mean, obj.draws - 1)
    dlo, dhi = _interval(d.mean, d.se_mean, d.draws - 1)
    shrunk = d.shrunk()
    keys = list(base.settings.parameter_uncertainty.keys)
    values = {key: np.array([draw_values(base, int(g))[key] for g in order]) for key in keys}
    worth = {key: evppi(mine - theirs, values[key], order, True) for key in keys}
    decisive = max(worth, key=lambda k: worth[k]) if worth and max(worth.values()) > 0 else ""
    return {
        "param_objective_mean": obj.mean,
        "param_objective_low": lo,
        "param_objective_high": hi,
        "param_difference": d.mean,
        "param_difference_low": dlo,
        "param_difference_high": dhi,
        "param_sd_parameters": math.sqrt(d.var_parameters) if math.isfinite(d.var_parameters) else math.nan,
        "param_sd_simulation": math.sqrt(d.var_simulation) if math.isfinite(d.var_simulation) else math.nan,
        "param_share_parameters": d.share_parameters,
        "param_p_beats": float(((shrunk > 0) + 0.5 * (shrunk == 0)).mean()),
        "param_p_beats_noise_only": p_better_noise(d, int(mine.size), True),
        "param_draws": float(d.draws),
        "decisive_parameter": decisive,
        "decisive_parameter_evppi": worth.get(decisive, 0.0) if decisive else 0.0,
    }
