"""Per-channel response curves fitted to paired simulations: an outcome's increment over the counterfactual is
modelled as a sum of Hill curves in the channels' budgets, y(x) = sum_c a_c x_c^s / (x_c^s + h_c^s).

The sum makes the allocation problem smooth (gradients in closed form) and matches a model whose channels act
on separate customers exactly; where channels interact, the optimiser's verification rounds correct it. Curves
are fitted to the means over replications; their uncertainty comes from resampling replications (the same
replications for every candidate, so the pairing of common random numbers is kept).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

#: Hill slope range: below 0.6 the curve's gradient at zero budget is too steep to optimise on
SLOPE_RANGE = (0.6, 3.0)
#: pull of the slope towards 1 (a plain saturating curve) when the data cannot tell
SLOPE_PRIOR = 0.05


@dataclass(frozen=True)
class Carry:
    """Carry-over between periods (`study.optimize.carry`): each cell's effective dose on the days of its period,
    x @ days (..., L), the cells' columns laid end to end (cell k's from column `start[k]`), each column standing
    for `weight` of its period's days (days with the same dose share a column; a cell's weights add up to 1)."""

    days: NDArray[np.float64]  # (K, L) per unit of each cell's money
    start: NDArray[np.intp]  # (K,)
    weight: NDArray[np.float64]  # (L,)

    @property
    def rep(self) -> NDArray[np.intp]:
        """The cell of every column."""
        return np.repeat(np.arange(self.start.size), np.diff(np.append(self.start, self.weight.size)))

    @property
    def mean(self) -> NDArray[np.float64]:
        """(K, K): each cell's dose averaged over its period, x @ mean (`analytic.carryover.carry_matrix`)."""
        return np.add.reduceat(self.days * self.weight, self.start, axis=1)

    def dose(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(x, float) @ self.days


@dataclass(frozen=True)
class HillSum:
    """Fitted curves of one outcome: per channel the maximum `a`, half-saturation budget `h` and slope `s`. With
    `carry` (carry-over between periods) a cell's part is a_k times the mean over its period's days of the Hill
    curve of that day's effective dose (its own money's adstock plus what earlier periods carry in)."""

    a: NDArray[np.float64]
    h: NDArray[np.float64]
    s: NDArray[np.float64]
    carry: Carry | None = None

    def parts(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Each channel's contribution at budgets `x` (..., C)."""
        if self.carry is not None:
            r = self.carry.rep
            xs = np.maximum(self.carry.dose(x), 0.0) ** self.s[r]
            daily = xs / (xs + self.h[r] ** self.s[r]) * self.carry.weight
            return self.a * np.add.reduceat(daily, self.carry.start, axis=-1)
        xs = np.maximum(np.asarray(x, float), 0.0) ** self.s
        return self.a * xs / (xs + self.h**self.s)

    def __call__(self, x: NDArray[np.float64]) -> float:
        return float(self.parts(x).sum())

    def slope(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """d outcome / d budget per channel at `x`: the marginal return of one more unit of money (with `carry`,
        through every day's dose it raises)."""
        if self.carry is not None:
            r = self.carry.rep
            xx = np.maximum(self.carry.dose(x), 1e-9 * self.h[r])
            a, hs, s = self.a[r] * self.carry.weight, self.h[r] ** self.s[r], self.s[r]
            return np.asarray(self.carry.days @ (a * s * hs * xx ** (s - 1) / (xx**s + hs) ** 2))
        xx = np.maximum(np.asarray(x, float), 1e-9 * self.h)
        hs = self.h**self.s
        return self.a * self.s * hs * xx ** (self.s - 1) / (xx**self.s + hs) ** 2


@dataclass(frozen=True)
class Linear:
    """An outcome proportional to budgets (spend: what the plan actually pays per unit of budget)."""

    k: NDArray[np.float64]

    def parts(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.k * np.asarray(x, float)

    def __call__(self, x: NDArray[np.float64]) -> float:
        return float(self.parts(x).sum())

    def slope(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.k.copy()


Curve = HillSum | Linear


def fit_linear(x: NDArray[np.float64], y: NDArray[np.float64]) -> Linear:
    """Least squares k >= 0 for y = x @ k (spend is budget, less what clipping or empty audiences leave unspent)."""
    k, *_ = np.linalg.lstsq(x, y, rcond=None)
    return Linear(np.clip(k, 0.0, None))


def _start(x: NDArray[np.float64], y: NDArray[np.float64], scale: NDArray[np.float64]) -> NDArray[np.float64]:
    """Initial (a, log h, s): a from a linear fit at half saturation around the typical budget."""
    k, *_ = np.linalg.lstsq(x / scale, y, rcond=None)
    c = x.shape[1]
    return np.concatenate([2.0 * k, np.zeros(c), np.ones(c)])


class _DailyModel:
    """The least-squares model of a Hill sum on daily doses (normalised `days` (N, L)), with its Jacobian in
    closed form (a numerical one costs 3 C evaluations over every day of every period)."""

    def __init__(self, days: NDArray[np.float64], carry: Carry, yn: NDArray[np.float64]) -> None:
        self.days, self.carry, self.yn, self.rep = days, carry, yn, carry.rep
        self.logd = np.log(np.where(days > 0, days, 1.0))
        self.c = carry.start.size

    def _hill(self, p: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
        c, r = self.c, self.rep
        a, h, s = p[:c], np.exp(p[c : 2 * c]), p[2 * c :]
        xs = self.days ** s[r]
        return a, h, s, xs / (xs + h[r] ** s[r])

    def residuals(self, p: NDArray[np.float64]) -> NDArray[np.float64]:
        a, _, s, hill = self._hill(p)
        fit = (a[self.rep] * self.carry.weight * hill).sum(axis=1)
        return np.concatenate([fit - self.yn, SLOPE_PRIOR * (s - 1.0)])

    def jacobian(self, p: NDArray[np.float64]) -> NDArray[np.float64]:
        """d residuals / d (a, log h, s): per cell sums over its columns of w H, -a w s H (1 - H) and
        a w H (1 - H) (ln d - ln h); the slope prior adds its weight on the diagonal."""
        a, h, s, hill = self._hill(p)
        r, w, start = self.rep, self.carry.weight, self.carry.start
        bend = a[r] * w * hill * (1.0 - hill)
        out = np.zeros((self.yn.size + self.c, 3 * self.c))
        out[: self.yn.size, : self.c] = np.add.reduceat(w * hill, start, axis=1)
        out[: self.yn.size, self.c : 2 * self.c] = np.add.reduceat(-s[r] * bend, start, axis=1)
        out[: self.yn.size, 2 * self.c :] = np.add.reduceat(bend * (self.logd - np.log(h)[r]), start, axis=1)
        out[self.yn.size :, 2 * self.c :] = SLOPE_PRIOR * np.eye(self.c)
        return out


def fit_hill(
    x: NDArray[np.float64], y: NDArray[np.float64], start: HillSum | None = None, carry: Carry | None = None
) -> tuple[HillSum, NDArray[np.float64]]:
    """Least-squares fit of a Hill sum to budgets `x` (N, C) and increments `y` (N,); returns the curves and the
    packed parameters (to warm-start refits). With `carry` the curves are of the daily effective doses."""
    c = x.shape[1]
    mean = x if carry is None else x @ carry.mean
    scale = np.maximum(mean.max(axis=0), 1e-9)
    ys = max(float(np.abs(y).max()), 1e-9)
    xn, yn = mean / scale, y / ys

    def unpack(p: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
        return p[:c], np.exp(p[c : 2 * c]), p[2 * c :]

    def residuals(p: NDArray[np.float64]) -> NDArray[np.float64]:
        a, h, s = unpack(p)
        xs = xn**s
        fit = (a * xs / (xs + h**s)).sum(axis=1)
        return np.concatenate([fit - yn, SLOPE_PRIOR * (s - 1.0)])

    p0 = (
        _start(mean, y / ys, scale)
        if start is None
        else np.concatenate([start.a / ys, np.log(start.h / scale), start.s])
    )
    lower = np.concatenate([np.full(c, -np.inf), np.full(c, math.log(0.01)), np.full(c, SLOPE_RANGE[0])])
    upper = np.concatenate([np.full(c, np.inf), np.full(c, math.log(100.0)), np.full(c, SLOPE_RANGE[1])])
    p0 = np.clip(p0, lower + 1e-9, upper - 1e-9)
    if carry is None:
        sol = least_squares(residuals, p0, bounds=(lower, upper), x_scale="jac", max_nfev=400 * (3 * c + 1))
    else:
        model = _DailyModel(carry.dose(x) / scale[carry.rep], carry, yn)
        sol = least_squares(model.residuals, p0, jac=model.jacobian, bounds=(lower, upper), x_scale="jac",
                            max_nfev=400 * (3 * c + 1))  # fmt: skip
    a, h, s = unpack(sol.x)
    return HillSum(a * ys, h * scale, s.copy(), carry), sol.x


@dataclass(frozen=True)
class Curves:
    """Fitted curves per outcome (`spend` linear, the others Hill sums) over the same channels."""

    channels: tuple[str, ...]
    by_outcome: dict[str, Curve]
    carry: Carry | None = None  # carry-over: the Hill curves are of the daily effective doses

    def __getitem__(self, outcome: str) -> Curve:
        return self.by_outcome[outcome]


def fit_curves(
    channels: Sequence[str],
    x: NDArray[np.float64],
    means: dict[str, NDArray[np.float64]],
    start: Curves | None = None,
    carry: Carry | None = None,
) -> Curves:
    """Curves for every outcome in `means` (outcome -> (N,) mean increments at budgets `x`); with `carry` the Hill
    curves are fitted on the daily effective doses (spend stays linear in the money)."""
    out: dict[str, Curve] = {}
    for name, y in means.items():
        if name == "spend":
            out[name] = fit_linear(x, y)
            continue
        warm = start.by_outcome.get(name) if start is not None else None
        out[name] = fit_hill(x, y, warm if isinstance(warm, HillSum) else None, carry)[0]
    return Curves(tuple(channels), out, carry)


def bootstrap_curves(
    channels: Sequence[str],
    x: NDArray[np.float64],
    per_replication: dict[str, NDArray[np.float64]],
    point: Curves,
    draws: int,
    seed: np.random.SeedSequence,
) -> list[Curves]:
    """Refits on replications resampled with replacement (the same rows for every candidate: pairs kept);
    `per_replication`: outcome -> (N, R) increments."""
    rng = np.random.default_rng(seed)
    reps = next(iter(per_replication.values())).shape[1]
    fits = []
    for _ in range(draws):
        rows = rng.integers(0, reps, reps)
        means = {k: v[:, rows].mean(axis=1) for k, v in per_replication.items()}
        fits.append(fit_curves(channels, x, means, start=point, carry=point.carry))
    return fits
