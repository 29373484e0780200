"""The allocation problem on fitted curves: SLSQP on the budgets (a fixed total, per-channel ranges, share limits
and the incremental CAC / CPA / ROAS constraints), from several starts; and the least total reaching a goal.

At an interior optimum of a fixed total every channel has the same marginal return (the Lagrange multiplier of
the total); channels held at a bound have a lower (at the low end) or higher (at the high end) one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from journeysim.study.optimize.curves import Curve, Curves


@dataclass(frozen=True)
class Limits:
    """Incremental constraints: spend / new buyers <= max_cac, spend / purchases <= max_cpa, revenue / spend >=
    min_roas (None: no such constraint)."""

    max_cac: float | None = None
    max_cpa: float | None = None
    min_roas: float | None = None

    def any(self) -> bool:
        return any(v is not None for v in (self.max_cac, self.max_cpa, self.min_roas))


@dataclass(frozen=True)
class Group:
    """A range on the sum of some budgets: a channel's money over its periods in [low, high]."""

    index: NDArray[np.int64]
    low: float
    high: float


def _group_constraints(groups: Sequence[Group], size: int, total: float) -> list[dict[str, object]]:
    """Each group's range as linear SLSQP constraints on the budgets divided by `total` (a side the total already
    implies is left out: a redundant active constraint makes SLSQP stall)."""
    cons: list[dict[str, object]] = []
    for g in groups:
        ones = np.zeros(size)
        ones[g.index] = 1.0
        if g.low > 0:
            cons.append(
                {"type": "ineq", "fun": lambda u, o=ones, v=g.low / total: o @ u - v, "jac": lambda u, o=ones: o}
            )
        if g.high < total * (1 - 1e-12) and g.index.size < size:
            cons.append(
                {"type": "ineq", "fun": lambda u, o=ones, v=g.high / total: v - o @ u, "jac": lambda u, o=-ones: o}
            )
    return cons


def objective_value(curves: Curves, objective: str, x: NDArray[np.float64]) -> float:
    """The modelled objective at budgets `x` (profit: margin - spend)."""
    if objective == "profit":
        return curves["margin"](x) - curves["spend"](x)
    return curves[objective](x)


