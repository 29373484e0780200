"""A scenario: journey + population + simulation settings, cross-validated; the engines' only input."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from journeysim.errors import ConfigError, did_you_mean
from journeysim.model.journey import Journey
from journeysim.model.population import Population

ENGINES = ("fast", "reference")


@dataclass(frozen=True)
class Settings:
    """How to run: horizon in days, replications, root seed, engine, event log, CLV discounting."""

    horizon_days: int = 365
    replications: int = 1
    seed: int = 0
    engine: str = "fast"
    event_log: bool = False
    discount_rate_annual: float = 0.10

    def __post_init__(self) -> None:
        if not isinstance(self.horizon_days, (int, np.integer)) or self.horizon_days < 1:
            raise ConfigError("sim.horizon_days", f"{self.horizon_days!r} is not a whole number >= 1",
                              "give the projection horizon in days, e.g. sim.horizon_days=365")
        if not isinstance(self.replications, (int, np.integer)) or self.replications < 1:
            raise ConfigError("sim.replications", f"{self.replications!r} is not a whole number >= 1",
                              "give the number of independent replications, e.g. sim.replications=10")
        if not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ConfigError("sim.seed", f"{self.seed!r} is not a whole number >= 0", "give a seed >= 0, e.g. sim.seed=42")
        if self.engine not in ENGINES:
            raise ConfigError("sim.engine", f"unknown engine '{self.engine}'{did_you_mean(self.engine, ENGINES)}",
                              "use sim.engine=fast (vectorised) or sim.engine=reference (one SimPy process per customer)")
        r = float(self.discount_rate_annual)
        if not math.isfinite(r) or r <= -1:
            raise ConfigError("sim.discount_rate_annual", f"{self.discount_rate_annual!r} is not a rate > -1",
                              "give the annual discount rate for CLV as a fraction, e.g. 0.10")

    @property
    def discount_per_day(self) -> float:
        """Continuous per-day discount rate delta with exp(-365 delta) = 1 / (1 + annual rate)."""
        return math.log1p(float(self.discount_rate_annual)) / 365.0


@dataclass(frozen=True)
class Scenario:
    """Everything an engine needs; cross-checks population against journey on construction."""

    journey: Journey
    population: Population
    settings: Settings = field(default_factory=Settings)
    name: str = "scenario"

    def __post_init__(self) -> None:
        j = self.journey
        for seg in self.population.segments:
            p = f"population.segments.{seg.name}"
            for s in seg.initial:
                if s not in j.stages:
                    raise ConfigError(f"{p}.initial.{s}", f"unknown stage '{s}'{did_you_mean(s, j.stages)}",
                                      f"use one of the journey's stages: {', '.join(j.stages)}")
            for src, row in seg.transition_multipliers.items():
                for dst in row:
                    if j.rates.get(src, {}).get(dst, 0.0) <= 0:
                        raise ConfigError(
                            f"{p}.transition_multipliers.{src}.{dst}",
                            f"the journey has no transition {src} -> {dst}",
                            "multiply only transitions listed under journey.rates",
                        )

    def rate_tensor(self) -> NDArray[np.float64]:
        """G x S x S per-day hazards after each segment's multipliers."""
        base = self.journey.rate_matrix()
        out = np.empty((len(self.population.segments),) + base.shape)
        for g, seg in enumerate(self.population.segments):
            m = base * seg.rate_multiplier
            for src, row in seg.transition_multipliers.items():
                for dst, f in row.items():
                    m[self.journey.index(src), self.journey.index(dst)] *= f
            out[g] = m
        return out

    def initial_counts(self) -> NDArray[np.int64]:
        """G x S customers present at day 0."""
        out = np.zeros((len(self.population.segments), self.journey.n_stages), dtype=np.int64)
        for g, seg in enumerate(self.population.segments):
            for s, n in seg.initial.items():
                out[g, self.journey.index(s)] = n
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Build from a plain mapping with `journey`, `population` and optional `sim` sections."""
        for k in ("journey", "population"):
            if not data.get(k):
                raise ConfigError(k, "is missing", f"provide a {k} section (e.g. {k}=<preset>)")
        sim = dict(data.get("sim") or {})
        known = ("horizon_days", "replications", "seed", "engine", "event_log", "discount_rate_annual")
        for k in sim:
            if k not in known:
                raise ConfigError(f"sim.{k}", f"unknown setting '{k}'{did_you_mean(str(k), known)}",
                                  f"remove it or use one of {', '.join(known)}")
        return cls(
            journey=Journey.from_dict(data["journey"]),
            population=Population.from_dict(data["population"]),
            settings=Settings(**sim),
            name=str(data.get("name") or "scenario"),
        )
