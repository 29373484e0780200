"""`optimise(scenario, spec)`: the budget optimiser on the simulated journey.

Fixed total: split `spec.total` over the channels for the best incremental objective under the ranges and the
incremental limits. Target: the least total whose incremental metric reaches the target with the stated
one-sided confidence. Both simulate candidate plans on common random numbers (`evaluate.Evaluator`), fit
per-channel response curves (`curves`), solve on them (`solve`) and verify every solution by simulation
(`search`); the answer is a simulated plan, never only a modelled one. Method and formulas: docs/optimize.md.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from journeysim.model.scenario import Scenario
from journeysim.study.optimize import answer, carry, parameters, periods, search
from journeysim.study.optimize.curves import Curves, bootstrap_curves
from journeysim.study.optimize.evaluate import Evaluator
from journeysim.study.optimize.periods import Cells
from journeysim.study.optimize.solve import Group, Limits, maximise
from journeysim.study.optimize.spec import OptimizeSpec, box, check, current_budgets

#: summary entries in money or customers (divided by the scale in `OptimizeResult.per_unit`)
_SCALED = {
    "total", "current_total", "target", "lower_bound", "difference", "difference_low", "difference_high",
    *(f"{w}_{k}" for w in ("objective", "current") for k in ("mean", "std", "ci_low", "ci_high")),
    *parameters.SCALED_ALL, "decisive_parameter_evppi",
}  # fmt: skip
#: bootstrap refits behind the curves' and marginal returns' intervals
DRAWS = 60


class Infeasible(ValueError):
    """No plan meets the request; `best` names the best value reachable and `result` holds what was found."""

    def __init__(self, setting: str, problem: str, fix: str, result: OptimizeResult) -> None:
        self.setting, self.problem, self.fix, self.result = setting, problem, fix, result
        super().__init__(f"{setting}: {problem}")


@dataclass
class OptimizeResult:
    """The chosen plan and its uncertainty. `summary`: objective at the chosen and the current plan (mean, CI),
    their paired difference and P(chosen beats current), simulations used, and for a target its lower bound.
    `allocation`, `curves_table` and `evaluations` are the tables written to allocation.csv, response_curves.csv
    and evaluations.csv."""

    spec: OptimizeSpec
    scenario: Scenario
    channels: tuple[str, ...]
    current: NDArray[np.float64]
    chosen: NDArray[np.float64]
    summary: dict[str, float | str | bool]
    allocation: pd.DataFrame
    curves_table: pd.DataFrame
    evaluations: pd.DataFrame
    curves: Curves
    notes: list[str] = field(default_factory=list)
    cells: Cells | None = None  # with periods: the (channel, period) cells `chosen` and `current` hold

    @property
    def total(self) -> float:
        return float(self.chosen.sum())

    def per_unit(self, scale: float) -> OptimizeResult:
        """The answer with money and counts divided by `scale` (a sample of the market simulated at `scale`, its
        budgets scaled alike, read for the whole market); ratios and probabilities unchanged."""
        if scale == 1.0:
            return self
        summary = {k: v / scale if k in _SCALED and isinstance(v, float) else v for k, v in self.summary.items()}
        summary["budget_scale"] = scale
        alloc = self.allocation.copy()
        for c in ("current_budget", "budget", "change", "low", "high"):
            alloc[c] = alloc[c] / scale
        curves = self.curves_table.copy()
        curves[["budget", "value", "ci_low", "ci_high"]] = curves[["budget", "value", "ci_low", "ci_high"]] / scale
        evals = self.evaluations.copy()
        money = [*self.channels, "total", "objective", "ci_low", "ci_high"]
        evals[money] = evals[money] / scale
        return dataclasses.replace(
            self,
            current=self.current / scale,
            chosen=self.chosen / scale,
            summary=summary,
            allocation=alloc,
            curves_table=curves,
            evaluations=evals,
        )

    def budgets(self) -> dict[str, float]:
        """Channel -> chosen budget."""
        return {c: float(b) for c, b in zip(self.channels, self.chosen, strict=True)}


def _max_total(spec: OptimizeSpec, current: NDArray[np.float64], cells: Cells | None = None) -> float:
    if spec.max_total is not None:
        return spec.max_total
    lo, hi, groups = _box(spec, cells, current, math.inf)
    if groups:
        hi = np.array([periods.channel_range(lo, hi, g)[1] for g in groups])
    if np.isfinite(hi).all():
        return float(hi.sum())
    return 5.0 * float(current.sum()) if current.sum() > 0 else math.nan


def _box(
    spec: OptimizeSpec, cells: Cells | None, current: NDArray[np.float64], total: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], tuple[Group, ...]]:
    """Each channel's (or cell's) range at `total`, and with periods each channel's range over its cells."""
    if cells is None:
        return (*box(spec, current, total), ())
    return periods.box(spec, cells, total)


def _reference(
    cells: Cells | None,
    current: NDArray[np.float64],
    ranges: tuple[NDArray[np.float64], NDArray[np.float64], tuple[Group, ...]],
    total: float,
) -> NDArray[np.float64]:
    """The plan the design moves around: the current money scaled to `total`, within the ranges."""
    lo, hi, _ = ranges
    return search.reference_plan(current, lo, hi, total) if cells is None else periods.reference(cells, *ranges, total)