def objective_slope(curves: Curves, objective: str, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Its gradient: the marginal objective of each channel's budget."""
    if objective == "profit":
        return curves["margin"].slope(x) - curves["spend"].slope(x)
    return curves[objective].slope(x)


@dataclass(frozen=True)
class Slack:
    """One limit as g(x) = w_gain gain(x) - w_spend spend(x) >= 0 (linear in the curves, never a ratio)."""

    gain: Curve
    spend: Curve
    w_gain: float
    w_spend: float

    def __call__(self, x: NDArray[np.float64]) -> float:
        return self.w_gain * self.gain(x) - self.w_spend * self.spend(x)

    def grad(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.w_gain * self.gain.slope(x) - self.w_spend * self.spend.slope(x)


def limit_slacks(curves: Curves, limits: Limits) -> list[Slack]:
    """Each limit as a `Slack`: CAC c (c new buyers - spend), CPA c (c purchases - spend), ROAS r (revenue -
    r spend)."""
    sp = curves["spend"]
    out = []
    if limits.max_cac is not None:
        out.append(Slack(curves["new_buyers"], sp, float(limits.max_cac), 1.0))
    if limits.max_cpa is not None:
        out.append(Slack(curves["purchases"], sp, float(limits.max_cpa), 1.0))
    if limits.min_roas is not None:
        out.append(Slack(curves["revenue"], sp, 1.0, float(limits.min_roas)))
    return out


def project(y: NDArray[np.float64], lo: NDArray[np.float64], hi: NDArray[np.float64], total: float) -> NDArray:
    """The point of {lo <= x <= hi, sum x = total} nearest to `y` (Euclidean; bisection on the shift)."""
    top = np.minimum(hi, total)
    a, b = float((y - top).min()) - 1.0, float((y - lo).max()) + 1.0
    for _ in range(200):
        mid = 0.5 * (a + b)
        if np.clip(y - mid, lo, top).sum() > total:
            a = mid
        else:
            b = mid
    x = np.clip(y - 0.5 * (a + b), lo, top)
    return exact_total(x, lo, top, total)


def exact_total(x: NDArray[np.float64], lo: NDArray[np.float64], hi: NDArray[np.float64], total: float) -> NDArray:
    """`x` with the rounding left over put on one channel with room, so that `x.sum() == total` in floating point
    (tried a few units in the last place either side, channels with the most room first)."""
    x = np.clip(np.asarray(x, float), lo, hi)
    if float(x.sum()) == total:
        return x
    for i in np.argsort(-(hi - lo), kind="stable"):
        rest = x.copy()
        rest[i] = 0.0
        base = total - float(rest.sum())
        for k in (0, 1, -1, 2, -2, 3, -3, 4, -4):
            cand = base
            for _ in range(abs(k)):
                cand = float(np.nextafter(cand, math.inf if k > 0 else -math.inf))
            if not lo[i] <= cand <= hi[i]:
                continue
            y = x.copy()
            y[i] = cand
            if float(y.sum()) == total:
                return y
    return x


def _starts(lo: NDArray, hi: NDArray, total: float, given: Sequence[NDArray], n: int, seed: int) -> list[NDArray]:
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    c = lo.size
    points = [project(np.asarray(g, float), lo, hi, total) for g in given]
    points.append(project(np.full(c, total / c), lo, hi, total))
    points += [project(rng.dirichlet(np.ones(c)) * total, lo, hi, total) for _ in range(n)]
    return points


def maximise(
    curves: Curves,
    objective: str,
    lo: NDArray[np.float64],
    hi: NDArray[np.float64],
    total: float,
    limits: Limits = Limits(),
    given: Sequence[NDArray[np.float64]] = (),
    restarts: int = 6,
    groups: Sequence[Group] = (),
) -> tuple[NDArray[np.float64], bool]:
    """The budgets (summing to `total` exactly, within [lo, hi] and the `groups`' ranges) with the best modelled
    objective under the limits; the flag says whether the limits hold there (False: the best point found, which
    breaks them)."""
    top = np.minimum(hi, total)
    scale = total
    f0 = max(abs(objective_value(curves, objective, np.full(lo.size, total / lo.size))), 1e-9)
    cons: list[dict[str, object]] = [{"type": "eq", "fun": lambda u: u.sum() - 1.0, "jac": lambda u: np.ones_like(u)}]
    for g in limit_slacks(curves, limits):
        cons.append(
            {
                "type": "ineq",
                "fun": lambda u, g=g: g(u * scale) / f0,
                "jac": lambda u, g=g: g.grad(u * scale) * scale / f0,
            }
        )
    cons += _group_constraints(groups, lo.size, scale)

    def fun(u: NDArray[np.float64]) -> float:
        return -objective_value(curves, objective, u * scale) / f0

    def jac(u: NDArray[np.float64]) -> NDArray[np.float64]:
        return -objective_slope(curves, objective, u * scale) * scale / f0

    best, best_key = None, (-1, -1, -math.inf)
    bounds = list(zip(lo / scale, top / scale, strict=True))
    for x0 in _starts(lo, hi, total, given, restarts, seed=lo.size):
        res = minimize(fun, x0 / scale, jac=jac, bounds=bounds, constraints=cons, method="SLSQP",
                       options={"maxiter": 300, "ftol": 1e-12})  # fmt: skip
        x = exact_total(res.x * scale, lo, top, total)
        ok = all(g(x) >= -1e-6 * f0 for g in limit_slacks(curves, limits))
        fits = all(g.low - 1e-6 * total <= x[g.index].sum() <= g.high + 1e-6 * total for g in groups)
        key = (int(fits), int(ok), objective_value(curves, objective, x))
        if key > best_key:
            best, best_key = x, key
    assert best is not None
    return best, bool(best_key[1])


def least_total(
    curves: Curves,
    metric: str,
    goal: float,
    box_at: Callable[[float], tuple[NDArray[np.float64], NDArray[np.float64]]],
    max_total: float,
    limits: Limits = Limits(),
    groups_at: Callable[[float], Sequence[Group]] | None = None,
) -> tuple[NDArray[np.float64], bool]:
    """The cheapest budgets whose modelled `metric` reaches `goal`: bisection on the total, each total allocated
    by `maximise` within `box_at(total)` (the channels' ranges at that total; `groups_at(total)`: the channels'
    ranges over their periods). The flag: the goal is reachable
    within `max_total` (False: the budgets at `max_total`, the best there is)."""
    lo, hi = box_at(max_total)
    x_max, ok = maximise(curves, metric, lo, hi, max_total, limits, groups=groups_at(max_total) if groups_at else ())
    if not ok or objective_value(curves, metric, x_max) < goal:
        return x_max, False
    a, b, best = 0.0, max_total, x_max
    for _ in range(40):
        mid = 0.5 * (a + b)
        lo, hi = box_at(mid)
        if lo.sum() > mid or np.minimum(hi, mid).sum() < mid:
            a = mid
            continue
        groups = groups_at(mid) if groups_at else ()
        if any(g.low > float(hi[g.index].sum()) for g in groups):
            a = mid
            continue
        x, ok = maximise(
            curves, metric, lo, hi, mid, limits, given=[best * mid / best.sum()], restarts=2, groups=groups
        )
        if ok and objective_value(curves, metric, x) >= goal:
            b, best = mid, x
        else:
            a = mid
        if b - a < 1e-4 * max_total:
            break
    return best, True
