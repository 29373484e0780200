"""Pure media math: spend -> media units -> exposures per person -> carryover -> response.

Plain numpy functions with no state, kept apart from the components that use them (as in PyMC-Marketing),
so each step can be checked by hand. Money (spend) and media units (impressions, clicks, sends) never mix:
`COST_MODELS` is the only place where one becomes the other. Cost models, response curves and pacings are
registries: a new one is a function here and one `add` line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from journeysim.interventions import pacing
from journeysim.registry import Registry


@dataclass(frozen=True)
class CostModel:
    """How money becomes media units: `units(spend, unit_cost)` bought from spend alone, or, when `day_units` is
    given, `day_units(spend, unit_cost, audience, frequency)` exposures of the day's audience (the spend buys no
    units in advance)."""

    units: Callable[[NDArray[np.float64], float], NDArray[np.float64]]
    day_units: Callable[[float, float, float, float], float] | None = None


def fixed_fee_units(spend: float, fee: float, audience: float, frequency: float) -> float:
    """A fixed fee per day exposes the whole audience `frequency` times a day at the full fee, pro rata below it."""
    return audience * frequency * min(1.0, spend / fee)


#: Cost models by the short `cost_model:` name used in YAML.
COST_MODELS: Registry[CostModel] = Registry("cost model")
COST_MODELS.add("cpm", CostModel(lambda s, cost: s / cost * 1000.0))  # impressions
COST_MODELS.add("cpc", CostModel(lambda s, cost: s / cost))  # clicks
COST_MODELS.add("per_send", CostModel(lambda s, cost: s / cost))  # sends
COST_MODELS.add("fixed_fee", CostModel(lambda s, cost: np.zeros_like(s), fixed_fee_units))


def media_units(spend: ArrayLike, model: str, unit_cost: float) -> NDArray[np.float64]:
    """Media units bought: impressions for CPM (spend / cost * 1000), clicks for CPC, sends for cost per send.

    A fixed fee buys no units (its reach is configured as a frequency); zero is returned.
    """
    return COST_MODELS.get(model, "channels.cost_model").units(np.asarray(spend, dtype=float), unit_cost)


def capped_poisson_mean(mean: ArrayLike, cap: float | None) -> NDArray[np.float64]:
    """E[min(X, cap)] for X ~ Poisson(mean): exposures per person when a frequency cap discards the excess.

    E[min(X, c)] = sum_{k<c} P(X > k) = sum_{k=0}^{c-1} Q(k + 1, mean), Q the regularised upper incomplete gamma.
    """
    m = np.asarray(mean, dtype=float)
    if cap is None:
        return m.copy()
    c = int(cap)
    out = np.zeros_like(m)
    if c <= 0:
        return out
    # P(X > k) = P(X >= k + 1) = regularised lower gamma P(k + 1, mean), every k in one call, added in order
    terms = special.gammainc(np.arange(1.0, c + 1.0).reshape((c,) + (1,) * m.ndim), m)
    for k in range(c):
        out += terms[k]
    return out


def capped_poisson_means(means: Sequence[float], caps: Sequence[float | None]) -> list[float]:
    """`capped_poisson_mean(means[i], caps[i])` for several scalar means at once (one special-function call), as
    plain floats; the same additions in the same order, so the same numbers to the bit."""
    c = [0 if cap is None else max(int(cap), 0) for cap in caps]
    total = sum(c)
    terms: list[float] = []
    if total:
        a = np.concatenate([np.arange(1.0, k + 1.0) for k in c])
        x = np.repeat(np.asarray(means, dtype=float), c)
        terms = special.gammainc(a, x).tolist()
    out = []
    at = 0
    for m, cap, k in zip(means, caps, c, strict=True):
        if cap is None:
            out.append(float(m))
            continue
        acc = 0.0
        for v in terms[at : at + k]:
            acc += v
        at += k
        out.append(acc)
    return out


def reach(
    mean: ArrayLike,
) -> NDArray[np.float64]:
    """Share of the audience exposed at least once when exposures are Poisson with this mean: 1 - exp(-mean)."""
    return -np.expm1(-np.asarray(mean, dtype=float))


def adstock_step(carried: float, exposures: float, decay: float) -> float:
    """One day of geometric adstock: today's exposures plus `decay` times yesterday's adstock."""
    return exposures + decay * carried


def geometric_adstock(x: ArrayLike, decay: float) -> NDArray[np.float64]:
    """Carryover a_t = x_t + decay * a_{t-1}, a_{-1} = 0 (geometric adstock, not normalised)."""
    xs = np.asarray(x, dtype=float)
    if xs.ndim != 1:
        out = np.empty_like(xs)
        acc = 0.0
        for i, v in enumerate(xs):
            acc = adstock_step(acc, v, decay)
            out[i] = acc
        return out
    # `adstock_step` inlined over Python floats (the same double operations, ~5x faster than indexing an array)
    d, acc, days = float(decay), 0.0, []
    for v in xs.tolist():
        acc = v + d * acc
        days.append(acc)
    return np.array(days, dtype=float)


def hill(x: ArrayLike, half_saturation: float, slope: float) -> NDArray[np.float64]:
    """Hill saturation x^s / (x^s + K^s) in [0, 1): half the maximum response at x = K."""
    xs = np.asarray(x, dtype=float)
    xs_s = np.power(np.maximum(xs, 0.0), slope)
    return xs_s / (xs_s + half_saturation**slope)


def exponential_saturation(x: ArrayLike, half_saturation: float, slope: float = 1.0) -> NDArray[np.float64]:
    """1 - 2^(-x / K): concave from the first exposure, half the maximum at x = K (slope unused)."""
    return -np.expm1(-np.log(2.0) * np.asarray(x, dtype=float) / half_saturation)


def linear_response(x: ArrayLike, half_saturation: float, slope: float = 1.0) -> NDArray[np.float64]:
    """min(x / (2K), 1): linear until saturation at 2K (a deliberately naive baseline for comparisons)."""
    return np.minimum(np.asarray(x, dtype=float) / (2.0 * half_saturation), 1.0)


ResponseFn = Callable[[ArrayLike, float, float], NDArray[np.float64]]

#: Response curves by the short `kind:` name used in YAML (`channels.<c>.response.kind`); values in [0, 1].
RESPONSES: Registry[ResponseFn] = Registry("response curve")
RESPONSES.add("hill", hill)
RESPONSES.add("exponential", exponential_saturation)
RESPONSES.add("linear", linear_response)


def register_response(kind: str, fn: ResponseFn) -> None:
    """Register a response curve under a short name usable as `response.kind` in channel configs."""
    RESPONSES.add(kind, fn)


PacingFn = Callable[[int], NDArray[np.float64]]

#: Pacing profiles by the short `strategy.pacing` name: unnormalised daily weights over a flight of n days.
PACINGS: Registry[PacingFn] = Registry("pacing")
PACINGS.add("even", lambda days: np.ones(days))
PACINGS.add("front_loaded", lambda days: (days - np.arange(days)).astype(float))  # 2x the mean falling to ~0
PACINGS.add("back_loaded", lambda days: (days - np.arange(days)).astype(float)[::-1])
PACINGS.add("flighted", pacing.flighted)  # on/off weeks (options: `pacing.OPTIONS`)
PACINGS.add("pulsing", pacing.pulsing)  # high/low weeks
PACINGS.add("random", pacing.random_weeks)  # random week-to-week budgets from a seeded stream


def pacing_profile(kind: str, days: int, profile: ArrayLike | None = None) -> NDArray[np.float64]:
    """Daily weights (summing to 1) spreading a flight's budget over its `days`.

    even: equal; front_loaded: linearly falling from 2x to ~0 of the mean; back_loaded: the mirror; flighted,
    pulsing, random: weekly patterns with their default options (`interventions.pacing`; a strategy resolves its
    options into a `profile` per channel);
    a given `profile` is repeated or cut to length and normalised.
    """
    pacing = None if profile is not None else PACINGS.get(kind, "strategy.pacing")
    if days <= 0:
        return np.zeros(0)
    w = np.resize(np.asarray(profile, dtype=float), days) if pacing is None else pacing(days)
    total = w.sum()
    return w / total if total > 0 else w
