"""The answer's uncertainty and tables: the objective's CI at the chosen plan, the probability it beats the current
plan (paired, `study.compare.rank_scenarios`), per-channel response curves with bootstrap CIs and the marginal
return (objective and ROAS) of every channel at the chosen plan.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from journeysim.metrics import summarise_one
from journeysim.study.compare import rank_scenarios
from journeysim.study.optimize.curves import Curves, HillSum
from journeysim.study.optimize.search import objective_samples
from journeysim.study.optimize.solve import objective_slope

#: points per channel on the response-curve grid
GRID = 41
#: percentiles of the bootstrap bands
BAND = (2.5, 97.5)


def summary_of(samples: NDArray[np.float64]) -> dict[str, float]:
    """Mean, sd, 95% t interval and replications of per-replication values."""
    s = summarise_one(np.asarray(samples, float))
    return {"mean": s.mean, "std": s.std, "ci_low": s.ci_low, "ci_high": s.ci_high, "replications": s.replications}


def beats(chosen: NDArray[np.float64], current: NDArray[np.float64]) -> dict[str, float]:
    """The paired comparison chosen - current: the difference's mean and 95% CI, and P(chosen's true mean is
    higher) under the paired t reference (`rank_scenarios`' p_best_t of two scenarios)."""
    n = chosen.size
    d = summary_of(chosen - current)
    samples = pd.DataFrame(
        {
            "scenario": ["chosen"] * n + ["current"] * n,
            "replication": [*range(n), *range(n)],
            "objective": np.concatenate([chosen, current]),
        }
    )
    if np.allclose(chosen, current):
        p = math.nan
    else:
        ranks = rank_scenarios(samples, "objective", draws=20_000)
        p = float(ranks.loc[ranks["scenario"] == "chosen", "p_best_t"].iloc[0])
    return {"difference": d["mean"], "difference_low": d["ci_low"], "difference_high": d["ci_high"], "p_beats": p}


def _band(values: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    lo, hi = np.nanpercentile(values, BAND, axis=0)
    return lo, hi


def _marginals(curves: Curves, objective: str, x: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    spend = curves["spend"].slope(x)
    return {
        "marginal_objective": objective_slope(curves, objective, x),
        "marginal_roas": curves["revenue"].slope(x) / np.where(spend > 0, spend, np.nan),
    }


def allocation_table(
    channels: Sequence[str],
    current: NDArray[np.float64],
    chosen: NDArray[np.float64],
    box: tuple[NDArray[np.float64], NDArray[np.float64]],
    curves: Curves,
    draws: Sequence[Curves],
    objective: str,
) -> pd.DataFrame:
    """One row per channel: current and chosen budget, share, range, whether a bound holds it, and the marginal
    objective and marginal ROAS at the chosen plan with 95% bootstrap intervals."""
    lo, hi = box
    total = float(chosen.sum())
    out = pd.DataFrame({"channel": list(channels), "current_budget": current, "budget": chosen})
    out["share"] = chosen / total if total > 0 else math.nan
    out["change"] = chosen - current
    out["low"], out["high"] = lo, hi
    tol = 1e-6 * max(total, 1.0)
    out["at_bound"] = np.where(chosen <= lo + tol, "low", np.where(chosen >= hi - tol, "high", ""))
    point = _marginals(curves, objective, chosen)
    boot = [_marginals(c, objective, chosen) for c in draws]
    for name, value in point.items():
        out[name] = value
        if boot:
            low, high = _band(np.vstack([b[name] for b in boot]))
            out[f"{name}_low"], out[f"{name}_high"] = low, high
    return out


def _part(
    curves: Curves, outcome: str, i: int, grid: NDArray[np.float64], money: NDArray[np.float64] | None = None
) -> NDArray:
    """Channel i's contribution to `outcome` (profit: margin - spend) along `grid` (with carry-over its effective
    dose; `money`: the cell's own money where it differs, for the spend)."""

    def one(name: str) -> NDArray[np.float64]:
        c = curves[name]
        if isinstance(c, HillSum):
            xs = grid ** c.s[i]
            return np.asarray(c.a[i] * xs / (xs + c.h[i] ** c.s[i]))
        return np.asarray(c.k[i] * (grid if money is None else money))  # type: ignore[union-attr]

    return one("margin") - one("spend") if outcome == "profit" else one(outcome)


def curves_table(
    channels: Sequence[str],
    chosen: NDArray[np.float64],
    top: NDArray[np.float64],
    curves: Curves,
    draws: Sequence[Curves],
    outcomes: Sequence[str],
    simulated: tuple[NDArray[np.float64], dict[str, NDArray[np.float64]]],
) -> pd.DataFrame:
    """Per channel and outcome: the fitted curve on a grid from 0 to `top` with its 95% band (`kind` fit), and the
    simulated plans as partial values (the plan's increment less the other channels' fitted parts; `kind`
    simulated) so the fit can be judged by eye. With carry-over (`curves.carry`) a period's budget axis is
    its effective dose (averaged over its days): its own money plus what earlier periods carry in."""
    rows = []
    xs, means = simulated
    doses = xs if curves.carry is None else xs @ curves.carry.mean
    for i, c in enumerate(channels):
        grid = np.linspace(0.0, float(top[i]), GRID)
        for o in outcomes:
            fit = _part(curves, o, i, grid)
            band = np.vstack([_part(d, o, i, grid) for d in draws]) if draws else None
            lo, hi = _band(band) if band is not None else (fit, fit)
            for b, v, low, high in zip(grid, fit, lo, hi, strict=True):
                rows.append((c, o, "fit", float(b), float(v), float(low), float(high)))
            others = [_part(curves, o, j, doses[:, j], xs[:, j]) for j in range(len(channels)) if j != i]
            partial = (means[o] if o != "profit" else means["margin"] - means["spend"]) - sum(others)
            for b, v in zip(doses[:, i], partial, strict=True):
                rows.append((c, o, "simulated", float(b), float(v), math.nan, math.nan))
    cols = ["channel", "outcome", "kind", "budget", "value", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=cols)


def evaluations_table(
    channels: Sequence[str],
    budgets: Sequence[NDArray],
    increments: Sequence[pd.DataFrame],
    objective: str,
    kinds: Sequence[str],
) -> pd.DataFrame:
    """Every simulated plan: its kind (design, refine, current), budgets, total and objective mean with 95% CI."""
    rows = []
    for k, (x, inc) in enumerate(zip(budgets, increments, strict=True)):
        s = summary_of(objective_samples(inc, objective))
        row = {"plan": k, "kind": kinds[k], **dict(zip(channels, map(float, x), strict=True))}
        row.update(total=float(np.sum(x)), objective=s["mean"], ci_low=s["ci_low"], ci_high=s["ci_high"])
        rows.append(row)
    return pd.DataFrame(rows)
