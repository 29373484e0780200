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
class HillSum:
    """Fitted curves of one outcome: per channel the maximum `a`, half-saturation budget `h` and slope `s`. With
    `mix` (carry-over between periods, `study.optimize.carry`) each curve is of its cell's effective dose x @ mix
    rather than of its own money."""

    a: NDArray[np.float64]
    h: NDArray[np.float64]
    s: NDArray[np.float64]
    mix: NDArray[np.float64] | None = None

    def dose(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """What each curve is evaluated on: the budgets, or with `mix` the effective doses x @ mix."""
        return np.asarray(x, float) if self.mix is None else np.asarray(x, float) @ self.mix

    def parts(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Each channel's contribution at budgets `x` (..., C)."""
        xs = np.maximum(self.dose(x), 0.0) ** self.s
        return self.a * xs / (xs + self.h**self.s)

    def __call__(self, x: NDArray[np.float64]) -> float:
        return float(self.parts(x).sum())

    def slope(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """d outcome / d budget per channel at `x`: the marginal return of one more unit of money (with `mix`,
        through every dose it raises: mix @ the curves' slopes)."""
        xx = np.maximum(self.dose(x), 1e-9 * self.h)
        hs = self.h**self.s
        out = self.a * self.s * hs * xx ** (self.s - 1) / (xx**self.s + hs) ** 2
        return out if self.mix is None else self.mix @ out


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


def fit_hill(
    x: NDArray[np.float64], y: NDArray[np.float64], start: HillSum | None = None
) -> tuple[HillSum, NDArray[np.float64]]:
    """Least-squares fit of a Hill sum to budgets `x` (N, C) and increments `y` (N,); returns the curves and the
    packed parameters (to warm-start refits)."""
    c = x.shape[1]
    scale = np.maximum(x.max(axis=0), 1e-9)
    ys = max(float(np.abs(y).max()), 1e-9)
    xn, yn = x / scale, y / ys

    def unpack(p: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
        return p[:c], np.exp(p[c : 2 * c]), p[2 * c :]

    def residuals(p: NDArray[np.float64]) -> NDArray[np.float64]:
        a, h, s = unpack(p)
        xs = xn**s
        fit = (a * xs / (xs + h**s)).sum(axis=1)
        return np.concatenate([fit - yn, SLOPE_PRIOR * (s - 1.0)])

    p0 = _start(x, y / ys, scale) if start is None else np.concatenate([start.a / ys, np.log(start.h / scale), start.s])
    lower = np.concatenate([np.full(c, -np.inf), np.full(c, math.log(0.01)), np.full(c, SLOPE_RANGE[0])])
    upper = np.concatenate([np.full(c, np.inf), np.full(c, math.log(100.0)), np.full(c, SLOPE_RANGE[1])])
    p0 = np.clip(p0, lower + 1e-9, upper - 1e-9)
    sol = least_squares(residuals, p0, bounds=(lower, upper), x_scale="jac", max_nfev=400 * (3 * c + 1))
    a, h, s = unpack(sol.x)
    return HillSum(a * ys, h * scale, s.copy()), sol.x


@dataclass(frozen=True)
class Curves:
    """Fitted curves per outcome (`spend` linear, the others Hill sums) over the same channels."""

    channels: tuple[str, ...]
    by_outcome: dict[str, Curve]
    mix: NDArray[np.float64] | None = None  # carry-over: the Hill curves are of the doses x @ mix

    def __getitem__(self, outcome: str) -> Curve:
        return self.by_outcome[outcome]


def fit_curves(
    channels: Sequence[str],
    x: NDArray[np.float64],
    means: dict[str, NDArray[np.float64]],
    start: Curves | None = None,
    mix: NDArray[np.float64] | None = None,
) -> Curves:
    """Curves for every outcome in `means` (outcome -> (N,) mean increments at budgets `x`); with `mix` the Hill
    curves are fitted on the effective doses x @ mix (spend stays linear in the money)."""
    out: dict[str, Curve] = {}
    for name, y in means.items():
        if name == "spend":
            out[name] = fit_linear(x, y)
            continue
        warm = start.by_outcome.get(name) if start is not None else None
        if mix is None:
            out[name] = fit_hill(x, y, warm if isinstance(warm, HillSum) else None)[0]
            continue
        fitted = fit_hill(x @ mix, y, warm if isinstance(warm, HillSum) else None)[0]
        out[name] = HillSum(fitted.a, fitted.h, fitted.s, mix)
    return Curves(tuple(channels), out, mix)


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
        fits.append(fit_curves(channels, x, means, start=point, mix=point.mix))
    return fits