def _limits(spec: OptimizeSpec) -> Limits:
    return Limits(spec.max_cac, spec.max_cpa, spec.min_roas)


def optimise(
    scenario: Scenario, spec: OptimizeSpec, *, progress: Callable[[str, int, int], None] | None = None
) -> OptimizeResult:
    """Run the optimisation `spec` asks for on `scenario` (see the module docstring); raises `OptimizeInputError`
    before simulating when the request cannot hold, and `Infeasible` (with the best reachable value) when no
    simulated plan meets it."""
    cells = periods.checked_cells(spec, scenario) if spec.periods is not None else None
    if cells is None:
        check(spec, scenario)
    channels = spec.channels
    current = current_budgets(scenario, channels) if cells is None else cells.current
    ev = Evaluator(
        scenario, channels, None if cells is None else (cells.names, partial(periods.with_cells, scenario, cells))
    )
    if cells is not None and spec.carry_over:
        ev.carry = carry.doses(scenario, cells)
    budget = spec.budget if cells is None else spec.budget_for(len(cells.pairs))
    kinds: list[str] = []
    reachable = ""

    def run(points: list[NDArray[np.float64]], kind: str) -> None:
        ev(points)
        kinds.extend([kind] * len(points))
        if progress is not None:
            progress(kind, ev.simulations, budget)

    if spec.target is None:
        assert spec.total is not None
        total = spec.total
        lo, hi, groups = _box(spec, cells, current, total)
        reference = _reference(cells, current, (lo, hi, groups), total)
        run(search.design(reference, spec.levels, total / len(ev.channels)), "design")
        n0 = len(ev.budgets)
        curves, on_total = search.refine_total(ev, spec.objective, lo, hi, total, _limits(spec), budget, groups)
        kinds.extend(["refine"] * (len(ev.budgets) - n0))
        k, ok = search.best_on_total(ev, on_total, spec.objective, _limits(spec))
        objective, problem = spec.objective, "" if ok else "limits"
        if not ok:  # simulate the plans that push each ratio furthest, to state the best reachable value
            extra = _ratio_plans(curves, lo, hi, total, _limits(spec), groups)
            run(extra, "limit")
            on_total += list(range(len(ev.budgets) - len(extra), len(ev.budgets)))
            reachable = best_ratios(ev, on_total, _limits(spec))
    else:
        max_total = _max_total(spec, current, cells)
        t = spec.target
        ref_total = float(current.sum()) if current.sum() > 0 else max_total / 3
        reference = _reference(cells, current, _box(spec, cells, current, ref_total), ref_total)
        run(search.design(reference, spec.levels, ref_total / len(ev.channels)), "design")
        n0 = len(ev.budgets)
        box_at = partial(_box, spec, cells, current)
        curves, tried = search.refine_goal(
            ev, t.metric, t.value, t.confidence, lambda b: box_at(b)[:2], max_total, _limits(spec), budget,
            None if cells is None else lambda b: box_at(b)[2],
        )  # fmt: skip
        kinds.extend(["refine"] * (len(ev.budgets) - n0))
        k, ok = _least(ev, tried or list(range(len(ev.budgets))), t.metric, t.value, t.confidence, _limits(spec))
        objective, problem = t.metric, "" if ok else "target"
        lo, hi, _ = box_at(float(ev.budgets[k].sum()))
    result = _answer(scenario, spec, ev, k, current, (lo, hi), curves, objective, kinds, run, cells)
    result.summary["best_reachable"] = reachable
    if problem:
        raise _infeasible(problem, spec, result.per_unit(spec.scale))
    return result


def _least(
    ev: Evaluator, tried: list[int], metric: str, goal: float, confidence: float, limits: Limits
) -> tuple[int, bool]:
    """The cheapest simulated plan whose lower bound reaches the goal (else the one with the highest bound)."""
    bounds = {k: search.lower_bound(search.objective_samples(ev.increments[k], metric), confidence) for k in tried}
    ok = [k for k in tried if bounds[k] >= goal and search.limits_hold(ev.increments[k], limits)]
    if ok:
        return min(ok, key=lambda k: float(ev.budgets[k].sum())), True
    return max(tried, key=lambda k: bounds[k]), False


