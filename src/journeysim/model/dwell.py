"""Holding-time families of a semi-Markov stage, by their `kind:` name (`journey.dwell.<stage>.kind`).

Each family keeps the stage's mean holding time (1 / total outgoing rate): it gives a unit-mean quantile, which
the engines invert on their coupled uniforms, and a sampler for checks by simulation. A new family is one
`DwellKind` and one `DWELL_KINDS.add` line here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

from journeysim.errors import ConfigError, did_you_mean
from journeysim.registry import Registry

SETTING = "journey.dwell.kind"


@dataclass(frozen=True)
class DwellKind:
    """One holding-time family: `quantile(shape, u)` at upper-tail probability u with unit mean, `sample(shape,
    mean, rng)` one draw per mean, and whether it takes a `shape`."""

    quantile: Callable[[float, NDArray[np.float64]], NDArray[np.float64]]
    sample: Callable[[float, NDArray[np.float64], np.random.Generator], NDArray[np.float64]]
    shaped: bool = True
    survival: Callable[[float, NDArray[np.float64]], NDArray[np.float64]] | None = None  # P(T > x), unit mean


#: Dwell families by the short `kind:` name used in YAML.
DWELL_KINDS: Registry[DwellKind] = Registry("dwell kind")

DWELL_KINDS.add(
    "exponential",
    DwellKind(
        quantile=lambda k, u: -np.log(u),
        sample=lambda k, mean, rng: rng.exponential(1.0, mean.shape[0]) * mean,
        shaped=False,
        survival=lambda k, x: np.exp(-x),
    ),
)
DWELL_KINDS.add(
    "gamma",
    DwellKind(
        quantile=lambda k, u: special.gammainccinv(k, u) / k,
        sample=lambda k, mean, rng: rng.gamma(k, 1.0, mean.shape[0]) * (mean / k),
        survival=lambda k, x: special.gammaincc(k, k * x),
    ),
)
DWELL_KINDS.add(
    "lognormal",
    DwellKind(
        quantile=lambda k, u: np.exp(-0.5 * k * k - k * special.ndtri(u)),
        sample=lambda k, mean, rng: rng.lognormal(-0.5 * k * k, k, mean.shape[0]) * mean,
        survival=lambda k, x: special.ndtr(-(np.log(x) + 0.5 * k * k) / k),
    ),
)
# weibull: E[scale * W(k)] = scale * Gamma(1 + 1/k)
DWELL_KINDS.add(
    "weibull",
    DwellKind(
        quantile=lambda k, u: (-np.log(u)) ** (1.0 / k) / special.gamma(1.0 + 1.0 / k),
        sample=lambda k, mean, rng: rng.weibull(k, mean.shape[0]) * (mean / math.gamma(1.0 + 1.0 / k)),
        survival=lambda k, x: np.exp(-((x * special.gamma(1.0 + 1.0 / k)) ** k)),
    ),
)


@dataclass(frozen=True)
class Dwell:
    """Holding-time family for one stage; the mean is always 1 / (total outgoing rate).

    `shape` is gamma's shape k, lognormal's sigma or Weibull's k; exponential takes none.
    """

    kind: str = "exponential"
    shape: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in DWELL_KINDS:
            raise ConfigError(
                SETTING,
                f"unknown dwell kind '{self.kind}'{did_you_mean(self.kind, DWELL_KINDS)}",
                f"use one of {', '.join(DWELL_KINDS)}",
            )
        if not DWELL_KINDS.get(self.kind).shaped:
            return
        if self.shape is None or not math.isfinite(self.shape) or self.shape <= 0:
            raise ConfigError(
                "journey.dwell.shape",
                f"{self.kind} dwell needs a positive finite shape, got {self.shape!r}",
                "set shape > 0 (e.g. shape: 2.0)",
            )

    @property
    def family(self) -> DwellKind:
        """This dwell's family from the registry (a ConfigError for an unknown kind, however it got here)."""
        return DWELL_KINDS.get(self.kind, SETTING)

    @property
    def is_exponential(self) -> bool:
        return self.kind == "exponential"

    def _k(self) -> float:
        return float("nan") if self.shape is None else float(self.shape)

    def quantile(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        """Holding time with unit mean at upper-tail probability `u` (inversion, so draws stay coupled)."""
        return self.family.quantile(self._k(), u)

    def residual(self, age: NDArray[np.float64], u: NDArray[np.float64]) -> NDArray[np.float64]:
        """The rest of a unit-mean holding time already `age` long, at upper-tail probability `u` of the conditional
        law T - age | T > age (inversion: T = quantile(u x survival(age))); a continued run's customers mid-dwell."""
        surv = self.family.survival
        if surv is None:
            raise ValueError(f"dwell kind '{self.kind}' has no survival function: its holding time cannot be aged")
        tail = np.maximum(u * surv(self._k(), np.asarray(age, dtype=float)), np.finfo(float).tiny)
        return np.maximum(self.quantile(tail) - age, 0.0)

    def sample(self, mean: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.float64]:
        """Draw holding times with the given means (one per customer)."""
        return self.family.sample(self._k(), mean, rng)
