"""Order-value families (revenue per purchase), by their `kind:` name (`population.segments.<s>.order_value.kind`).

Each family, given a mean and a coefficient of variation, gives a quantile (the engines invert it on their coupled
uniforms) and a sampler. A new family is one `OrderValueKind` and one `ORDER_VALUE_KINDS.add` line here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

from journeysim.errors import ConfigError, did_you_mean, number
from journeysim.registry import Registry

SETTING = "population.segments.order_value.kind"


@dataclass(frozen=True)
class OrderValueKind:
    """One family: `quantile(mean, cv, u)` at lower-tail probability u, `sample(mean, cv, n, rng)`, and whether
    it needs a positive `cv` (a fixed value has none)."""

    quantile: Callable[[float, float, NDArray[np.float64]], NDArray[np.float64]]
    sample: Callable[[float, float, int, np.random.Generator], NDArray[np.float64]]
    spread: bool = True


def _lognormal_quantile(mean: float, cv: float, u: NDArray[np.float64]) -> NDArray[np.float64]:
    s2 = np.log1p(cv * cv)
    return np.exp(np.log(mean) - 0.5 * s2 + np.sqrt(s2) * special.ndtri(u))


def _lognormal_sample(mean: float, cv: float, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
    sigma2 = math.log1p(cv**2)
    return rng.lognormal(math.log(mean) - 0.5 * sigma2, math.sqrt(sigma2), n)


def _gamma_quantile(mean: float, cv: float, u: NDArray[np.float64]) -> NDArray[np.float64]:
    k = 1.0 / (cv * cv)
    return special.gammaincinv(k, u) * (mean / k)


def _gamma_sample(mean: float, cv: float, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
    k = 1.0 / cv**2
    return rng.gamma(k, mean / k, n)


#: Order-value families by the short `kind:` name used in YAML.
ORDER_VALUE_KINDS: Registry[OrderValueKind] = Registry("order-value kind")
ORDER_VALUE_KINDS.add(
    "fixed",
    OrderValueKind(lambda mean, cv, u: np.full(u.shape, mean), lambda mean, cv, n, rng: np.full(n, mean), False),
)
ORDER_VALUE_KINDS.add("lognormal", OrderValueKind(_lognormal_quantile, _lognormal_sample))
ORDER_VALUE_KINDS.add("gamma", OrderValueKind(_gamma_quantile, _gamma_sample))


def order_value_quantile(kind: str, mean: float, cv: float, u: NDArray[np.float64]) -> NDArray[np.float64]:
    """Order values of family `kind` at lower-tail probability `u`; no spread (cv = 0) is the mean itself."""
    family = ORDER_VALUE_KINDS.get(kind, SETTING)
    if cv == 0:
        return np.full(u.shape, mean)
    return family.quantile(mean, cv, u)


@dataclass(frozen=True)
class OrderValue:
    """Revenue per purchase: `fixed` at `mean`, or `lognormal` / `gamma` with that mean and coefficient of variation.

    `margin` is the gross margin as a share of revenue (for CLV and ROI).
    """

    kind: str = "fixed"
    mean: float = 100.0
    cv: float = 0.0
    margin: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in ORDER_VALUE_KINDS:
            raise ConfigError(
                SETTING,
                f"unknown order-value kind '{self.kind}'{did_you_mean(self.kind, ORDER_VALUE_KINDS)}",
                f"use one of {', '.join(ORDER_VALUE_KINDS)}",
            )
        number("population.segments.order_value.mean", self.mean, fix="give a mean order value >= 0")
        number("population.segments.order_value.cv", self.cv, fix="give a coefficient of variation >= 0")
        if not (0.0 <= self.margin <= 1.0):
            raise ConfigError(
                "population.segments.order_value.margin",
                f"margin {self.margin!r} is outside [0, 1]",
                "give the gross margin as a fraction, e.g. 0.4",
            )
        if ORDER_VALUE_KINDS.get(self.kind).spread and self.cv <= 0:
            raise ConfigError(
                "population.segments.order_value.cv",
                f"a {self.kind} order value needs cv > 0",
                "set cv > 0, or use kind: fixed",
            )

    @property
    def constant(self) -> bool:
        """Every purchase is worth exactly `mean` (a family without spread, or no spread given)."""
        return not ORDER_VALUE_KINDS.get(self.kind, SETTING).spread or self.cv == 0

    def quantile(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        """Order values at lower-tail probability `u`."""
        return order_value_quantile(self.kind, self.mean, self.cv, u)

    def sample(self, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
        """Draw `n` order values."""
        family = ORDER_VALUE_KINDS.get(self.kind, SETTING)
        if n == 0:
            return np.full(n, self.mean)
        return family.sample(self.mean, self.cv, n, rng)