def _answer(
    scenario: Scenario,
    spec: OptimizeSpec,
    ev: Evaluator,
    k: int,
    current: NDArray[np.float64],
    rng: tuple[NDArray[np.float64], NDArray[np.float64]],
    curves: Curves,
    objective: str,
    kinds: list[str],
    run: Callable[[list[NDArray[np.float64]], str], None],
    cells: Cells | None = None,
) -> OptimizeResult:
    """Uncertainty and tables for simulated plan `k` (the current plan is simulated when it was not)."""
    chosen = ev.budgets[k]
    at = [i for i, x in enumerate(ev.budgets) if np.allclose(x, current, rtol=0, atol=1e-9)]
    if not at:
        run([current], "current")
        at = [len(ev.budgets) - 1]
    mine = search.objective_samples(ev.increments[k], objective)
    theirs = search.objective_samples(ev.increments[at[0]], objective)
    x = np.vstack(ev.budgets)
    per_rep = {o: np.vstack([inc[o].to_numpy(float) for inc in ev.increments]) for o in curves.by_outcome}
    seed = np.random.SeedSequence(scenario.settings.seed).spawn(1)[0]
    draws = bootstrap_curves(ev.channels, x, per_rep, curves, DRAWS, seed)
    top = np.maximum(np.where(np.isfinite(rng[1]), rng[1], 0.0), 1.5 * x.max(axis=0))
    means = {o: v.mean(axis=1) for o, v in per_rep.items()}
    shown = [o for o in dict.fromkeys([objective, "revenue"])]
    mine_s, theirs_s = answer.summary_of(mine), answer.summary_of(theirs)
    summary: dict[str, float | str | bool] = {
        "objective": objective,
        "total": float(chosen.sum()),
        "current_total": float(current.sum()),
        **{f"objective_{key}": v for key, v in mine_s.items()},
        **{f"current_{key}": v for key, v in theirs_s.items() if key != "replications"},
        **answer.beats(mine, theirs),
        "simulations": ev.simulations,
        "replications_each": int(mine.size),
    }
    if spec.target is not None:
        summary["target"] = spec.target.value
        summary["confidence"] = spec.target.confidence
        summary["lower_bound"] = search.lower_bound(mine, spec.target.confidence)
    channels = spec.channels if cells is not None else ev.channels
    summary.update(parameters.parameter_summary(scenario, channels, chosen, current, objective, ev.build))
    allocation = answer.allocation_table(ev.channels, current, chosen, rng, curves, draws, objective)
    table = answer.curves_table(ev.channels, chosen, top, curves, draws, shown, (x, means))
    if cells is not None:
        summary["periods"] = ", ".join(f"{p.name} (days {p.start}-{p.end})" for p in cells.periods)
        allocation, table = periods.label(allocation, cells), periods.label(table, cells)
    return OptimizeResult(
        spec=spec,
        scenario=scenario,
        channels=ev.channels,
        current=current,
        chosen=chosen,
        summary=summary,
        allocation=allocation,
        curves_table=table,
        evaluations=answer.evaluations_table(ev.channels, ev.budgets, ev.increments, objective, kinds),
        curves=curves,
        cells=cells,
    )


def _infeasible(problem: str, spec: OptimizeSpec, result: OptimizeResult) -> Infeasible:
    s = result.summary
    if problem == "target":
        assert spec.target is not None
        t = spec.target
        return Infeasible(
            "target",
            f"no plan up to a total of {result.total:,.0f} reaches {t.metric} {t.value / spec.scale:,.6g} at "
            f"{t.confidence:.0%} "
            f"confidence; the best reachable is {s['lower_bound']:,.6g} (lower bound; mean {s['objective_mean']:,.6g}"
            f" at a total of {result.total:,.0f})",
            "lower the target or the confidence, raise --max-total or widen the bounds",
            result,
        )
    return Infeasible(
        "limits",
        f"no plan of total {result.total:,.0f} meets the limits; best reachable: {s['best_reachable']}",
        "relax --max-cac / --max-cpa / --min-roas, or change the total (smaller budgets saturate less)",
        result,
    )


def _ratio_plans(
    curves: Curves,
    lo: NDArray[np.float64],
    hi: NDArray[np.float64],
    total: float,
    limits: Limits,
    groups: Sequence[Group] = (),
) -> list[NDArray[np.float64]]:
    """At a fixed total (spend fixed), the plans the curves say push each limited ratio furthest: the most new
    buyers (CAC), purchases (CPA) or revenue (ROAS)."""
    wanted = [o for o, v in (("new_buyers", limits.max_cac), ("purchases", limits.max_cpa),
                             ("revenue", limits.min_roas)) if v is not None]  # fmt: skip
    return [maximise(curves, o, lo, hi, total, groups=groups)[0] for o in wanted]


def best_ratios(ev: Evaluator, candidates: list[int], limits: Limits) -> str:
    """The best incremental ratio any of the simulated plans reaches, per limit given (pooled over replications)."""
    means = [ev.increments[k].mean() for k in candidates]
    parts = []
    if limits.max_cac is not None:
        best = min(m["spend"] / m["new_buyers"] if m["new_buyers"] > 0 else math.inf for m in means)
        parts.append(f"incremental CAC {best:,.4g} (limit {limits.max_cac:,.4g})")
    if limits.max_cpa is not None:
        best = min(m["spend"] / m["purchases"] if m["purchases"] > 0 else math.inf for m in means)
        parts.append(f"incremental CPA {best:,.4g} (limit {limits.max_cpa:,.4g})")
    if limits.min_roas is not None:
        best = max(m["revenue"] / m["spend"] if m["spend"] > 0 else 0.0 for m in means)
        parts.append(f"incremental ROAS {best:,.4g} (limit {limits.min_roas:,.4g})")
    return "; ".join(parts)


__all__ = ["Infeasible", "OptimizeResult", "maximise", "optimise"]
