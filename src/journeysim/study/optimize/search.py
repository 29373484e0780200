"""The search loop: a design of paired simulations around the reference plan, curves fitted to it, the allocation
solved on the curves, the solution simulated, the curves refitted with it, until the solution stops moving or
the evaluation budget is spent. Each round costs one simulation; the design 1 + (levels - 1) x channels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from journeysim.study.optimize.curves import Curves, fit_curves
from journeysim.study.optimize.evaluate import OUTCOMES, Evaluator
from journeysim.study.optimize.solve import Group, Limits, exact_total, least_total, maximise, project

#: the search stops when the solution moves less than this share of the total
CONVERGED = 0.01


def needed(objective: str, limits: Limits) -> tuple[str, ...]:
    """The outcomes whose curves the question needs: spend and revenue (marginal ROAS), the objective's parts and
    the limited ratios' numerators."""
    parts = ["spend", "revenue", *(("margin",) if objective == "profit" else (objective,))]
    parts += [o for o, v in (("new_buyers", limits.max_cac), ("purchases", limits.max_cpa)) if v is not None]
    return tuple(o for o in dict.fromkeys(parts) if o in OUTCOMES)


def objective_samples(increments: pd.DataFrame, objective: str) -> NDArray[np.float64]:
    """The objective per replication from one candidate's increments (profit: margin - spend)."""
    if objective == "profit":
        return (increments["margin"] - increments["spend"]).to_numpy(float)
    return increments[objective].to_numpy(float)


def lower_bound(samples: NDArray[np.float64], confidence: float) -> float:
    """One-sided lower confidence bound of the mean: mean - t_{confidence, n-1} sd / sqrt(n) (the mean, n = 1)."""
    n = samples.size
    if n < 2:
        return float(samples.mean())
    return float(samples.mean() - stats.t.ppf(confidence, n - 1) * samples.std(ddof=1) / np.sqrt(n))


def limits_hold(increments: pd.DataFrame, limits: Limits) -> bool:
    """Whether the simulated (mean) increments meet the incremental CAC / CPA / ROAS limits."""
    m = increments.mean()
    checks = [
        limits.max_cac is None or m["spend"] <= limits.max_cac * m["new_buyers"],
        limits.max_cpa is None or m["spend"] <= limits.max_cpa * m["purchases"],
        limits.min_roas is None or m["revenue"] >= limits.min_roas * m["spend"],
    ]
    return bool(all(checks))


def design(reference: NDArray[np.float64], levels: Sequence[float], unit: float) -> list[NDArray[np.float64]]:
    """The reference plan, then each channel alone moved to every level x its reference budget (x `unit` where
    the reference spends nothing on it), the others held: enough to see each curve's shape."""
    points = [reference.copy()]
    for i in range(reference.size):
        for level in levels:
            if level == 1.0:
                continue
            x = reference.copy()
            x[i] = level * (reference[i] if reference[i] > 0 else unit)
            if not any(np.allclose(x, p) for p in points):
                points.append(x)
    return points


def fit(ev: Evaluator, outcomes: Sequence[str], start: Curves | None = None) -> Curves:
    """Curves of `outcomes` fitted to the means of everything simulated so far (on `ev.carry`'s doses if any)."""
    x = np.vstack(ev.budgets)
    means = {o: np.array([inc[o].mean() for inc in ev.increments]) for o in outcomes}
    return fit_curves(ev.channels, x, means, start, carry=ev.carry)


def _close(x: NDArray[np.float64], seen: Sequence[NDArray[np.float64]], scale: float) -> bool:
    return any(float(np.abs(x - p).sum()) < CONVERGED * scale for p in seen)


def refine_total(
    ev: Evaluator,
    objective: str,
    lo: NDArray[np.float64],
    hi: NDArray[np.float64],
    total: float,
    limits: Limits,
    budget: int,
    groups: Sequence[Group] = (),
) -> tuple[Curves, list[int]]:
    """Fixed total: solve on the curves, simulate the solution, refit; returns the last curves and the indices
    (into `ev`) of the simulated plans that honour the total (`groups`: channel ranges over periods)."""
    on_total = [k for k, x in enumerate(ev.budgets) if abs(x.sum() - total) <= 1e-9 * total]
    outcomes = needed(objective, limits)
    curves = fit(ev, outcomes)
    while ev.simulations < budget:
        seen = [ev.budgets[k] for k in on_total]
        x, _ = maximise(curves, objective, lo, hi, total, limits, given=seen[-2:], groups=groups)
        if _close(x, seen, total):
            break
        ev([x])
        on_total.append(len(ev.budgets) - 1)
        curves = fit(ev, outcomes, curves)
    return curves, on_total


def best_on_total(ev: Evaluator, candidates: Sequence[int], objective: str, limits: Limits) -> tuple[int, bool]:
    """The simulated plan with the best mean objective among those meeting the limits (else the best of all)."""
    ok = [k for k in candidates if limits_hold(ev.increments[k], limits)]
    pool = ok or list(candidates)
    k = max(pool, key=lambda i: float(objective_samples(ev.increments[i], objective).mean()))
    return k, bool(ok)


def refine_goal(
    ev: Evaluator,
    metric: str,
    goal: float,
    confidence: float,
    box_at: Callable[[float], tuple[NDArray[np.float64], NDArray[np.float64]]],
    max_total: float,
    limits: Limits,
    budget: int,
    groups_at: Callable[[float], Sequence[Group]] | None = None,
) -> tuple[Curves, list[int]]:
    """The least total: aim the curves at the goal plus a safety margin (the shortfall of the last simulated
    lower bound), simulate, refit; returns the last curves and the indices of the plans simulated for the goal."""
    outcomes = needed(metric, limits)
    curves = fit(ev, outcomes)
    lcb = lower_bound(objective_samples(ev.increments[0], metric), confidence)
    margin = max(float(objective_samples(ev.increments[0], metric).mean()) - lcb, 0.0)
    tried: list[int] = []
    short = False  # the last plan simulated fell short of the goal: a plan near it with a larger margin may not
    while ev.simulations < budget:
        x, reachable = least_total(curves, metric, goal + margin, box_at, max_total, limits, groups_at)
        if tried and not short and _close(x, [ev.budgets[k] for k in tried], max_total):
            break
        ev([x])
        tried.append(len(ev.budgets) - 1)
        got = lower_bound(objective_samples(ev.increments[-1], metric), confidence)
        short = got < goal
        if not reachable:
            break
        margin = max(margin + (goal - got) * (1.0 if got < goal else 0.5), 0.0)
        curves = fit(ev, outcomes, curves)
    return curves, tried


def reference_plan(
    current: NDArray[np.float64], lo: NDArray[np.float64], hi: NDArray[np.float64], total: float
) -> NDArray[np.float64]:
    """The current allocation scaled to `total` (an equal split where it spends nothing), within the ranges."""
    start = current * (total / current.sum()) if current.sum() > 0 else np.full(current.size, total / current.size)
    return exact_total(project(start, lo, hi, total), lo, np.minimum(hi, total), total)
